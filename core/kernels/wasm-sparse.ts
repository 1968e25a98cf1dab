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

const align = (n: number) => (n + 15) & ~15;

/**
 * Puts a matrix in the resident region: [descriptor | table | starts | columns | bytes]. Made in wasm from
 * its dense bytes where those are resident (a data set's pixels are, read from their file straight into
 * memory), so the JS lists are never made; else copied from them. Undefined when there is no room.
 */
function residentMatrix(mem: WasmMemory, wasm: WasmExports, m: CsrMatrix): number | undefined {
  const tableAt = 32, startAt = tableAt + 1024;
  // Lists that already live here (made here as a data set was read, or a window of such) are read in place.
  if (m.listsMade && m.start.buffer === mem.buffer && m.columns.buffer === mem.buffer && m.values.buffer === mem.buffer) {
    const at = mem.claimResident(startAt);
    if (at === undefined) return undefined;
    new Float32Array(mem.buffer, at + tableAt, 256).set(valueTable(m, "float32"));
    new Int32Array(mem.buffer, at, 6).set([m.start.byteOffset, m.columns.byteOffset, m.values.byteOffset, at + tableAt, m.rows, m.cols]);
    return at;
  }
  const source = !m.listsMade && m.source !== undefined && mem.lives(m.source) ? m.source.byteOffset : undefined;
  const at = mem.claimResident(startAt + 4 * (m.rows + 1));
  if (at === undefined) return undefined;
  new Float32Array(mem.buffer, at + tableAt, 256).set(valueTable(m, "float32"));
  let entries = 0;
  const starts = new Int32Array(mem.buffer, at + startAt, m.rows + 1);
  if (source !== undefined) entries = countRows(wasm, source, m.rows, m.cols, at + startAt, starts);
  else {
    starts.set(m.start.subarray(0, m.rows + 1));
    // (A window of a larger matrix starts where it starts: its positions are made relative here.)
    const first = starts[0];
    if (first !== 0) for (let i = 0; i <= m.rows; i++) starts[i] -= first;
    entries = starts[m.rows];
  }
  // (csrFill writes up to 16 entries past the last.)
  const columnsAt = mem.claimResident(2 * (entries + 16)), bytesAt = mem.claimResident(entries + 16);
  if (columnsAt === undefined || bytesAt === undefined) return undefined;
  if (source !== undefined) fillRows(wasm, source, m.rows, m.cols, starts, columnsAt, bytesAt);
  else {
    const first = m.start[0];
    new Uint16Array(mem.buffer, columnsAt, entries).set(m.columns.subarray(first, first + entries));
    mem.heapBytes.set(m.values.subarray(first, first + entries), bytesAt);
  }
  new Int32Array(mem.buffer, at, 6).set([at + startAt, columnsAt, bytesAt, at + tableAt, m.rows, m.cols]);
  return at;
}

// In chunks of rows: V8 runs a wasm function's first calls unoptimised, and one call over a whole data set
// would run so from start to end.
const CHUNK = 1024;

/** Each row's first entry into `starts` (at `startsAt` in memory) for rows×cols bytes at `source`; returns the entry count. */
function countRows(wasm: WasmExports, source: number, rows: number, cols: number, startsAt: number, starts: Int32Array): number {
  let entries = 0;
  for (let r = 0; r < rows; r += CHUNK) {
    const n = Math.min(CHUNK, rows - r);
    const count = wasm.csrCount(source + r * cols, n, cols, startsAt + 4 * r);
    // Each chunk's starts are relative to it: shifted by the entries before it.
    if (entries !== 0) for (let i = r; i < r + n; i++) starts[i] += entries;
    entries += count;
  }
  starts[rows] = entries;
  return entries;
}

/** The entries' columns and bytes of rows×cols bytes at `source`, whose starts are known. */
function fillRows(wasm: WasmExports, source: number, rows: number, cols: number, starts: Int32Array, columnsAt: number, bytesAt: number): void {
  for (let r = 0; r < rows; r += CHUNK) wasm.csrFill(source + r * cols, Math.min(CHUNK, rows - r), cols, columnsAt + 2 * starts[r], bytesAt + starts[r]);
}

/**
 * A matrix made here from rows of bytes that `read` puts, a chunk at a time, into a staging block of this
 * memory (`read(into, firstRow, count)`, called twice for every chunk: once to count, once to fill): its lists
 * live here from the start and the bytes never do (a data set read this way holds its images once). Undefined
 * when there is no room.
 */
export function sparseFromRows(mem: WasmMemory, wasm: WasmExports, rows: number, cols: number, divisor: number, read: (into: Uint8Array, firstRow: number, count: number) => void): CsrMatrix | undefined {
  checkSize(rows, cols, divisor);
  const chunkRows = Math.max(1, Math.min(CHUNK, Math.floor((1 << 20) / cols)));
  const staging = mem.persistent("float32", Math.ceil((chunkRows * cols) / 4)) as Float32Array | undefined;
  if (staging === undefined) return undefined;
  try {
    const into = (n: number) => new Uint8Array(mem.buffer, staging.byteOffset, n * cols);
    const startAt = mem.claimResident(4 * (rows + 1));
    if (startAt === undefined) return undefined;
    const starts = new Int32Array(mem.buffer, startAt, rows + 1);
    let entries = 0;
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      read(into(n), r, n);
      const count = wasm.csrCount(staging.byteOffset, n, cols, startAt + 4 * r);
      for (let i = r; i < r + n; i++) starts[i] += entries;
      entries += count;
    }
    starts[rows] = entries;
    const columnsAt = mem.claimResident(2 * (entries + 16)), bytesAt = mem.claimResident(entries + 16);
    if (columnsAt === undefined || bytesAt === undefined) return undefined;
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      read(into(n), r, n);
      wasm.csrFill(staging.byteOffset, n, cols, columnsAt + 2 * starts[r], bytesAt + starts[r]);
    }
    return madeFromLists(rows, cols, divisor, starts, new Uint16Array(mem.buffer, columnsAt, entries), new Uint8Array(mem.buffer, bytesAt, entries));
  } finally {
    mem.release(staging);
  }
}

const f32 = (...xs: FloatArray[]): boolean => xs.every((x) => x instanceof Float32Array);

export function sparseKernels(ctx: SparseContext): Pick<Kernels, "sparseMatmul" | "sparseMatmulT" | "sparseMatmulTAxpy" | "sparseToDense" | "prepareSparse" | "inPlaceGain"> {
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
    // In place, the update copies nothing and writes only the batch's rows: where rows are scattered 32 wide
    // (h ≤ 32) and alpha < 0 (alpha·(+0) + c is c). Wider rows are written whole, each once, either way.
    inPlaceGain(kernel, args) {
      const [alpha, , , , , , , h] = args as readonly [number, unknown, unknown, unknown, unknown, unknown, number, number];
      return kernel === "sparseMatmulTAxpy" && h <= 32 && alpha < 0 && alpha > -Infinity;
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
