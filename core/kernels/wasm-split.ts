/**
 * The wasm backend's thread split: with a helper thread, the large kernels are split between the two threads,
 * inside the module (its split* exports post the helper's part to the control block and wait for it), so a
 * split call is one module call and jit's compiled programs can hold it. Products are split by rows (the same
 * numbers as one thread), a short product over a long inner dimension (a dense layer's) by halves of that
 * dimension, so that each thread keeps its half of the weights in its core's cache (rounded differently than
 * on one thread, but always the same way); convolution windows by images, pooling by planes, block
 * transposes by blocks, the update by halves. Whether to split depends on the shapes only, never on whether
 * the helper is running yet (a helper not running has its part done by the calling thread), so results never
 * depend on timing. Without a helper every call is the module's one-thread kernel.
 */
import { TEMP_ENTRIES, TN_TRANSPOSE_BELOW } from "./wasm-contract.ts";
import type { WasmExports } from "./wasm-exports.ts";

/** Products with fewer multiply-adds than this (dense count) are not worth a hand-off to the helper thread. */
const SPLIT_WORK = 1 << 16;
/** Updates and image kernels touching fewer numbers than this neither. */
const SPLIT_LENGTH = 1 << 13;
/** From this many rows a product is split by rows (tall: a convolution's), below it over its inner dimension. */
const TALL = 64;

/** The window geometry the image kernels take. */
interface Windows { readonly n: number; readonly c: number; readonly h: number; readonly w: number; readonly kh: number; readonly kw: number; readonly oh: number; readonly ow: number }

export class ThreadSplit {
  /**
   * `module` gives the module to call now (the backend swaps in a recorder while compiling a program).
   * `helperTemp` is the helper's scratch (where its half of a split inner dimension goes), `mainTemp` this
   * thread's transposition scratch.
   */
  constructor(
    private readonly threaded: boolean,
    private readonly module: () => WasmExports,
    private readonly helperTemp: number,
    private readonly mainTemp: number,
  ) {}

  /** out = op(a)·op(b) at these offsets (not both transposed). */
  matmul(pa: number, pb: number, po: number, m: number, k: number, n: number, transA: boolean, transB: boolean): void {
    const exec = this.module();
    const split = this.threaded && m >= 2 && m * k * n >= SPLIT_WORK;
    if (!transA && !transB) {
      if (split && m >= TALL) exec.splitRowsNN(pa, pb, po, m, k, n);
      else if (split && k >= 8 && m * n <= TEMP_ENTRIES) exec.splitNNPart(pa, pb, po, m, k, n, this.helperTemp);
      else if (split && m >= 8) exec.splitRowsNN(pa, pb, po, m, k, n);
      else exec.matmulNN(pa, pb, po, m, k, n);
    } else if (transA) {
      if (split && n > TN_TRANSPOSE_BELOW) exec.splitTNRows(pa, pb, po, m, k, n, 0, 0);
      else exec.matmulTN(pa, pb, po, m, k, n);
    } else if (split && m >= 8 && n * k <= TEMP_ENTRIES) {
      // As matmulNT does it (b transposed into this thread's temp, then a plain product), split by rows.
      exec.transposeBlocks(pb, this.mainTemp, 1, n, k);
      exec.splitRowsNN(pa, this.mainTemp, po, m, k, n);
    } else exec.matmulNT(pa, pb, po, m, k, n);
  }

  /** Rows of aᵀ·b (with c ≠ 0, of alpha·aᵀ·b + c), split between the threads when it is worth it. */
  tnRows(pa: number, pb: number, po: number, m: number, k: number, n: number, alpha: number, pc: number): void {
    if (this.threaded && m >= 2 && m * k * n >= SPLIT_WORK) this.module().splitTNRows(pa, pb, po, m, k, n, alpha, pc);
    else this.module().matmulTNRows(pa, pb, po, m, k, n, 0, m, alpha, pc);
  }

