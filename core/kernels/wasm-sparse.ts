/**
 * The wasm backend's sparse kernels (core/sparse.ts): a matrix is copied once into the resident region with
 * a six-word descriptor (where its arrays and its byte-to-number table are), and read there on every call.
 */
import type { CsrMatrix } from "../sparse.ts";
import { checkSize, madeFromLists, valueTable } from "../sparse.ts";
import type { FloatArray } from "../tensor.ts";
import type { Kernels } from "./kernels.ts";
import type { WasmMemory } from "./wasm-memory.ts";
import type { WasmExports } from "./wasm-exports.ts";

/** What the sparse section needs of the backend (a subset of wasm.ts's WasmContext). */
export interface SparseContext {
  readonly mem: WasmMemory;
  /** The module itself (not a recorder): a matrix is made resident once, outside any program. */
  readonly wasm: WasmExports;
  readonly placed: number[];
  module(): WasmExports;
  fallback(): Kernels;
  place(a: Float32Array, b: Float32Array | undefined, out: Float32Array): boolean;
  finish(out: Float32Array, at: number): void;
  self(): Kernels;
}

/**
 * Puts a matrix's descriptor and byte-to-number table in the resident region, beside its lists (see listsHere).
 * Undefined when there is no room.
 */
function residentMatrix(mem: WasmMemory, wasm: WasmExports, m: CsrMatrix): number | undefined {
  const tableAt = 32;
  const at = mem.claimResident(tableAt + 1024);
  if (at === undefined) return undefined;
  new Float32Array(mem.buffer, at + tableAt, 256).set(valueTable(m, "float32"));
  const lists = listsHere(mem, wasm, m);
  if (lists === undefined) return undefined;
  new Int32Array(mem.buffer, at, 6).set([lists.start.byteOffset, lists.columns.byteOffset, lists.values.byteOffset, at + tableAt, m.rows, m.cols]);
  return at;
}

type Lists = { readonly start: Int32Array; readonly columns: Uint16Array; readonly values: Uint8Array };

/** The matrix's lists in this memory: read in place where they live here, made from its bytes where those do, else copied. */
function listsHere(mem: WasmMemory, wasm: WasmExports, m: CsrMatrix): Lists | undefined {
  if (m.listsMade && m.start.buffer === mem.buffer && m.columns.buffer === mem.buffer && m.values.buffer === mem.buffer) return m;
  const source = m.source;
  if (!m.listsMade && source !== undefined && mem.lives(source)) return buildLists(mem, wasm, m.rows, m.cols, CHUNK, (r) => source.byteOffset + r * m.cols);
  const first = m.start[0], entries = m.start[m.rows] - first;
  const startAt = mem.claimResident(4 * (m.rows + 1)), columnsAt = mem.claimResident(2 * entries), bytesAt = mem.claimResident(entries);
  if (startAt === undefined || columnsAt === undefined || bytesAt === undefined) return undefined;
  const start = new Int32Array(mem.buffer, startAt, m.rows + 1);
  // (A window of a larger matrix starts where it starts: its positions are made relative here.)
  for (let i = 0; i <= m.rows; i++) start[i] = m.start[i] - first;
  const columns = new Uint16Array(mem.buffer, columnsAt, entries), values = new Uint8Array(mem.buffer, bytesAt, entries);
  columns.set(m.columns.subarray(first, first + entries));
  values.set(m.values.subarray(first, first + entries));
  return { start, columns, values };
}

// In chunks of rows: V8 runs a wasm function's first calls unoptimised, and one call over a whole data set
// would run so from start to end.
const CHUNK = 1024;

/**
 * A rows×cols byte matrix's lists made in this memory, `chunk` rows at a time: `rowsAt(firstRow, count)` gives
 * the address of those rows' bytes (where they lie, or a staging block it has just filled), and is asked twice
 * for every chunk, once to count its entries and once to fill them in. Undefined when there is no room.
 */
function buildLists(mem: WasmMemory, wasm: WasmExports, rows: number, cols: number, chunk: number, rowsAt: (firstRow: number, count: number) => number): Lists | undefined {
  const startAt = mem.claimResident(4 * (rows + 1));
  if (startAt === undefined) return undefined;
  const start = new Int32Array(mem.buffer, startAt, rows + 1);
  let entries = 0;
  for (let r = 0; r < rows; r += chunk) {
    const n = Math.min(chunk, rows - r);
    const count = wasm.csrCount(rowsAt(r, n), n, cols, startAt + 4 * r);
    // Each chunk's starts are relative to it: shifted by the entries before it.
    if (entries !== 0) for (let i = r; i < r + n; i++) start[i] += entries;
    entries += count;
  }
  start[rows] = entries;
  // (csrFill writes up to 16 entries past the last.)
  const columnsAt = mem.claimResident(2 * (entries + 16)), bytesAt = mem.claimResident(entries + 16);
  if (columnsAt === undefined || bytesAt === undefined) return undefined;
  for (let r = 0; r < rows; r += chunk) {
    const n = Math.min(chunk, rows - r);
    wasm.csrFill(rowsAt(r, n), n, cols, columnsAt + 2 * start[r], bytesAt + start[r]);
  }
  return { start, columns: new Uint16Array(mem.buffer, columnsAt, entries), values: new Uint8Array(mem.buffer, bytesAt, entries) };
}

/**
 * A matrix made here from rows of bytes that `read` puts, a chunk at a time, into a staging block of this
 * memory (`read(into, firstRow, count)`, called twice for every chunk: once to count, once to fill): its lists
 * live here from the start and the bytes never do (a data set read this way holds its images once). Undefined
 * when there is no room.
 */
