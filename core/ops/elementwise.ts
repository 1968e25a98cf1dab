/**
 * Elementwise ops: binary ones broadcast, and their VJPs sum back over the broadcast axes. Every VJP is
 * written with ops (the activations' fused derivative kernels are ops too, with VJPs of their own), so
 * derivatives of every order are right; at a kink (relu, abs, clip, maximum) the derivative taken is the
 * one the VJP names, and the derivatives of the 0/1 masks there are 0, as they are almost everywhere.
 */
import { defineOp, type BatchRule, type Op } from "../op.ts";
import { defaultDType, kernels } from "../kernels/backend.ts";
import type { BinaryKind, UnaryKind } from "../kernels/kernels.ts";
import { describeValue } from "../describe.ts";
import { Tensor, allocate, sameShape, shapeSize, shapeString, zeros, type DType, dtypesDiffer } from "../tensor.ts";
import { alignBatch, broadcastShapes, broadcastStrides, broadcastTo, sumToShape } from "./broadcast.ts";

/** A tensor, or a plain number that acts as a scalar. */
export type Operand = Tensor | number;

// (Checked at run time too: plain JavaScript could pass an array, a string or undefined, which would compute NaN
// or a coerced number rather than fail.)
function asTensor(x: Operand, dtype: DType, op: string, position: number): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number") throw new Error(`${op}: operand ${position} must be a Tensor or a number, got ${describeValue(x)}${Array.isArray(x) ? " (make it one with tensor(…))" : ""}`);
  const data = allocate(dtype, 1);
  data[0] = x;
  return new Tensor([], data);
}

function operands(a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : defaultDType();
  return [asTensor(a, dtype, op, 1), asTensor(b, dtype, op, 2)];
}

/** Applies a binary kernel with broadcasting; untraced (the forward of the binary ops). */
function rawBinary(op: string, kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw dtypesDiffer(op, a.dtype, b.dtype);
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(a.dtype, a.size);
    kernels().binary(kind, a.data, b.data, out);
    return new Tensor(a.shape, out);
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(a.dtype, shapeSize(shape));
  kernels().binaryBroadcast(kind, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape), out, shape);
  return new Tensor(shape, out);
}

function rawUnary(kind: UnaryKind, x: Tensor): Tensor {
  const out = allocate(x.dtype, x.size);
  kernels().unary(kind, x.data, out);
  return new Tensor(x.shape, out);
}

/** The derivative of something piecewise constant: zero, shaped like its input. */
const zeroVjp = (_g: Tensor, inputs: readonly Tensor[], _y: Tensor, _p: unknown, i = 0): Tensor => zeros(inputs[i].shape, inputs[i].dtype);

type Rule = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;

function binaryOp(name: string, kind: BinaryKind, vjpA: Rule, vjpB: Rule) {
  const op: Op<[Tensor, Tensor], undefined> = defineOp<[Tensor, Tensor]>({
    name,
    forward: ([a, b]) => rawBinary(name, kind, a, b),
    vjp: [
      (g, [a, b], y) => sumToShape(vjpA(g, a, b, y), a.shape),
      (g, [a, b], y) => sumToShape(vjpB(g, a, b, y), b.shape),
    ],
    // Both sides are given the examples' common rank, so the batch axis stays in front and apart.
    batch: ([a, b], [ba, bb]) => {
      const rank = Math.max(ba ? a.rank - 1 : a.rank, bb ? b.rank - 1 : b.rank);
      return op([ba ? alignBatch(a, rank) : a, bb ? alignBatch(b, rank) : b], undefined);
    },
  });
  return (a: Operand, b: Operand): Tensor => op(operands(a, b, name), undefined);
}

function unaryOp(kind: UnaryKind, vjp: (g: Tensor, x: Tensor, y: Tensor) => Tensor) {
  const op: Op<[Tensor], undefined> = defineOp<[Tensor]>({
    name: kind,
    forward: ([x]) => rawUnary(kind, x),
    vjp: [(g, [x], y) => vjp(g, x, y)],
    batch: ([x]) => op([x], undefined),
  });
  return (x: Tensor): Tensor => op([x], undefined);
}

