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
  /** The export of core/ops it exercises (default: the name's first word). */
  readonly op?: string;
  /** Its derivative is by design not the function's (stopGradient's is 0): vmap is checked, checkGrads is not. */
  readonly noGradCheck?: boolean;
}

/** The export of core/ops a case exercises. */
export const opOf = (c: OpCase): string => c.op ?? c.name.split(/[ (]/)[0];

/**
 * Exports of core/ops that are not differentiable ops of tensors, so have no case: shape arithmetic and the
 * makers of key tensors from keys (whose op, dropoutMask, has its case).
 */
export const notOps: Readonly<Record<string, string>> = {
  broadcastShapes: "shape arithmetic",
  convGeometry: "shape arithmetic",
  keyTensor: "makes a key's tensor from a key (not a tensor)",
  keyTensors: "makes key tensors from a key (not a tensor)",
  toDense: "takes a SparseBatch (row numbers, no tensor to differentiate): test/core/sparse.test.ts",
};

// A fixed sparse matrix (4 rows of 5 bytes, some rows empty) and a batch of its rows, repeats included.
const sparseBytes = Uint8Array.from([0, 51, 0, 0, 255, 0, 0, 0, 0, 0, 102, 0, 7, 0, 1, 0, 0, 0, 200, 0]);
const sparseRows = new T.SparseBatch(T.CsrMatrix.fromBytes(sparseBytes, 4, 5, 255), T.tensor([2, 0, 1, 2, 3]));

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

/** A tensor of `shape` whose entries are all different (0.37 apart, shuffled): no ties for max to split. */
const distinct = (shape: fc.Arbitrary<number[]>) =>
  shape.chain((s) => {
    const n = s.reduce((x, y) => x * y, 1);
    return fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }).map((order) => [T.fromArray(order.map((v) => 0.37 * v - 1), s)]);
  });
const nonEmpty = fc.array(small, { minLength: 1, maxLength: 3 });
/** Images (n, c, h, w) and filters (f, c, k, k) that fit them, with a stride and a padding. */
const convInputs = fc.record({
  n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 5 }), w: fc.integer({ min: 3, max: 5 }),
  f: fc.integer({ min: 1, max: 2 }), k: fc.integer({ min: 1, max: 3 }),
});
/** conv2d with a stride and a padding as its options (a case each: its inputs are only the tensors it differentiates). */
const convCase = (stride: number, padding: "valid" | "same"): OpCase => ({
  name: `conv2d (stride ${stride}, ${padding}, with bias)`,
  inputs: convInputs.chain((p) => fc.tuple(tensorOf([p.n, p.c, p.h, p.w]), tensorOf([p.f, p.c, p.k, p.k]), tensorOf([p.f]))),
  f: (x, w, b) => T.conv2d(x, w, b, { stride, padding }),
  smooth: true,
});
/** Images whose height and width are multiples of the window (2), entries distinct. */
const poolInputs = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })).map(([n, c, h, w]) => [n, c, 2 * h, 2 * w]);

