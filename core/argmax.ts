/** Index of the largest entry of each row (the predicted class); not differentiable, so not an op. */
import { Tensor, shapeString } from "./tensor.ts";

/** v replaces the best so far: larger, or the first NaN (numpy's and JAX's argmax: a NaN is the maximum). */
const beats = (v: number, best: number): boolean => v > best || (v !== v && best === best);

export function argmaxRows(x: Tensor): Int32Array {
  if (x.rank !== 2) throw new Error(`argmaxRows: expects a 2-D tensor, got ${shapeString(x.shape)}`);
  const [rows, cols] = x.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (beats(x.data[r * cols + c], x.data[r * cols + best])) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Index of the largest entry along `axis` (the first of ties; the first NaN, as numpy), for every position of the other axes, in their
 * order (shape: x's without `axis`, flattened). Reads the numbers, so it is for results, not inside transforms.
 */
export function argmax(x: Tensor, axis = -1): Int32Array {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank) throw new Error(`argmax: axis ${axis} is out of range for ${shapeString(x.shape)}`);
  const len = x.shape[a];
  if (len === 0) throw new Error(`argmax: axis ${axis} of ${shapeString(x.shape)} is empty`);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = 0;
      for (let k = 1; k < len; k++) if (beats(x.data[base + k * inner], x.data[base + best * inner])) best = k;
      out[o * inner + i] = best;
    }
  }
  return out;
}