/** A batching rule for ops whose inputs have one shape: a shared input is repeated for every example. */
function sameShapeBatch<P>(op: (inputs: Tensor[], params: P) => Tensor, name: string): BatchRule<Tensor[], P> {
  return (values, batched, params, size) => {
    const shapes = values.map((v, i) => (batched[i] ? v.shape.slice(1) : v.shape));
    if (!shapes.every((s) => sameShape(s, shapes[0]))) throw new Error(`${name}: shapes differ (${shapes.map(shapeString).join(" and ")})`);
    return op(values.map((v, i) => (batched[i] ? v : broadcastTo(v, [size, ...v.shape]))), params);
  };
}

/** a + b, broadcasting. */
export const add = binaryOp("add", "add", (g) => g, (g) => g);
/** a − b, broadcasting. */
export const sub = binaryOp("sub", "sub", (g) => g, (g) => neg(g));
/** a · b elementwise, broadcasting. */
export const mul = binaryOp("mul", "mul", (g, _a, b) => mul(g, b), (g, a) => mul(g, a));
/** a / b elementwise, broadcasting. */
export const div = binaryOp("div", "div", (g, _a, b) => div(g, b), (g, _a, b, y) => neg(div(mul(g, y), b)));
/**
 * aᵇ elementwise, broadcasting (`pow(x, 3)`). As JAX: d/da at 0⁰ is 0 (b·aᵇ⁻¹ would be 0·∞; a is taken as 1
 * there only, so every other point keeps all its derivatives, b = 0 included), and d/db = g·aᵇ·log a is 0
 * where a = 0 (0·(−∞) would be NaN); NaN for a < 0, where log a is.
 */
export const pow = binaryOp("pow", "pow",
  (g, a, b) => mul(g, mul(b, pow(where(mul(equal(a, 0), equal(b, 0)), 1, a), sub(b, 1)))),
  (g, a, _b, y) => mul(g, mul(y, log(where(equal(a, 0), 1, a)))));
// JAX's rule for max and min: the gradient to the side equal to the result, split in halves at a tie; a NaN
// result (either side NaN) equals neither, so both get 0 — the value is NaN, which is what shows.
const winner = (a: Tensor, b: Tensor) => add(greater(a, b), mul(equal(a, b), 0.5));
/** Elementwise larger of a and b; NaN if either is NaN; a tie splits the gradient in halves (JAX). */
export const maximum = binaryOp("maximum", "maximum", (g, a, b) => mul(g, winner(a, b)), (g, a, b) => mul(g, winner(b, a)));
/** Elementwise smaller of a and b; NaN if either is NaN; a tie splits the gradient in halves (JAX). */
export const minimum = binaryOp("minimum", "minimum", (g, a, b) => mul(g, winner(b, a)), (g, a, b) => mul(g, winner(a, b)));

/** 1 where x > 0, 0 where x ≤ 0, NaN where x is; its derivative is 0 (almost everywhere). */
export const heaviside = unaryOp("heaviside", (_g, x) => zeros(x.shape, x.dtype));
/** −1 or 1 by the sign of x; ±0 and NaN as they are (JAX); its derivative is 0 (almost everywhere). */
export const sign = unaryOp("sign", (_g, x) => zeros(x.shape, x.dtype));

// The activations' derivatives as ops of (cotangent, output or input): one fused kernel on the training path,
// and differentiable themselves.
const sigmoidGrad = binaryOp("sigmoidGrad", "sigmoidGrad",
  (g, _a, y) => sigmoidGrad(g, y),
  (g, a, y) => mul(mul(g, a), sub(1, mul(y, 2))));
const tanhGrad = binaryOp("tanhGrad", "tanhGrad",
  (g, _a, y) => tanhGrad(g, y),
  (g, a, y) => mul(mul(g, a), mul(y, -2)));
const reluGrad = binaryOp("reluGrad", "reluGrad", (g, _a, x) => reluGrad(g, x), (_g, _a, x) => zeros(x.shape, x.dtype));