  /** out = alpha·x + y over `len` numbers, split in halves between the threads when long enough. */
  axpy(alpha: number, px: number, py: number, po: number, len: number): void {
    if (this.threaded && len >= SPLIT_LENGTH) this.module().splitAxpy(alpha, px, py, po, len);
    else this.module().axpy(alpha, px, py, po, len);
  }

  /** im2col (or col2im) of stride-1 unpadded windows, split by images. */
  windows(kernel: "im2col" | "col2im", px: number, po: number, g: Windows): void {
    const exec = this.module(), big = this.threaded && g.n >= 2 && g.n * g.oh * g.ow * g.c * g.kh * g.kw >= SPLIT_LENGTH;
    const f = kernel === "im2col" ? (big ? exec.splitIm2col : exec.im2colValid) : big ? exec.splitCol2im : exec.col2imValid;
    f(px, po, g.n, g.c, g.h, g.w, g.kh, g.kw, g.oh, g.ow);
  }

  /** 2×2 max pooling over `planes` planes of h×w, split by planes. */
  maxPool2(px: number, po: number, planes: number, h: number, w: number, oh: number, ow: number): void {
    if (this.threaded && planes >= 2 && planes * h * w >= SPLIT_LENGTH) this.module().splitMaxPool2(px, po, planes, h, w, oh, ow);
    else this.module().maxPool2(px, po, planes, h, w, oh, ow);
  }

  /** 2×2 max pooling's VJP, split by planes. */
  maxPool2Scatter(px: number, pg: number, po: number, planes: number, h: number, w: number, oh: number, ow: number): void {
    if (this.threaded && planes >= 2 && planes * h * w >= SPLIT_LENGTH) this.module().splitMaxPool2Scatter(px, pg, po, planes, h, w, oh, ow);
    else this.module().maxPool2Scatter(px, pg, po, planes, h, w, oh, ow);
  }

  /** Blocks of rows × cols transposed, split by blocks. */
  transposeBlocks(px: number, po: number, blocks: number, rows: number, cols: number): void {
    if (this.threaded && blocks >= 2 && blocks * rows * cols >= SPLIT_LENGTH) this.module().splitTransposeBlocks(px, po, blocks, rows, cols);
    else this.module().transposeBlocks(px, po, blocks, rows, cols);
  }

  /** Elementwise maps (binaryOp, unaryOp, scalarOp codes), sigmoid and its VJP: split in halves when long. */
  binaryOp(op: number, pa: number, pb: number, po: number, len: number): void {
    if (this.long(len)) this.module().splitBinaryOp(op, pa, pb, po, len);
    else this.module().binaryOp(op, pa, pb, po, len);
  }

  unaryOp(op: number, px: number, po: number, len: number): void {
    if (this.long(len)) this.module().splitUnaryOp(op, px, po, len);
    else this.module().unaryOp(op, px, po, len);
  }

  scalarOp(op: number, pa: number, ps: number, po: number, len: number): void {
    if (this.long(len)) this.module().splitScalarOp(op, pa, ps, po, len);
    else this.module().scalarOp(op, pa, ps, po, len);
  }

  sigmoid(px: number, po: number, len: number): void {
    if (this.long(len)) this.module().splitSigmoid(px, po, len);
    else this.module().sigmoid(px, po, len);
  }

  sigmoidGrad(pg: number, py: number, po: number, len: number): void {
    if (this.long(len)) this.module().splitSigmoidGrad(pg, py, po, len);
    else this.module().sigmoidGrad(pg, py, po, len);
  }

  /** A row (a bias) added to every row, split by rows. */
  addRow(pa: number, pb: number, po: number, rows: number, cols: number): void {
    if (rows >= 2 && this.long(rows * cols)) this.module().splitAddRow(pa, pb, po, rows, cols);
    else this.module().addRow(pa, pb, po, rows, cols);
  }

  private long(len: number): boolean {
    return this.threaded && len >= SPLIT_LENGTH;
  }
}
