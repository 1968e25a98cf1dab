/** Matrix products and transposes of 2-D tensors. */
import { defineOp } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { Tensor, allocate, shapeString } from "../tensor.ts";

interface Transposes {
  readonly transA: boolean;
  readonly transB: boolean;
}

function matrixShape(op: string, t: Tensor): [number, number] {
  if (t.rank !== 2) throw new Error(`${op}: expects 2-D tensors, got ${shapeString(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

/** op(a)·op(b), with the gradients written as products of the same kind, so no transpose is ever materialised. */
const matmulOp = defineOp<[Tensor, Tensor], Transposes>({
  name: "matmul",
  forward([a, b], { transA, transB }) {
    const [ar, ac] = matrixShape("matmul", a);
    const [br, bc] = matrixShape("matmul", b);
    const [m, k] = transA ? [ac, ar] : [ar, ac];
    const [k2, n] = transB ? [bc, br] : [br, bc];
    if (k !== k2) {
      const dims = (t: Tensor, tr: boolean) => t.shape.join("x") + (tr ? "ᵀ" : "");
      throw new Error(`matmul: inner dimensions differ (${dims(a, transA)} · ${dims(b, transB)})`);
    }
    if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} and ${b.dtype})`);
    const out = allocate(a.dtype, m * n);
    kernels().matmul(a.data, b.data, out, m, k, n, transA, transB);
    return new Tensor([m, n], out);
  },
  vjp: [
    (g, [, b], _y, { transA, transB }) =>
      transA ? matmulT(b, g, transB, true) : matmulT(g, b, false, !transB),
    (g, [a], _y, { transA, transB }) =>
      transB ? matmulT(g, a, true, transA) : matmulT(a, g, !transA, false),
  ],
});

/** op(a)·op(b) where `transA`/`transB` read a matrix as its transpose. */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return matmulOp([a, b], { transA, transB });
}

/** The matrix product a·b of 2-D tensors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return matmulOp([a, b], { transA: false, transB: false });
}

const transposeOp = defineOp<[Tensor]>({
  name: "transpose",
  forward([x]) {
    const [r, c] = matrixShape("transpose", x);
    const out = allocate(x.dtype, x.size);
    kernels().transpose(x.data, out, r, c);
    return new Tensor([c, r], out);
  },
  vjp: [(g) => transpose(g)],
});

/** The transpose of a 2-D tensor. */
export function transpose(x: Tensor): Tensor {
  return transposeOp([x], undefined);
}