/** sin x, elementwise. */
export const sin = unaryOp("sin", (g, x) => mul(g, cos(x)));
/** cos x, elementwise. */
export const cos = unaryOp("cos", (g, x) => neg(mul(g, sin(x))));
/** log(1 + x), accurate for x near 0 (where log(add(1, x)) loses the digits of x). */
export const log1p = unaryOp("log1p", (g, x) => div(g, add(x, 1)));
/** log(1 + eˣ), a smooth ReLU, computed without overflow; its derivative is sigmoid(x). */
export const softplus = unaryOp("softplus", (g, x) => mul(g, sigmoid(x)));
/** −x. */
export const neg = unaryOp("neg", (g) => neg(g));
/** eˣ. */
export const exp = unaryOp("exp", (g, _x, y) => mul(g, y));
/** Natural logarithm. */
export const log = unaryOp("log", (g, x) => div(g, x));
/** x². */
export const square = unaryOp("square", (g, x) => mul(g, mul(x, 2)));
/** √x. */
export const sqrt = unaryOp("sqrt", (g, _x, y) => div(g, mul(y, 2)));
/** |x| (gradient 0 at 0). */
export const abs = unaryOp("abs", (g, x) => mul(g, sign(x)));
/** 1 / (1 + e⁻ˣ), computed without overflow. */
export const sigmoid = unaryOp("sigmoid", (g, _x, y) => sigmoidGrad(g, y));
/** Hyperbolic tangent. */
export const tanh = unaryOp("tanh", (g, _x, y) => tanhGrad(g, y));
const zeroA: Rule = (_g, a) => zeros(a.shape, a.dtype);
const zeroB: Rule = (_g, _a, b) => zeros(b.shape, b.dtype);
const equalOp = binaryOp("equal", "equal", zeroA, zeroB);
const greaterOp = binaryOp("greater", "greater", zeroA, zeroB);
const greaterEqualOp = binaryOp("greaterEqual", "greaterEqual", zeroA, zeroB);
/** 1 where a = b, else 0 (broadcasting); its derivatives are 0. */
export const equal = (a: Operand, b: Operand): Tensor => equalOp(a, b);
/** 1 where a > b, else 0. */
export const greater = (a: Operand, b: Operand): Tensor => greaterOp(a, b);
/** 1 where a ≥ b, else 0. */
export const greaterEqual = (a: Operand, b: Operand): Tensor => greaterEqualOp(a, b);
/** 1 where a < b, else 0. */
export const less = (a: Operand, b: Operand): Tensor => greaterOp(b, a);
/** 1 where a ≤ b, else 0. */
export const lessEqual = (a: Operand, b: Operand): Tensor => greaterEqualOp(b, a);

const selectOp: Op<[Tensor, Tensor, Tensor], undefined> = defineOp<[Tensor, Tensor, Tensor]>({
  name: "where",
  forward([c, a, b]) {
    if (!sameShape(c.shape, a.shape) || !sameShape(a.shape, b.shape)) throw new Error(`where: shapes differ (${[c, a, b].map((t) => shapeString(t.shape)).join(", ")})`);
    if (c.dtype !== a.dtype || a.dtype !== b.dtype) throw dtypesDiffer("where", c.dtype, a.dtype, b.dtype);
    const out = allocate(a.dtype, a.size);
    kernels().select(c.data, a.data, b.data, out);
    return new Tensor(a.shape, out);
  },
  vjp: [
    (g, inputs, y, p) => zeroVjp(g, inputs, y, p, 0),
    (g, [c]) => selectOp([c, g, zeros(g.shape, g.dtype)], undefined),
    (g, [c]) => selectOp([c, zeros(g.shape, g.dtype), g], undefined),
  ],
  batch: sameShapeBatch((i) => selectOp(i as [Tensor, Tensor, Tensor], undefined), "where"),
});

