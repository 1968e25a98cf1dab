/**
 * Products with sparse rows (core/sparse.ts): x·w and xᵀ·g for a SparseBatch x, and x made dense. Each is
 * an op over the row numbers and the dense operand, the matrix a static parameter. The row numbers are
 * piecewise constant inputs: their gradient is zero (as JAX's for the indices of a gather).
 */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { SparseBatch, type CsrMatrix } from "../sparse.ts";
import { Tensor, allocate, shapeString, zeros } from "../tensor.ts";
import { mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { reshape } from "./shape.ts";

interface Sparse {
  readonly matrix: CsrMatrix;
}

const noGradient = (_g: Tensor, [rows]: readonly Tensor[]) => zeros(rows.shape, rows.dtype);

function checkDtypes(op: string, rows: Tensor, other: Tensor): void {
  if (rows.dtype !== other.dtype) throw new Error(`${op}: the batch is ${rows.dtype} and the matrix ${other.dtype}; cast one of them`);
}

/** The batch's rows dense, whole batches of row numbers at once (inside vmap): [size, n, cols]. */
function denseRows(rows: Tensor, matrix: CsrMatrix): Tensor {
  return toDenseOp([rows], { matrix });
}

// rows [n] (or [size, n] in a batching rule's hands: every row number at once) → [n, cols].
const toDenseOp: Op<[Tensor], Sparse> = defineOp<[Tensor], Sparse>({
  name: "sparseToDense",
  forward([rows], { matrix }) {
    const out = allocate(rows.dtype, rows.size * matrix.cols);
    kernels().sparseToDense(matrix, rows.data, out);
    return new Tensor([...rows.shape, matrix.cols], out);
  },
  vjp: [noGradient],
  batch: ([rows], _b, p) => toDenseOp([rows], p),
});

// x·w: rows [n], w [cols, h] → [n, h].
const productOp: Op<[Tensor, Tensor], Sparse> = defineOp<[Tensor, Tensor], Sparse>({
  name: "sparseMatmul",
  forward([rows, w], { matrix }) {
    if (w.rank !== 2 || w.shape[0] !== matrix.cols) throw new Error(`sparseMatmul: a batch of ${matrix.cols} columns times ${shapeString(w.shape)}`);
    checkDtypes("sparseMatmul", rows, w);
    const n = rows.size, h = w.shape[1];
    const out = allocate(w.dtype, n * h);
    kernels().sparseMatmul(matrix, rows.data, w.data, out, n, h);
    return new Tensor([n, h], out);
  },
  vjp: [noGradient, (g, [rows], _y, p) => transposedOp([rows, g], p)],
  batch([rows, w], [br, bw], p, size) {
    // Every example's rows times one shared w: all the rows in one product.
    if (br && !bw) return reshape(productOp([reshape(rows, [rows.size]), w], p), [size, rows.shape[1], w.shape[1]]);
    // Otherwise dense rows [size|1, n, cols, 1] times w [size|1, 1, cols, h], summed over cols.
    const x = denseRows(rows, p.matrix);
    const xs = reshape(x, br ? [size, x.shape[1], x.shape[2], 1] : [1, x.shape[0], x.shape[1], 1]);
    const ws = reshape(w, bw ? [size, 1, w.shape[1], w.shape[2]] : [1, 1, w.shape[0], w.shape[1]]);
    return sum(mul(xs, ws), 2);
  },
});

// xᵀ·g: rows [n], g [n, h] → [cols, h].
const transposedOp: Op<[Tensor, Tensor], Sparse> = defineOp<[Tensor, Tensor], Sparse>({
  name: "sparseMatmulT",
  forward([rows, g], { matrix }) {
    if (g.rank !== 2 || g.shape[0] !== rows.size) throw new Error(`sparseMatmulT: a batch of ${rows.size} rows, transposed, times ${shapeString(g.shape)}`);
    checkDtypes("sparseMatmulT", rows, g);
    const n = rows.size, h = g.shape[1];
    const out = allocate(g.dtype, matrix.cols * h);
    kernels().sparseMatmulT(matrix, rows.data, g.data, out, n, h);
    return new Tensor([matrix.cols, h], out);
  },
  vjp: [noGradient, (c, [rows], _y, p) => productOp([rows, c], p)],
  batch([rows, g], [br, bg], p, size) {
    // Dense rows [size|1, n, cols, 1] times g [size|1, n, 1, h], summed over the examples.
    const x = denseRows(rows, p.matrix);
    const xs = reshape(x, br ? [size, x.shape[1], x.shape[2], 1] : [1, x.shape[0], x.shape[1], 1]);
    const gs = reshape(g, bg ? [size, g.shape[1], 1, g.shape[2]] : [1, g.shape[0], 1, g.shape[1]]);
    return sum(mul(xs, gs), 1);
  },
});

/** x·w for a SparseBatch x (n×cols) and a matrix w (cols×h): the non-zero entries only. */
export function sparseMatmul(x: SparseBatch, w: Tensor): Tensor {
  if (!(x instanceof SparseBatch)) throw new Error("sparseMatmul: the first operand must be a SparseBatch");
  return productOp([x.rows, w], { matrix: x.matrix });
}

/** xᵀ·g for a SparseBatch x (n×cols) and g (n×h): cols×h, the gradient of x·w for w. */
export function sparseMatmulT(x: SparseBatch, g: Tensor): Tensor {
  if (!(x instanceof SparseBatch)) throw new Error("sparseMatmulT: the first operand must be a SparseBatch");
  return transposedOp([x.rows, g], { matrix: x.matrix });
}

/** The batch's rows as a dense tensor (n×cols). */
export function toDense(x: SparseBatch): Tensor {
  if (!(x instanceof SparseBatch)) throw new Error("toDense: expects a SparseBatch");
  return toDenseOp([x.rows], { matrix: x.matrix });
}
