/**
 * The wasm backend's sparse kernels (core/sparse.ts): a matrix is copied once into the resident region with
 * a six-word descriptor (where its arrays and its byte-to-number table are), and read there on every call.
 */
import type { CsrMatrix } from "../sparse.ts";
import { valueTable } from "../sparse.ts";
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
  const source = mem.lives(m.source) ? m.source.byteOffset : undefined;
  const at = mem.claimResident(startAt + 4 * (m.rows + 1));
  if (at === undefined) return undefined;
  new Float32Array(mem.buffer, at + tableAt, 256).set(valueTable(m, "float32"));
  let entries = 0;
  // In chunks of rows: V8 runs a wasm function's first calls unoptimised, and one call over a whole data set
  // would run so from start to end. (The chunks' starts are relative: each is shifted by the entries before it.)
  const CHUNK = 1024;
  const starts = new Int32Array(mem.buffer, at + startAt, m.rows + 1);
  if (source !== undefined) {
    for (let r = 0; r < m.rows; r += CHUNK) {
      const rows = Math.min(CHUNK, m.rows - r);
      const count = wasm.csrCount(source + r * m.cols, rows, m.cols, at + startAt + 4 * r);
      if (entries !== 0) for (let i = r; i < r + rows; i++) starts[i] += entries;
      entries += count;
    }
    starts[m.rows] = entries;
  } else {
    new Int32Array(mem.buffer, at + startAt, m.rows + 1).set(m.start);
    entries = m.entries;
  }
  // (csrFill writes up to 16 entries past the last.)
  const columnsAt = mem.claimResident(2 * (entries + 16)), bytesAt = mem.claimResident(entries + 16);
  if (columnsAt === undefined || bytesAt === undefined) return undefined;
  if (source !== undefined) {
    for (let r = 0; r < m.rows; r += CHUNK) {
      const q = starts[r];
      wasm.csrFill(source + r * m.cols, Math.min(CHUNK, m.rows - r), m.cols, columnsAt + 2 * q, bytesAt + q);
    }
  } else {
    new Uint16Array(mem.buffer, columnsAt, entries).set(m.columns);
    mem.heapBytes.set(m.values, bytesAt);
  }
  new Int32Array(mem.buffer, at, 6).set([at + startAt, columnsAt, bytesAt, at + tableAt, m.rows, m.cols]);
  return at;
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
