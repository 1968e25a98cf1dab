/**
 * The kernel interface: the few number-crunching loops every op is built from.
 * Ops own shapes, checks and gradients; kernels only fill an output array. A faster backend
 * (another language, SIMD, float32) implements this interface and nothing else changes.
 */
import type { DType, FloatArray } from "../tensor.ts";
import type { CsrMatrix } from "../sparse.ts";

export const unaryKinds = ["neg", "exp", "log", "square", "sqrt", "abs", "sign", "sigmoid", "tanh", "relu", "heaviside", "sin", "cos", "log1p", "softplus"] as const;
export type UnaryKind = (typeof unaryKinds)[number];

/**
 * Elementwise functions of two arrays. The `*Grad` kinds fuse an activation's VJP: (g, y or x) → g·f'.
 * Comparisons give 1 where they hold and 0 elsewhere.
 */
export const binaryKinds = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "sigmoidGrad", "tanhGrad", "reluGrad", "equal", "greater", "greaterEqual"] as const;
export type BinaryKind = (typeof binaryKinds)[number];

/**
 * A convolution's (or pooling window's) geometry, NCHW: n images of c channels, h×w, a kh×kw window moved by
 * `stride`, the input padded by padTop/padLeft zeros before (and as many after as the output size needs), giving
 * oh×ow positions.
 */
export interface ConvGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly oh: number;
  readonly ow: number;
}

/**
 * A kernel writes every element of its `out` (whatever `out` held before: jit reuses its buffers) and
 * never writes its inputs. Callers never write an array again once a kernel has read or filled it
 * (it belongs to an immutable tensor), except arrays from the backend's own `persistent` (jit's buffers,
 * reused batch buffers): a backend may cache other arrays by identity.
 */
