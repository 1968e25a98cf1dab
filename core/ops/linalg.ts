/** Matrix products (numpy's matmul: vectors, matrices, batches) and transposes of 2-D tensors. */
import { defineOp } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { Tensor, allocate, expectTensor, shapeString, zeros, type Shape, dtypesDiffer } from "../tensor.ts";
import { mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { broadcastShapes, broadcastTo } from "./broadcast.ts";
import { permute, reshape, slice, stack } from "./shape.ts";

interface Transposes {
  readonly transA: boolean;
  readonly transB: boolean;
}

function matrixShape(op: string, shape: Shape): [number, number] {
  if (shape.length !== 2) throw new Error(`${op}: expects 2-D tensors, got ${shapeString(shape)}`);
  return [shape[0], shape[1]];
}

/** m, k, n of op(a)·op(b), or an error naming both shapes. */
function productDims(a: Shape, b: Shape, { transA, transB }: Transposes): [number, number, number] {
  const [ar, ac] = matrixShape("matmul", a);
  const [br, bc] = matrixShape("matmul", b);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) {
    const dims = (s: Shape, tr: boolean) => s.join("x") + (tr ? "ᵀ" : "");
    throw new Error(`matmul: inner dimensions differ (${dims(a, transA)} · ${dims(b, transB)})`);
  }
  return [m, k, n];
}

/** op(a)·op(b), with the gradients written as products of the same kind, so no transpose is ever materialised. */
const matmulOp = defineOp<[Tensor, Tensor], Transposes>({
  name: "matmul",
  forward([a, b], t) {
    const [m, k, n] = productDims(a.shape, b.shape, t);
    if (a.dtype !== b.dtype) throw dtypesDiffer("matmul", a.dtype, b.dtype);
    const out = allocate(a.dtype, m * n);
    kernels().matmul(a.data, b.data, out, m, k, n, t.transA, t.transB);
    return new Tensor([m, n], out);
  },
  vjp: [
    (g, [, b], _y, { transA, transB }) =>
      transA ? matmulT(b, g, transB, true) : matmulT(g, b, false, !transB),
    (g, [a], _y, { transA, transB }) =>
      transB ? matmulT(g, a, true, transA) : matmulT(a, g, !transA, false),
  ],
  batch([a, b], [ba, bb], t, size) {
    const ea = ba ? a.shape.slice(1) : a.shape, eb = bb ? b.shape.slice(1) : b.shape;
    const [m, k, n] = productDims(ea, eb, t);
    // Examples of a times one shared b: their rows stacked make one product.
    if (ba && !bb && !t.transA) return reshape(matmulT(reshape(a, [size * m, k]), b, false, t.transB), [size, m, n]);
    // Otherwise op(a) as [size or 1, m, k] and op(b) as [size or 1, k, n], multiplied by broadcasting and summed over k.
    const left = ba ? (t.transA ? permute(a, [0, 2, 1]) : a) : reshape(t.transA ? transpose(a) : a, [1, m, k]);
    const right = bb ? (t.transB ? permute(b, [0, 2, 1]) : b) : reshape(t.transB ? transpose(b) : b, [1, k, n]);
    return sum(mul(reshape(left, [left.shape[0], m, k, 1]), reshape(right, [right.shape[0], 1, k, n])), 2);
  },
});

/** op(a)·op(b) where `transA`/`transB` read a matrix as its transpose. */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  expectTensor("matmulT", a, 1);
  expectTensor("matmulT", b, 2);
  return matmulOp([a, b], { transA, transB });
}

/**
 * The matrix product a·b as numpy's `matmul`: 2-D by 2-D; a 1-D operand is a row (left) or a column (right)
 * whose axis is dropped from the result (1-D by 1-D is the dot product, a scalar); beyond 2-D the leading axes
 * are a batch of matrices, broadcast against each other.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectTensor("matmul", a, 1);
  expectTensor("matmul", b, 2);
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: operands must have at least one axis, got ${shapeString(a.shape)} and ${shapeString(b.shape)} (use mul for a scalar)`);
  const plain = { transA: false, transB: false };
  if (a.rank === 2 && b.rank === 2) return matmulOp([a, b], plain);
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a, b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const r = matmul(a2, b2);
    // Drop the axes the 1-D operands were given.
    const shape = r.shape.filter((_, i) => !((a.rank === 1 && i === r.rank - 2) || (b.rank === 1 && i === r.rank - 1)));
    return reshape(r, shape);
  }
  const [m, k] = a.shape.slice(-2), [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul: inner dimensions differ (${shapeString(a.shape)} · ${shapeString(b.shape)})`);
  // A batch of a's against one b: the rows stacked make one product.
  if (b.rank === 2) return reshape(matmulOp([reshape(a, [a.size / k, k]), b], plain), [...a.shape.slice(0, -1), n]);
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const count = batch.reduce((p, d) => p * d, 1);
  if (count === 0) return zeros([...batch, m, n], a.dtype); // an empty batch: nothing to multiply
  const as = reshape(broadcastTo(a, [...batch, m, k]), [count, m, k]), bs = reshape(broadcastTo(b, [...batch, k, n]), [count, k, n]);
  const products = Array.from({ length: count }, (_, i) =>
    matmulOp([reshape(slice(as, 0, i, i + 1), [m, k]), reshape(slice(bs, 0, i, i + 1), [k, n])], plain));
  return reshape(stack(products, 0), [...batch, m, n]);
}

const transposeOp = defineOp<[Tensor]>({
  name: "transpose",
  forward([x]) {
    const [r, c] = matrixShape("transpose", x.shape);
    const out = allocate(x.dtype, x.size);
    kernels().transpose(x.data, out, r, c);
    return new Tensor([c, r], out);
  },
  vjp: [(g) => transpose(g)],
  batch([x]) {
    matrixShape("transpose", x.shape.slice(1));
    return permute(x, [0, 2, 1]);
  },
});

/** The transpose of a 2-D tensor. */
export function transpose(x: Tensor): Tensor {
  expectTensor("transpose", x, 1);
  return transposeOp([x], undefined);
}