/**
 * a where `condition` is non-zero, else b (all three broadcast to one shape). Unlike c·a + (1 − c)·b, an
 * infinity or NaN on the side not chosen does not leak into the value or the gradient.
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : condition.dtype;
  if (!(condition instanceof Tensor)) throw new Error(`where: the condition must be a Tensor, got ${describeValue(condition)}`);
  const ta = asTensor(a, dtype, "where", 2), tb = asTensor(b, dtype, "where", 3);
  const shape = broadcastShapes("where", broadcastShapes("where", condition.shape, ta.shape), tb.shape);
  return selectOp([broadcastTo(condition, shape), broadcastTo(ta, shape), broadcastTo(tb, shape)], undefined);
}

/** max(x, 0): NaN stays NaN (JAX); gradient 0 at 0 and at NaN (JAX's `x > 0` select); second derivative 0. */
export const relu = unaryOp("relu", (g, x) => reluGrad(g, x));

interface Bounds {
  readonly lo: number;
  readonly hi: number;
}

const clipGradOp: Op<[Tensor, Tensor], Bounds> = defineOp<[Tensor, Tensor], Bounds>({
  name: "clipGrad",
  forward([g, x], { lo, hi }) {
    if (!sameShape(g.shape, x.shape)) throw new Error(`clipGrad: shapes differ (${shapeString(g.shape)} and ${shapeString(x.shape)})`);
    const out = allocate(x.dtype, x.size);
    kernels().clipGrad(g.data, x.data, out, lo, hi);
    return new Tensor(x.shape, out);
  },
  vjp: [(c, [, x], _y, bounds) => clipGradOp([c, x], bounds), (g, inputs, y, p) => zeroVjp(g, inputs, y, p, 1)],
  batch: sameShapeBatch((i, p: Bounds) => clipGradOp(i as [Tensor, Tensor], p), "clipGrad"),
});

const clipOp: Op<[Tensor], Bounds> = defineOp<[Tensor], Bounds>({
  name: "clip",
  forward([x], { lo, hi }) {
    const out = allocate(x.dtype, x.size);
    kernels().clip(x.data, out, lo, hi);
    return new Tensor(x.shape, out);
  },
  vjp: [(g, [x], _y, bounds) => clipGradOp([g, x], bounds)],
  batch: ([x], _b, bounds) => clipOp([x], bounds),
});

/** Limits every element to [lo, hi]; the gradient is 0 where the limit bites. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clip: lower bound ${lo} is above upper bound ${hi}`);
  return clipOp([x], { lo, hi });
}

const addScaledOp: Op<[Tensor, Tensor], number> = defineOp<[Tensor, Tensor], number>({
  name: "addScaled",
  forward([a, b], alpha) {
    if (!sameShape(a.shape, b.shape)) throw new Error(`addScaled: shapes differ (${a.shape.join("x")} and ${b.shape.join("x")})`);
    if (a.dtype !== b.dtype) throw dtypesDiffer("addScaled", a.dtype, b.dtype);
    const out = allocate(a.dtype, a.size);
    kernels().axpy(alpha, b.data, a.data, out);
    return new Tensor(a.shape, out);
  },
  vjp: [(g) => g, (g, _x, _y, alpha) => mul(g, alpha)],
  batch: sameShapeBatch((i, p: number) => addScaledOp(i as [Tensor, Tensor], p), "addScaled"),
});

/** a + alpha·b for same-shape tensors, in one pass (an optimizer's update). */
export function addScaled(a: Tensor, b: Tensor, alpha: number): Tensor {
  return addScaledOp([a, b], alpha);
}

const identityOp: Op<[Tensor], undefined> = defineOp<[Tensor]>({
  name: "identity",
  forward: ([x]) => new Tensor(x.shape, x.data),
  vjp: [(g) => g],
  batch: ([x]) => identityOp([x], undefined),
});

/** The same value as a new tensor (the transforms give each traced input one, so no two inputs share an identity). */
export function identity(x: Tensor): Tensor {
  return identityOp([x], undefined);
}

const stopGradientOp: Op<[Tensor], undefined> = defineOp<[Tensor]>({
  name: "stopGradient",
  forward: ([x]) => new Tensor(x.shape, x.data),
  vjp: [zeroVjp],
  batch: ([x]) => stopGradientOp([x], undefined),
});

/** The value of x, treated as a constant: its derivatives of every order are zero. */
export function stopGradient(x: Tensor): Tensor {
  return stopGradientOp([x], undefined);
}