export interface Kernels {
  readonly name: string;
  /** The dtype these kernels are fast in, which tensors made without one get (float64 when absent). */
  readonly dtype?: DType;
  /** out (m×n) = op(a)·op(b), where op transposes when asked; a is m×k (or k×m), b is k×n (or n×k). */
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, transA: boolean, transB: boolean): void;
  unary(kind: UnaryKind, x: FloatArray, out: FloatArray): void;
  /** out[i] = f(a[i], b[i]) for arrays of the same length. */
  binary(kind: BinaryKind, a: FloatArray, b: FloatArray, out: FloatArray): void;
  /** Broadcast form: strides are per output axis, 0 where that input is broadcast along the axis. */
  binaryBroadcast(
    kind: BinaryKind,
    a: FloatArray, aStrides: readonly number[],
    b: FloatArray, bStrides: readonly number[],
    out: FloatArray, outShape: readonly number[],
  ): void;
  /** out[j] = Σ x[i] over the elements i that map to j, where j follows outStrides (per x axis, 0 on summed axes). */
  sumInto(x: FloatArray, xShape: readonly number[], out: FloatArray, outStrides: readonly number[]): void;
  /** As sumInto with max for Σ (NaN wins; an empty max is −∞). */
  maxInto(x: FloatArray, xShape: readonly number[], out: FloatArray, outStrides: readonly number[]): void;
  /** Patches as rows: out is (n·oh·ow) × (c·kh·kw), each row one window position's inputs (zeros where padded). */
  im2col(x: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** The transpose of im2col: out (n×c×h×w) = each row's numbers added back where they came from. */
  col2im(cols: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** Max pooling over the windows of `g` (channels pooled alone: g.c = 1, one plane per image and channel): out is n×oh×ow. */
  maxPool(x: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /**
   * Max pooling's VJP: out (shaped like x) = each window's gradient added at the window's largest element (the
   * first of ties), 0 elsewhere.
   */
  maxPoolScatter(x: FloatArray, grad: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** The transpose of maxPoolScatter: out (n×oh×ow) = h at each window's largest element of x. */
  maxPoolGather(x: FloatArray, h: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** out[i] = c[i] ≠ 0 ? a[i] : b[i], arrays of the same length. */
  select(c: FloatArray, a: FloatArray, b: FloatArray, out: FloatArray): void;
  /** Row r of out (len numbers) = x[r·rowLength + start …], for `rows` rows. */
  sliceRows(x: FloatArray, rows: number, rowLength: number, start: number, len: number, out: FloatArray): void;
  /**
   * Dropout's mask: out[i] = 0 with probability `rate`, else 1/(1 − rate), from a hash of the key (four 16-bit
   * halves held as numbers), `salt` and i: the same key gives the same mask on every backend.
   */
  dropoutMask(key: FloatArray, salt: number, rate: number, out: FloatArray): void;
  /** Row r of out = row r of a (aLength numbers) then row r of b (bLength numbers). */
  concatRows(a: FloatArray, aLength: number, b: FloatArray, bLength: number, rows: number, out: FloatArray): void;
  /** Row-wise softmax (or log-softmax) of a rows×cols matrix, in the max-subtracted stable form. */
  softmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number, log: boolean): void;
  /** out (cols×rows) = xᵀ for x rows×cols. */
  transpose(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** out = x (of `shape`) with its axes reordered: out's axis i is x's axis axes[i]. */
  permute(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void;
  /** out[i] = alpha·x[i] + y[i] (the optimizer's step, fused). */
  axpy(alpha: number, x: FloatArray, y: FloatArray, out: FloatArray): void;
  /**
   * Optional: out = alpha·op(a)·op(b) + c, a product fused with the update that reads it, giving exactly
   * the numbers of `matmul` into a temporary and then `axpy`. Ops never call it: jit puts it in place of
   * such a pair when the product is read by nothing else (the weight gradient and its sgd step).
   */
  matmulAxpy?(alpha: number, a: FloatArray, b: FloatArray, c: FloatArray, out: FloatArray, m: number, k: number, n: number, transA: boolean, transB: boolean): void;
  /** Row r of out = row rows[r] of `bytes` (rows of rowLength bytes) divided by `divisor`: pixels to numbers. */
  bytesToFloat(bytes: Uint8Array, rows: ArrayLike<number>, rowLength: number, divisor: number, out: FloatArray): void;
  /** out (n×h) = the matrix's rows `rows` (n of them) · b (cols×h): only their stored entries are read. */
  sparseMatmul(m: CsrMatrix, rows: FloatArray, b: FloatArray, out: FloatArray, n: number, h: number): void;
  /** out (cols×h) = (the matrix's rows `rows`)ᵀ · g (n×h): each row of out summed over the examples that have its column, in order. */
  sparseMatmulT(m: CsrMatrix, rows: FloatArray, g: FloatArray, out: FloatArray, n: number, h: number): void;
  /**
   * Optional: out = alpha·(rows)ᵀ·g + c, exactly the numbers of `sparseMatmulT` into a temporary and then `axpy`;
   * jit puts it in place of such a pair, as it does `matmulAxpy`.
   */
  sparseMatmulTAxpy?(alpha: number, m: CsrMatrix, rows: FloatArray, g: FloatArray, c: FloatArray, out: FloatArray, n: number, h: number): void;
  /** out (n×cols) = the matrix's rows `rows`, dense. */
  sparseToDense(m: CsrMatrix, rows: FloatArray, out: FloatArray): void;
  /** Optional: makes a matrix ready for the sparse kernels now (the wasm backend makes its copy in its memory), not on first use. */
  prepareSparse?(m: CsrMatrix): void;
  /**
   * Optional, for backends with memory of their own: a matrix of `rows` rows of `cols` bytes made from rows
   * that `read(into, firstRow, count)` puts into a staging block of that memory, a chunk at a time (each chunk
   * read twice), so that the dense bytes are never all held (a data set's images read this way are held once,
   * as sparse rows). Undefined when there is no room (the caller reads them densely).
   */
  sparseFromRows?(rows: number, cols: number, divisor: number, read: (into: Uint8Array, firstRow: number, count: number) => void): CsrMatrix | undefined;
  /**
   * Optional, for jit's inPlace: the argument this call may read from the very array it writes as its `out`,
   * where that writes less (a sparse update then writes only the rows its batch touches); undefined where it
   * does not pay. Every kernel must give the same numbers either way; this only says where sharing pays.
   */
  inPlaceArgument?(kernel: KernelName, args: readonly unknown[]): number | undefined;
  /** out = a·x + b·g (with square, a·x + b·g²), each operation rounded in out's dtype as the separate ops round it. */
  adamMoment(x: FloatArray, g: FloatArray, a: number, b: number, square: boolean, out: FloatArray): void;
  /** out = w + (m·c1)/(√(v·c2) + eps), c1 and c2 single numbers, each operation rounded as the separate ops round it. */
  adamStep(w: FloatArray, m: FloatArray, v: FloatArray, c1: FloatArray, c2: FloatArray, eps: number, out: FloatArray): void;
  /** out[i] = min(max(x[i], lo), hi). */
  clip(x: FloatArray, out: FloatArray, lo: number, hi: number): void;
  /** out[i] = g[i] where lo < x[i] < hi, else 0: the VJP of clip. */
  clipGrad(g: FloatArray, x: FloatArray, out: FloatArray, lo: number, hi: number): void;
  /**
   * Only for backends that cache arrays by identity: a long-lived, zero-filled array where this backend
   * computes fastest and that it knows is rewritten (jit keeps its buffers there), or undefined when it
   * has no room left; then jit must not replay (it runs f eagerly). Given back with `release`.
   */
  persistent?(dtype: "float32" | "float64", size: number): FloatArray | undefined;
  /** Gives back an array `persistent` handed out. */
  release?(a: FloatArray): void;
  /**
   * Only for backends with memory of their own: a zero-filled byte array of `length` there, for data read once
   * and gathered from on every step (a data set's pixels, read from its file straight into it), so that
   * `bytesToFloat` reads it where it lies instead of copying it in. Never given back; undefined when there
   * is no room (the caller keeps an ordinary array).
   */
  residentBytes?(length: number): Uint8Array | undefined;
  /**
   * Optional, for jit: a fixed sequence of calls made into one, to be run many times with new inputs. Every
   * array in `calls` except the inputs is the same on every run (buffers from `persistent`, constants);
   * `inputLengths` are the inputs' lengths. Undefined when this backend would gain nothing.
   */
  compile?(calls: readonly ProgramCall[], inputLengths: readonly number[]): CompiledCalls | undefined;
}

export type KernelName = keyof typeof outArgument;

/** A kernel call as jit keeps it: argument `inputs[i][0]` is input number `inputs[i][1]`, filled in on each run. */
export interface ProgramCall {
  readonly kernel: KernelName;
  readonly args: readonly unknown[];
  readonly inputs: readonly (readonly [argument: number, input: number])[];
}

/** Calls a backend's `compile` made into one: running it gives the numbers of making the calls one by one. */
export interface CompiledCalls {
  /** Runs the calls on these inputs; false, having run nothing, when the inputs are not where the compiled calls read them. */
  run(inputs: readonly { readonly data: FloatArray }[]): boolean;
  /** Gives back the memory it holds (after which it must not be run). */
  release(): void;
}

/** Where each kernel takes its `out` argument: what jit replays into its buffers. */
export const outArgument: Readonly<Record<Exclude<keyof Kernels, "name" | "dtype" | "persistent" | "release" | "residentBytes" | "compile" | "prepareSparse" | "inPlaceArgument" | "sparseFromRows">, number>> = {
  matmul: 2, unary: 2, binary: 3, binaryBroadcast: 5, sumInto: 2, maxInto: 2, im2col: 2, col2im: 2, select: 3, sliceRows: 5, concatRows: 5, dropoutMask: 3, maxPool: 2, maxPoolScatter: 3, maxPoolGather: 3, softmaxRows: 1, transpose: 1, permute: 3, axpy: 3, matmulAxpy: 4, clip: 1, clipGrad: 2, bytesToFloat: 4,
  sparseMatmul: 3, sparseMatmulT: 3, sparseMatmulTAxpy: 5, sparseToDense: 2, adamMoment: 5, adamStep: 6,
};