export function sparseFromRows(mem: WasmMemory, wasm: WasmExports, rows: number, cols: number, divisor: number, read: (into: Uint8Array, firstRow: number, count: number) => void): CsrMatrix | undefined {
  checkSize(rows, cols, divisor);
  const chunk = Math.max(1, Math.min(CHUNK, Math.floor((1 << 20) / cols)));
  const staging = mem.persistent("float32", Math.ceil((chunk * cols) / 4)) as Float32Array | undefined;
  if (staging === undefined) return undefined;
  try {
    const lists = buildLists(mem, wasm, rows, cols, chunk, (r, n) => {
      read(new Uint8Array(mem.buffer, staging.byteOffset, n * cols), r, n);
      return staging.byteOffset;
    });
    return lists === undefined ? undefined : madeFromLists(rows, cols, divisor, lists.start, lists.columns, lists.values);
  } finally {
    mem.release(staging);
  }
}

const f32 = (...xs: FloatArray[]): boolean => xs.every((x) => x instanceof Float32Array);

export function sparseKernels(ctx: SparseContext): Pick<Kernels, "sparseMatmul" | "sparseMatmulT" | "sparseMatmulTAxpy" | "sparseToDense" | "prepareSparse" | "inPlaceArgument"> {
  const descriptors = new WeakMap<CsrMatrix, number | null>();
  const descriptor = (m: CsrMatrix): number | undefined => {
    let d = descriptors.get(m);
    if (d === undefined) descriptors.set(m, (d = residentMatrix(ctx.mem, ctx.wasm, m) ?? null));
    return d ?? undefined;
  };
  // The fused update's sums (cols rows of h rounded up to 32) and its list of columns (cols + 1 words and cols
  // bytes), all zero between calls, one per size; never given back, since a compiled program keeps its address.
  const accumulators = new Map<number, Float32Array | null>();
  const accumulator = (cols: number, h: number): Float32Array | undefined => {
    const len = cols * ((h + 31) & ~31) + cols + 1 + Math.ceil(cols / 4);
    let a = accumulators.get(len);
    if (a === undefined) accumulators.set(len, (a = (ctx.mem.persistent("float32", len) as Float32Array | undefined) ?? null));
    return a ?? undefined;
  };
  // The kernel reads g 32 numbers past its end (those lanes are zeroed): that memory must exist.
  const readable = (g: number, n: number, h: number) => g + 4 * (n * h + 32) <= ctx.mem.buffer.byteLength;
  return {
    prepareSparse(m) {
      descriptor(m);
    },
    // The sparse update's c (argument 4): in place it copies nothing and writes only the batch's rows, where rows
    // are scattered 32 wide (h ≤ 32) and alpha < 0 (alpha·(+0) + c is c). Wider rows are written whole either way.
    inPlaceArgument(kernel, args) {
      if (kernel !== "sparseMatmulTAxpy") return undefined;
      const [alpha, , , , , , , h] = args as readonly [number, unknown, unknown, unknown, unknown, unknown, number, number];
      return h <= 32 && alpha < 0 && alpha > -Infinity ? 4 : undefined;
    },
    sparseMatmul(m, rows, b, out, n, h) {
      const d = descriptor(m);
      if (d !== undefined && rows instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(rows, b, out)) {
        ctx.module().sparseMatmul(d, ctx.placed[0], ctx.placed[1], ctx.placed[2], n, h);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().sparseMatmul(m, rows, b, out, n, h);
    },
    sparseMatmulT(m, rows, g, out, n, h) {
      const d = descriptor(m);
      const acc = d === undefined ? undefined : accumulator(m.cols, h);
      if (d !== undefined && acc !== undefined && rows instanceof Float32Array && g instanceof Float32Array && out instanceof Float32Array && ctx.place(rows, g, out) && readable(ctx.placed[1], n, h)) {
        ctx.module().sparseMatmulTAxpy(d, ctx.placed[0], ctx.placed[1], 0, ctx.placed[2], acc.byteOffset, n, h, 0);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().sparseMatmulT(m, rows, g, out, n, h);
    },
    sparseMatmulTAxpy(alpha, m, rows, g, c, out, n, h) {
      // Fused when the update's arrays live here (jit's buffers), as matmulAxpy.
      const d = descriptor(m);
      const acc = d === undefined ? undefined : accumulator(m.cols, h);
      if (d !== undefined && acc !== undefined && f32(rows, g, c, out) && c.buffer === ctx.mem.buffer && out.buffer === ctx.mem.buffer &&
        ctx.place(rows as Float32Array, g as Float32Array, out as Float32Array) && readable(ctx.placed[1], n, h)) {
        ctx.module().sparseMatmulTAxpy(d, ctx.placed[0], ctx.placed[1], c.byteOffset, out.byteOffset, acc.byteOffset, n, h, alpha);
        return;
      }
      // Otherwise the product, then the update: the same numbers.
      const product = out instanceof Float32Array ? new Float32Array(out.length) : new Float64Array(out.length);
      ctx.self().sparseMatmulT(m, rows, g, product, n, h);
      ctx.self().axpy(alpha, product, c, out);
    },
    sparseToDense(m, rows, out) {
      const d = descriptor(m);
      if (d !== undefined && rows instanceof Float32Array && out instanceof Float32Array && ctx.place(rows, undefined, out)) {
        ctx.module().sparseToDense(d, ctx.placed[0], ctx.placed[2], rows.length);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().sparseToDense(m, rows, out);
    },
  };
}
