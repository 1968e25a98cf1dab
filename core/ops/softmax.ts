/** Softmax and log-softmax along the last axis, in the stable (max-subtracted) form. */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { describeValue } from "../describe.ts";
import { Tensor, allocate, expectTensor, shapeString } from "../tensor.ts";
import { moveAxis } from "./shape.ts";
import { mul, sub } from "./elementwise.ts";
import { sum } from "./reduce.ts";

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.rank === 0) throw new Error(`${op}: needs at least one axis, got ${shapeString(x.shape)}`);
  const cols = x.shape[x.rank - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function rowSoftmax(op: string, x: Tensor, log: boolean): Tensor {
  const [rows, cols] = rowsCols(op, x);
  const out = allocate(x.dtype, x.size);
  kernels().softmaxRows(x.data, out, rows, cols, log);
  return new Tensor(x.shape, out);
}

const last = -1;

const softmaxOp: Op<[Tensor], undefined> = defineOp<[Tensor]>({
  name: "softmax",
  forward: ([x]) => rowSoftmax("softmax", x, false),
  // y ⊙ (g − Σ g⊙y): the Jacobian of softmax applied without forming it.
  vjp: [(g, _x, y) => mul(y, sub(g, sum(mul(g, y), last, { keepDims: true })))],
  batch: ([x]) => softmaxOp([exampleRows("softmax", x)], undefined),
});

const logSoftmaxOp: Op<[Tensor], undefined> = defineOp<[Tensor]>({
  name: "logSoftmax",
  forward: ([x]) => rowSoftmax("logSoftmax", x, true),
  // g − softmax(x) · Σ g.
  vjp: [(g, [x]) => sub(g, mul(softmax(x), sum(g, last, { keepDims: true })))],
  batch: ([x]) => logSoftmaxOp([exampleRows("logSoftmax", x)], undefined),
});

/** A batch whose examples have a last axis (the batch axis must never be the one normalised over). */
function exampleRows(op: string, x: Tensor): Tensor {
  if (x.rank < 2) throw new Error(`${op}: needs at least one axis, got ${shapeString(x.shape.slice(1))}`);
  return x;
}

/** Runs a last-axis op along `axis`: that axis moved last and back (a copy only when it is not last already). */
function alongAxis(op: string, x: Tensor, axis: unknown, f: (t: Tensor) => Tensor): Tensor {
  expectTensor(op, x, 1);
  if (typeof axis !== "number" || !Number.isInteger(axis)) throw new Error(`${op}: axis must be a whole number, got ${describeValue(axis)}`);
  if (x.rank === 0) throw new Error(`${op}: needs at least one axis, got ${shapeString(x.shape)}`);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new Error(`${op}: axis ${axis} is out of range for ${shapeString(x.shape)}`);
  if (a === x.rank - 1) return f(x);
  return moveAxis(f(moveAxis(x, a, x.rank - 1)), x.rank - 1, a);
}

/** Softmax along `axis` (default the last, as JAX). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis("softmax", x, axis, (t) => softmaxOp([t], undefined));
}

/** log(softmax(x)) along `axis` (default the last), without computing log of a rounded-to-zero probability. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis("logSoftmax", x, axis, (t) => logSoftmaxOp([t], undefined));
}