export const opCases: readonly OpCase[] = [
  convCase(1, "valid"),
  convCase(2, "same"),
  { name: "maxPool2d (2×2)", inputs: distinct(poolInputs), f: (x) => T.maxPool2d(x, 2) },
  { name: "maxPool2d (3×3, stride 1)", inputs: distinct(fc.tuple(small, small).map(([h, w]) => [1, 2, h + 2, w + 2])), f: (x) => T.maxPool2d(x, 3, 1) },
  { name: "avgPool2d (2×2)", inputs: poolInputs.chain((s) => tensorOf(s).map((t) => [t])), f: (x) => T.avgPool2d(x, 2), smooth: true },
  { name: "max over the last axis", inputs: distinct(nonEmpty), f: (x) => T.max(x, -1) },
  { name: "max of all, keepDims", inputs: distinct(nonEmpty), f: (x) => T.max(x, undefined, { keepDims: true }) },
  { name: "logSumExp over the last axis", inputs: one(nonEmpty), f: (x) => T.logSumExp(x, -1), smooth: true },
  { name: "logSumExp of all", inputs: one(nonEmpty), f: (x) => T.logSumExp(x), smooth: true },
  {
    name: "where (broadcasting)",
    inputs: broadcastPair.chain(([a, b]) => fc.tuple(tensorOf(a, -2, 2, [0], 0.3), tensorOf(a), tensorOf(b))),
    f: (c, a, b) => T.where(T.greater(c, 0), a, b),
  },
  { name: "greater", inputs: apart, f: T.greater, flat: true },
  { name: "lessEqual", inputs: apart, f: T.lessEqual, flat: true },
  { name: "equal", inputs: apart, f: T.equal, flat: true },
  { name: "slice along the last axis", inputs: one(fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 3 })), f: (x) => T.slice(x, -1, 1, x.shape[x.rank - 1]), smooth: true },
  { name: "slice in the middle of the first axis", inputs: one(fc.array(fc.integer({ min: 3, max: 4 }), { minLength: 1, maxLength: 3 })), f: (x) => T.slice(x, 0, 1, -1), smooth: true },
  {
    name: "concat along axis 1",
    inputs: fc.tuple(small, small, small, small).chain(([r, a, b, c]) => fc.tuple(tensorOf([r, a, c]), tensorOf([r, b, c]))),
    f: (a, b) => T.concat([a, b, a], 1),
    smooth: true,
  },
  { name: "stack along a new last axis", inputs: anyShape.chain((s) => fc.tuple(tensorOf(s), tensorOf(s))), f: (a, b) => T.stack([a, b], -1), smooth: true },
  { name: "min over the first axis", inputs: distinct(nonEmpty), f: (x) => T.min(x, 0) },
  { name: "prod over the last axis", inputs: one(nonEmpty), f: (x) => T.prod(x, -1), smooth: true },
  { name: "prod of all, keepDims", inputs: one(nonEmpty), f: (x) => T.prod(x, undefined, { keepDims: true }), smooth: true },
  unary("softmax along axis 0", (x) => T.softmax(x, 0), -2, 2, [], { inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })) }),
  unary("sin", T.sin),
  unary("cos", T.cos),
  unary("log1p", T.log1p, -0.5, 2),
  unary("softplus", T.softplus, -4, 4),
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
  { name: "mean over the first axis", inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })), f: (x) => T.mean(x, 0), smooth: true },
  { name: "mean of all", inputs: one(anyShape), f: (x) => T.mean(x), smooth: true },
  { name: "sum over the first axis, keepDims", inputs: one(fc.array(small, { minLength: 1, maxLength: 3 })), f: (x) => T.sum(x, 0, { keepDims: true }), smooth: true },
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
  { name: "greaterEqual", inputs: apart, f: T.greaterEqual, flat: true },
  { name: "less", inputs: apart, f: T.less, flat: true },
  unary("stopGradient", T.stopGradient, -2, 2, [], { noGradCheck: true }),
  { name: "adamMoment (b·g)", inputs: anyShape.chain((s) => fc.tuple(tensorOf(s), tensorOf(s))), f: (x, g) => T.adamMoment(x, g, 0.9, 0.1), smooth: true },
  { name: "adamMoment (b·g², squared)", op: "adamMoment", inputs: anyShape.chain((s) => fc.tuple(tensorOf(s), tensorOf(s))), f: (x, g) => T.adamMoment(x, g, 0.999, 0.001, true), smooth: true },
  {
    name: "adamStep",
    inputs: anyShape.chain((s) => fc.tuple(tensorOf(s), tensorOf(s), tensorOf(s, 0.5, 2), tensorOf([], -2, 2), tensorOf([], 0.5, 2))),
    f: (w, m, v, c1, c2) => T.adamStep(w, m, v, c1, c2, 1e-3),
    smooth: true,
  },
  { name: "sparseMatmul (fixed rows, w)", inputs: small.chain((h) => tensorOf([5, h]).map((w) => [w])), f: (w) => T.sparseMatmul(sparseRows, w), smooth: true },
  { name: "sparseMatmulT (fixed rows, g)", inputs: small.chain((h) => tensorOf([5, h]).map((g) => [g])), f: (g) => T.sparseMatmulT(sparseRows, g), smooth: true },
  { name: "matmul", inputs: fc.tuple(small, small, small).chain(([m, k, n]) => fc.tuple(tensorOf([m, k]), tensorOf([k, n]))), f: T.matmul, smooth: true },
  { name: "moveAxis (first to last)", inputs: one(fc.array(small, { minLength: 2, maxLength: 3 })), f: (x) => T.moveAxis(x, 0, -1), smooth: true },
  { name: "im2col (3×3 windows)", inputs: one(fc.tuple(small, small, small).map(([c, h, w]) => [1, c, h + 2, w + 2])), f: (x) => T.im2col(x, 3, 3), smooth: true },
  {
    // The mask is a function of the key's whole numbers, so a difference step lands on a jump: its batching
    // rule is checked (one mask per example's key), its zero derivative by op-grads' piecewise-constant test.
    name: "dropoutMask (rate 0.5, from a key tensor)",
    inputs: fc.nat(10000).map((seed) => [T.keyTensor(T.key(seed))]),
    f: (k) => T.dropoutMask(k, [3, 4], 0.5),
    noGradCheck: true,
  },
];
