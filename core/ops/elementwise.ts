/** Elementwise ops: binary ones broadcast, and their VJPs sum back over the broadcast axes. */
import { defineOp } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import type { BinaryKind, UnaryKind } from "../kernels/kernels.ts";
import { Tensor, allocate, sameShape, shapeSize, type DType } from "../tensor.ts";
import { broadcastShapes, broadcastStrides, sumToShape } from "./broadcast.ts";

/** A tensor, or a plain number that acts as a scalar. */
export type Operand = Tensor | number;

function asTensor(x: Operand, dtype: DType): Tensor {
  if (x instanceof Tensor) return x;
  const data = allocate(dtype, 1);
  data[0] = x;
  return new Tensor([], data);
}

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "float64";
  const ta = asTensor(a, dtype), tb = asTensor(b, dtype);
  return [ta, tb];
}

/** Applies a binary kernel with broadcasting; untraced (used by forwards and VJPs alike). */
export function rawBinary(op: string, kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes differ (${a.dtype} and ${b.dtype})`);
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

function binaryOp(name: string, kind: BinaryKind, vjpA: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor, vjpB: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor) {
  const op = defineOp<[Tensor, Tensor]>({
    name,
    forward: ([a, b]) => rawBinary(name, kind, a, b),
    vjp: [
      (g, [a, b], y) => sumToShape(vjpA(g, a, b, y), a.shape),
      (g, [a, b], y) => sumToShape(vjpB(g, a, b, y), b.shape),
    ],
  });
  return (a: Operand, b: Operand): Tensor => op(operands(a, b), undefined);
}

function unaryOp(kind: UnaryKind, vjp: (g: Tensor, x: Tensor, y: Tensor) => Tensor) {
  const op = defineOp<[Tensor]>({ name: kind, forward: ([x]) => rawUnary(kind, x), vjp: [(g, [x], y) => vjp(g, x, y)] });
  return (x: Tensor): Tensor => op([x], undefined);
}

/** a + b, broadcasting. */
export const add = binaryOp("add", "add", (g) => g, (g) => g);
/** a − b, broadcasting. */
export const sub = binaryOp("sub", "sub", (g) => g, (g) => neg(g));
/** a · b elementwise, broadcasting. */
export const mul = binaryOp("mul", "mul", (g, _a, b) => mul(g, b), (g, a) => mul(g, a));
/** a / b elementwise, broadcasting. */
export const div = binaryOp("div", "div", (g, _a, b) => div(g, b), (g, _a, b, y) => neg(div(mul(g, y), b)));
/** Elementwise larger of a and b (ties send the gradient to a). */
export const maximum = binaryOp("maximum", "maximum",
  (g, a, b) => mul(g, sub(1, rawUnary("step", sub(b, a)))),
  (g, a, b) => mul(g, rawUnary("step", sub(b, a))));
/** Elementwise smaller of a and b (ties send the gradient to a). */
export const minimum = binaryOp("minimum", "minimum",
  (g, a, b) => mul(g, sub(1, rawUnary("step", sub(a, b)))),
  (g, a, b) => mul(g, rawUnary("step", sub(a, b))));

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
export const abs = unaryOp("abs", (g, x) => mul(g, rawUnary("sign", x)));
/** 1 / (1 + e⁻ˣ), computed without overflow. */
export const sigmoid = unaryOp("sigmoid", (g, _x, y) => rawBinary("sigmoid", "sigmoidGrad", g, y));
/** Hyperbolic tangent. */
export const tanh = unaryOp("tanh", (g, _x, y) => rawBinary("tanh", "tanhGrad", g, y));
/** max(x, 0) (gradient 0 at 0). */
export const relu = unaryOp("relu", (g, x) => rawBinary("relu", "reluGrad", g, x));

const clipOp = defineOp<[Tensor], { lo: number; hi: number }>({
  name: "clip",
  forward([x], { lo, hi }) {
    const out = allocate(x.dtype, x.size);
    kernels().clip(x.data, out, lo, hi);
    return new Tensor(x.shape, out);
  },
  vjp: [(g, [x], _y, { lo, hi }) => {
    const out = allocate(x.dtype, x.size);
    kernels().clipGrad(g.data, x.data, out, lo, hi);
    return new Tensor(x.shape, out);
  }],
});

/** Limits every element to [lo, hi]; the gradient is 0 where the limit bites. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clip: lower bound ${lo} is above upper bound ${hi}`);
  return clipOp([x], { lo, hi });
}

const addScaledOp = defineOp<[Tensor, Tensor], number>({
  name: "addScaled",
  forward([a, b], alpha) {
    if (!sameShape(a.shape, b.shape)) throw new Error(`addScaled: shapes differ (${a.shape.join("x")} and ${b.shape.join("x")})`);
    if (a.dtype !== b.dtype) throw new Error(`addScaled: dtypes differ (${a.dtype} and ${b.dtype})`);
    const out = allocate(a.dtype, a.size);
    kernels().axpy(alpha, b.data, a.data, out);
    return new Tensor(a.shape, out);
  },
  vjp: [(g) => g, (g, _x, _y, alpha) => mul(g, alpha)],
});

/** a + alpha·b for same-shape tensors, in one pass (an optimizer's update). */
export function addScaled(a: Tensor, b: Tensor, alpha: number): Tensor {
  return addScaledOp([a, b], alpha);
}
