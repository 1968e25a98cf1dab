/** Matrix products and transposes of 2-D tensors. */
import { defineOp } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { Tensor, allocate, expectTensor, shapeString, type Shape } from "../tensor.ts";
import { mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { permute, reshape } from "./shape.ts";

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
    if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} and ${b.dtype})`);
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

/** The matrix product a·b of 2-D tensors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectTensor("matmul", a, 1);
  expectTensor("matmul", b, 2);
  return matmulOp([a, b], { transA: false, transB: false });
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
