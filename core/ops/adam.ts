/**
 * Adam's update in three one-pass ops (optax's scale_by_adam, then the step): each is the op sequence it
 * replaces (nn's adam before: ~13 elementwise passes per parameter tensor), computed in one pass with the same
 * operations in the same order, so the same numbers. Their derivatives and batching rules are those of that
 * sequence (written with ordinary ops), so they compose with every transform.
 */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { vjp } from "../transforms.ts";
import { Tensor, allocate, sameShape, shapeString, dtypesDiffer } from "../tensor.ts";
import { add, div, mul, sqrt, square } from "./elementwise.ts";
import { reshape } from "./shape.ts";

interface Moment {
  readonly a: number;
  readonly b: number;
  readonly square: boolean;
}

/** a·x + b·g (or b·g² with square): the sequence the moment op stands for. */
const momentOf = (x: Tensor, g: Tensor, p: Moment) => add(mul(x, p.a), mul(p.square ? square(g) : g, p.b));

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: shapes differ (${shapeString(a.shape)} and ${shapeString(b.shape)})`);
  if (a.dtype !== b.dtype) throw dtypesDiffer(op, a.dtype, b.dtype);
}

const momentOp: Op<[Tensor, Tensor], Moment> = defineOp<[Tensor, Tensor], Moment>({
  name: "adamMoment",
  forward([x, g], p) {
    checkSame("adamMoment", x, g);
    const out = allocate(x.dtype, x.size);
    kernels().adamMoment(x.data, g.data, p.a, p.b, p.square, out);
    return new Tensor(x.shape, out);
  },
  vjp: [
    (c, _i, _y, p) => mul(c, p.a),
    (c, [, g], _y, p) => (p.square ? mul(c, mul(g, 2 * p.b)) : mul(c, p.b)),
  ],
  batch: ([x, g], _b, p) => momentOf(x, g, p),
});

/** w + (m·c1)/(√(v·c2) + eps): the sequence the step op stands for (c1, c2 single numbers as tensors). */
const stepOf = (w: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, eps: number) => add(w, div(mul(m, c1), add(sqrt(mul(v, c2)), eps)));

const stepOp: Op<[Tensor, Tensor, Tensor, Tensor, Tensor], number> = defineOp<[Tensor, Tensor, Tensor, Tensor, Tensor], number>({
  name: "adamStep",
  forward([w, m, v, c1, c2], eps) {
    checkSame("adamStep", w, m);
    checkSame("adamStep", w, v);
    for (const c of [c1, c2]) {
      if (c.size !== 1 || c.dtype !== w.dtype) throw new Error(`adamStep: the corrections must be single ${w.dtype} numbers, got ${shapeString(c.shape)} ${c.dtype}`);
    }
    const out = allocate(w.dtype, w.size);
    kernels().adamStep(w.data, m.data, v.data, c1.data, c2.data, eps, out);
    return new Tensor(w.shape, out);
  },
  // Each input's VJP is that of the sequence (a gradient through an optimizer's step is rare: clarity first).
  vjp: [stepVjp(0), stepVjp(1), stepVjp(2), stepVjp(3), stepVjp(4)],
  batch([w, m, v, c1, c2], batched, eps, size) {
    // The sequence on whole batches; a batched correction ([size]) is lined up with the batch axis.
    const exampleRank = batched[0] ? w.rank - 1 : batched[1] ? m.rank - 1 : batched[2] ? v.rank - 1 : w.rank;
    const lined = (c: Tensor, b: boolean) => (b ? reshape(c, [size, ...new Array<number>(exampleRank).fill(1)]) : c);
    return stepOf(w, m, v, lined(c1, batched[3]), lined(c2, batched[4]), eps);
  },
});

function stepVjp(i: number) {
  return (c: Tensor, inputs: readonly Tensor[], _y: Tensor, eps: number): Tensor => {
    const [w, m, v, c1, c2] = inputs;
    const [, pullback] = vjp((w: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor) => stepOf(w, m, v, c1, c2, eps), w, m, v, c1, c2);
    return pullback(c)[i];
  };
}

/** μ' = a·μ + b·g (with square, a·ν + b·g²) in one pass: the moments of Adam (a = b1 and b = 1 − b1, …). */
export function adamMoment(x: Tensor, g: Tensor, a: number, b: number, squareG = false): Tensor {
  return momentOp([x, g], { a, b, square: squareG });
}

/** w + (m·c1)/(√(v·c2) + eps) in one pass: Adam's step, c1 = −η/(1 − b1ᵗ) and c2 = 1/(1 − b2ᵗ) as single-number tensors. */
export function adamStep(w: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, eps: number): Tensor {
  return stepOp([w, m, v, c1, c2], eps);
}
