/** Index of the largest entry of each row (the predicted class); not differentiable, so not an op. */
import { Tensor, shapeString } from "./tensor.ts";

export function argmaxRows(x: Tensor): Int32Array {
  if (x.rank !== 2) throw new Error(`argmaxRows: expects a 2-D tensor, got ${shapeString(x.shape)}`);
  const [rows, cols] = x.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x.data[r * cols + c] > x.data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
