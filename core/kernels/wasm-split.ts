/**
 * The wasm backend's thread split: with a helper thread, the large products and the update are split
 * between the two threads by halves of the weights' rows (or of the inner dimension), so each core keeps its
 * half of the weights in its cache. Whether to split depends on the shapes only, never on whether the helper
 * is running yet (a helper not running has its half done by the calling thread), so results never depend on
 * timing. Without a helper every call is the module's one-thread kernel.
 */
import { SCRATCH_ENTRIES, TN_TRANSPOSE_BELOW } from "./wasm-contract.ts";
import type { WasmExports } from "./wasm-exports.ts";
import { HelperOp, type HelperLink } from "./wasm-helper.ts";

/** Products with fewer multiply-adds than this (dense count) are not worth a hand-off to the helper thread. */
const SPLIT_WORK = 1 << 16;
/** Updates shorter than this neither. */
const SPLIT_LENGTH = 1 << 13;
/** Where two threads split n rows (or numbers): the middle, rounded down to a multiple of four. */
const splitPoint = (n: number) => (n >> 1) & ~3;

export class ThreadSplit {
  /**
   * `module` gives the module to call now (the backend swaps in a recorder while compiling a program; with a
   * helper nothing is compiled). `helperTemp` and `mainTemp` are the two threads' transposition scratch.
   */
  constructor(
    private readonly helper: HelperLink | undefined,
    private readonly module: () => WasmExports,
    private readonly helperTemp: number,
    private readonly mainTemp: number,
  ) {}

  /** out = op(a)·op(b) at these offsets (not both transposed). */
  matmul(pa: number, pb: number, po: number, m: number, k: number, n: number, transA: boolean, transB: boolean): void {
    const exec = this.module(), helper = this.helper;
    const split = helper !== undefined && m >= 2 && m * k * n >= SPLIT_WORK;
    if (!transA && !transB) {
      if (split && k >= 8 && m * n <= SCRATCH_ENTRIES) {
        // The helper sums over the second half of the inner dimension into its scratch, this thread over the
        // first half into out; then the two are added (the same split as the weight gradient's rows below).
        const h = splitPoint(k);
        helper.run(HelperOp.MatmulNNPart, pa, pb, this.helperTemp, m, k, n, h, k);
        exec.matmulNNPart(pa, pb, po, m, k, n, 0, h);
        helper.wait();
        exec.addInto(po, this.helperTemp, m * n);
      } else if (split && m >= 8) this.rowsNN(pa, pb, po, m, k, n);
      else exec.matmulNN(pa, pb, po, m, k, n);
    } else if (transA) {
      if (split && n > TN_TRANSPOSE_BELOW) this.tnRows(pa, pb, po, m, k, n, 0, 0);
      else exec.matmulTN(pa, pb, po, m, k, n);
    } else if (split && m >= 8 && n * k <= SCRATCH_ENTRIES) {
      // As matmulNT does it (b transposed into this thread's temp, then a plain product), split by rows.
      exec.transposeBlocks(pb, this.mainTemp, 1, n, k);
      this.rowsNN(pa, this.mainTemp, po, m, k, n);
    } else exec.matmulNT(pa, pb, po, m, k, n);
  }

  /** Rows of aᵀ·b (with c ≠ 0, of alpha·aᵀ·b + c), split by rows between the threads when it is worth it. */
  tnRows(pa: number, pb: number, po: number, m: number, k: number, n: number, alpha: number, pc: number): void {
    const exec = this.module(), helper = this.helper;
    if (helper !== undefined && m >= 2 && m * k * n >= SPLIT_WORK) {
      const h = splitPoint(m);
      helper.run(HelperOp.MatmulTNRows, pa, pb, po, m, k, n, h, m, pc, alpha);
      exec.matmulTNRows(pa, pb, po, m, k, n, 0, h, alpha, pc);
      helper.wait();
    } else exec.matmulTNRows(pa, pb, po, m, k, n, 0, m, alpha, pc);
  }

  /** out = alpha·x + y over `len` numbers, split in halves between the threads when long enough. */
  axpy(alpha: number, px: number, py: number, po: number, len: number): void {
    const exec = this.module(), helper = this.helper;
    if (helper !== undefined && len >= SPLIT_LENGTH) {
      const h = splitPoint(len);
      helper.run(HelperOp.Axpy, px + h * 4, py + h * 4, po + h * 4, len - h, 0, 0, 0, 0, 0, alpha);
      exec.axpy(alpha, px, py, po, h);
      helper.wait();
    } else exec.axpy(alpha, px, py, po, len);
  }

  /**
   * a·b split by rows between the threads: each row is computed whole by one of them with the same code, so
   * the numbers are one thread's exactly (convolutions' products, too tall for the split over k).
   */
  private rowsNN(pa: number, pb: number, po: number, m: number, k: number, n: number): void {
    const exec = this.module(), helper = this.helper!;
    const h = splitPoint(m);
    helper.run(HelperOp.MatmulNNPart, pa + h * k * 4, pb, po + h * n * 4, m - h, k, n, 0, k);
    exec.matmulNNPart(pa, pb, po, h, k, n, 0, k);
    helper.wait();
  }
}
