/** Sums and means over all axes or some. */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { describeValue } from "../describe.ts";
import { Tensor, allocate, expectTensor, shapeSize, shapeString } from "../tensor.ts";
import { sumToShape } from "./broadcast.ts";
import { add, div, equal, exp, log, mul, neg, stopGradient, sub, where } from "./elementwise.ts";
import { concat, moveAxis, reshape, slice } from "./shape.ts";

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (so the result broadcasts against the input). */
  readonly keepDims?: boolean;
}

function normaliseAxes(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  if (typeof axis !== "number" && !Array.isArray(axis)) throw new Error(`${op}: axis must be a whole number or an array of them, got ${describeValue(axis)}`);
  const axes = typeof axis === "number" ? [axis] : [...axis];
  return axes.map((a) => {
    if (typeof a !== "number" || !Number.isInteger(a)) throw new Error(`${op}: axis must be a whole number, got ${describeValue(a)}`);
    const n = a < 0 ? a + x.rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= x.rank) throw new Error(`${op}: axis ${a} is out of range for ${shapeString(x.shape)}`);
    return n;
  });
}

/** Sum of all elements, or along `axis` (a number or several). */
export function sum(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("sum", x, 1);
  const axes = normaliseAxes("sum", x, axis);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const s = sumToShape(x, kept);
  return options.keepDims ? s : reshape(s, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Mean of all elements, or along `axis`. */
export function mean(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("mean", x, 1);
  const axes = normaliseAxes("mean", x, axis);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return mul(sum(x, axes, options), 1 / count);
}

interface MaxParams {
  /** Sorted, distinct axes to reduce. */
  readonly axes: readonly number[];
}

/** The input's shape with 1 on the reduced axes. */
const keptShape = (shape: readonly number[], axes: readonly number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

const maxOp: Op<[Tensor], MaxParams> = defineOp<[Tensor], MaxParams>({
  name: "max",
  forward([x], { axes }) {
    if (axes.some((a) => x.shape[a] === 0)) throw new Error(`max: cannot reduce an empty axis of ${shapeString(x.shape)}`);
    const kept = keptShape(x.shape, axes);
    const strides = new Array<number>(x.rank);
    for (let i = x.rank - 1, s = 1; i >= 0; i--) {
      strides[i] = axes.includes(i) ? 0 : s;
      s *= kept[i];
    }
    const out = allocate(x.dtype, shapeSize(kept));
    kernels().maxInto(x.data, x.shape, out, strides);
    return new Tensor(kept, out);
  },
  // The gradient goes to the elements equal to the max, shared equally among ties (as JAX does).
  vjp: [(g, [x], y) => {
    const hit = equal(x, y);
    return div(mul(g, hit), sumToShape(hit, y.shape));
  }],
  batch: ([x], _b, { axes }) => maxOp([x], { axes: axes.map((a) => a + 1) }),
});

/** The largest element, or the largest along `axis`; the gradient flows to the largest (split among ties). */
export function max(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("max", x, 1);
  const axes = [...new Set(normaliseAxes("max", x, axis))].sort((a, b) => a - b);
  const m = maxOp([x], { axes });
  return options.keepDims ? m : reshape(m, x.shape.filter((_, i) => !axes.includes(i)));
}

/** log Σ exp(x), over all elements or along `axis`, computed around the max so it neither overflows nor underflows. */
export function logSumExp(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("logSumExp", x, 1);
  const axes = normaliseAxes("logSumExp", x, axis);
  // The shift is a constant for the derivative: the result does not depend on it. Where the max is ±∞ or NaN
  // the shift is 0 (as JAX), so all −∞ gives −∞ (not −∞ − −∞ = NaN), and +∞ gives +∞.
  const top = stopGradient(max(x, axes, { keepDims: true }));
  const m = where(equal(sub(top, top), 0), top, 0);
  const r = add(log(sum(exp(sub(x, m)), axes, { keepDims: true })), m);
  return options.keepDims ? r : reshape(r, x.shape.filter((_, i) => !axes.includes(i)));
}

/** The smallest element, or the smallest along `axis`; the gradient flows to the smallest (split among ties). NaN propagates. */
export function min(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("min", x, 1);
  normaliseAxes("min", x, axis);
  return neg(max(neg(x), axis, options));
}

/**
 * The product of all elements, or along `axis` (1 for an empty axis). Computed as a tree of elementwise
 * products of halves, so its gradient is exact where an entry is 0 (not prod/x) and has every order.
 */
export function prod(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  expectTensor("prod", x, 1);
  const axes = [...new Set(normaliseAxes("prod", x, axis))].sort((a, b) => a - b);
  const kept = x.shape.filter((_, i) => !axes.includes(i));
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  // The reduced axes first, as one axis of n: [n, ...kept].
  let t = x;
  axes.forEach((a, i) => { t = moveAxis(t, a, i); });
  t = reshape(t, [n, ...kept]);
  if (n === 0) t = add(reshape(sum(t, 0), [1, ...kept]), 1);
  while (t.shape[0] > 1) {
    const len = t.shape[0], half = Math.floor(len / 2);
    const paired = mul(slice(t, 0, 0, half), slice(t, 0, half, 2 * half));
    t = len % 2 === 0 ? paired : concat([paired, slice(t, 0, 2 * half, len)], 0);
  }
  const r = reshape(t, kept);
  return options.keepDims ? reshape(r, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : r;
}
