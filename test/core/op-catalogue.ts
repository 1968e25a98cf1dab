/**
 * Every public op as a test case: an arbitrary of its inputs (random shapes, broadcasting pairs, values kept
 * away from kinks and out of undefined domains) and the function applying it. The op tests run checkGrads
 * and vmap over this list; an op added to core belongs here too.
 */
import fc from "fast-check";
import * as T from "../../core/index.ts";
import { tensorOf } from "../helpers.ts";

export interface OpCase {
  readonly name: string;
  readonly inputs: fc.Arbitrary<T.Tensor[]>;
  readonly f: (...xs: T.Tensor[]) => T.Tensor;
  /** Smooth everywhere on its inputs' domain: checked to order 3. */
  readonly smooth?: boolean;
  /** Piecewise constant: derivatives are 0, which central differences confirm away from the jumps. */
  readonly flat?: boolean;
}

const small = fc.integer({ min: 1, max: 3 });
const anyShape = fc.array(small, { minLength: 0, maxLength: 3 });
const matrix = fc.tuple(small, small);

/** A shape and one that broadcasts to it (a suffix of it with some axes made 1). */
const fullAndReduced = fc
  .tuple(anyShape, fc.nat(3), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
  .map(([s, cut, ones]) => [s, s.slice(Math.min(cut, s.length)).map((d, i) => (ones[i] ? 1 : d))]);

/** Two shapes that broadcast against each other, in either order. */
const broadcastPair = fc.tuple(fullAndReduced, fc.boolean()).map(([[s, r], swap]) => (swap ? [r, s] : [s, r]));

const one = (shape: fc.Arbitrary<number[]>, lo = -2, hi = 2, avoid: number[] = []) =>
  shape.chain((s) => tensorOf(s, lo, hi, avoid).map((t) => [t]));

const pair = (lo: [number, number], hi: [number, number], avoid: number[] = []) =>
  broadcastPair.chain(([a, b]) => fc.tuple(tensorOf(a, lo[0], lo[1]), tensorOf(b, hi[0], hi[1], avoid)));

const unary = (name: string, f: (x: T.Tensor) => T.Tensor, lo = -2, hi = 2, avoid: number[] = [], extra: Partial<OpCase> = {}): OpCase =>
  ({ name, inputs: one(anyShape, lo, hi, avoid), f: (x) => f(x), smooth: avoid.length === 0, ...extra });

/**
 * Pairs whose difference stays away from 0 (maximum and minimum without ties): a's entries avoid four grid
 * points, b's are drawn from them. (Filtering random pairs instead can reject nearly every draw, since
 * fast-check favours the same boundary values on both sides.)
 */
const grid = [-1.5, -0.5, 0.5, 1.5];
const apart = broadcastPair.chain(([a, b]) => {
  const n = b.reduce((x, y) => x * y, 1);
  return fc.tuple(tensorOf(a, -2, 2, grid, 0.05), fc.array(fc.constantFrom(...grid), { minLength: n, maxLength: n }).map((v) => T.fromArray(v, b)));
});

const matmulCase = (transA: boolean, transB: boolean): OpCase => ({
  name: `matmulT(${transA ? "aᵀ" : "a"}, ${transB ? "bᵀ" : "b"})`,
  inputs: fc.tuple(small, small, small).chain(([m, k, n]) =>
    fc.tuple(tensorOf(transA ? [k, m] : [m, k]), tensorOf(transB ? [n, k] : [k, n]))),
  f: (a, b) => T.matmulT(a, b, transA, transB),
  smooth: true,
});

export const opCases: readonly OpCase[] = [
  unary("neg", T.neg),
  unary("exp", T.exp),
  unary("log", T.log, 0.5, 2),
  unary("square", T.square),
  unary("sqrt", T.sqrt, 0.5, 2),
  unary("abs", T.abs, -2, 2, [0]),
  unary("sigmoid", T.sigmoid, -4, 4),
  unary("tanh", T.tanh),
  unary("relu", T.relu, -2, 2, [0]),
  unary("clip", (x) => T.clip(x, -0.5, 0.5), -2, 2, [-0.5, 0.5]),
  unary("heaviside", T.heaviside, -2, 2, [0], { flat: true }),
  unary("sign", T.sign, -2, 2, [0], { flat: true }),
  unary("identity", T.identity),
  unary("softmax", T.softmax, -2, 2, [], { inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })) }),
  unary("logSoftmax", T.logSoftmax, -2, 2, [], { inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })) }),
  { name: "add", inputs: pair([-2, 2], [-2, 2]), f: T.add, smooth: true },
  { name: "sub", inputs: pair([-2, 2], [-2, 2]), f: T.sub, smooth: true },
  { name: "mul", inputs: pair([-2, 2], [-2, 2]), f: T.mul, smooth: true },
  { name: "div", inputs: pair([-2, 2], [0.5, 2]), f: T.div, smooth: true },
  { name: "pow", inputs: pair([0.5, 2], [-2, 2]), f: T.pow, smooth: true },
  { name: "pow by a number", inputs: one(anyShape, -2, 2), f: (x) => T.pow(x, 3), smooth: true },
  { name: "maximum", inputs: apart, f: T.maximum },
  { name: "minimum", inputs: apart, f: T.minimum },
  {
    name: "addScaled",
    inputs: anyShape.chain((s) => fc.tuple(tensorOf(s), tensorOf(s))),
    f: (a, b) => T.addScaled(a, b, -0.7),
    smooth: true,
  },
  matmulCase(false, false), matmulCase(true, false), matmulCase(false, true), matmulCase(true, true),
  { name: "transpose", inputs: one(matrix), f: T.transpose, smooth: true },
  { name: "sum over the first axis", inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })), f: (x) => T.sum(x, 0), smooth: true },
  { name: "sum over the last axis", inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })), f: (x) => T.sum(x, -1), smooth: true },
  { name: "sum of all", inputs: one(anyShape), f: (x) => T.sum(x), smooth: true },
  { name: "mean with keepDims", inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })), f: (x) => T.mean(x, -1, { keepDims: true }), smooth: true },
  { name: "reshape", inputs: one(anyShape), f: (x) => T.reshape(x, [-1]), smooth: true },
  { name: "permute (reversed axes)", inputs: one(anyShape), f: (x) => T.permute(x, x.shape.map((_, i) => x.rank - 1 - i)), smooth: true },
  {
    name: "broadcastTo",
    inputs: fullAndReduced.chain(([s, r]) => tensorOf(r).map((t) => [t, T.zeros(s)])),
    f: (x, like) => T.broadcastTo(x, like.shape),
    smooth: true,
  },
  {
    name: "sumToShape",
    inputs: fullAndReduced.chain(([s, r]) => tensorOf(s).map((t) => [t, T.zeros(r)])),
    f: (x, like) => T.sumToShape(x, like.shape),
    smooth: true,
  },
];
