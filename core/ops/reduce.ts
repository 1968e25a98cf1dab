/** Sums and means over all axes or some. */
import { Tensor, shapeString } from "../tensor.ts";
import { sumToShape } from "./broadcast.ts";
import { mul } from "./elementwise.ts";
import { reshape } from "./shape.ts";

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (so the result broadcasts against the input). */
  readonly keepDims?: boolean;
}

function normaliseAxes(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const axes = typeof axis === "number" ? [axis] : [...axis];
  return axes.map((a) => {
    const n = a < 0 ? a + x.rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= x.rank) throw new Error(`${op}: axis ${a} is out of range for ${shapeString(x.shape)}`);
    return n;
  });
}

/** Sum of all elements, or along `axis` (a number or several). */
export function sum(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const axes = normaliseAxes("sum", x, axis);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const s = sumToShape(x, kept);
  return options.keepDims ? s : reshape(s, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Mean of all elements, or along `axis`. */
export function mean(x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const axes = normaliseAxes("mean", x, axis);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return mul(sum(x, axes, options), 1 / count);
}
