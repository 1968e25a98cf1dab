/**
 * Costs are plain functions (output, target) → scalar, averaged over the batch and written with
 * core ops only: the tape derives their gradients. A new cost is one more function like these.
 */
import { add, clip, log, mul, neg, sameShape, shapeString, square, sub, sum, type Tensor } from "../core/index.ts";

export type Cost = (output: Tensor, target: Tensor) => Tensor;

function batchSize(name: string, output: Tensor, target: Tensor): number {
  if (output.rank !== 2 || !sameShape(output.shape, target.shape)) {
    throw new Error(`${name}: output ${shapeString(output.shape)} and target ${shapeString(target.shape)} must be the same batch × classes shape`);
  }
  return output.shape[0];
}

// Probabilities are kept this far from 0 and 1 before a log, so a saturated output costs a large finite
// number, never NaN. In float32, 1 − 1e-12 rounds to 1, so the margin must be wider there.
const epsFor = (t: Tensor) => (t.dtype === "float32" ? 1e-7 : 1e-12);

/** The seed's C = 1/2n Σ‖y − a‖². */
export const quadratic: Cost = (a, y) => mul(sum(square(sub(a, y))), 0.5 / batchSize("quadratic", a, y));

/** Cross-entropy for sigmoid outputs, C = −1/n Σ [y ln a + (1 − y) ln(1 − a)] (network2's). */
export const crossEntropy: Cost = (a, y) => {
  const n = batchSize("crossEntropy", a, y);
  const eps = epsFor(a);
  const p = clip(a, eps, 1 - eps);
  const ll = add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))));
  return mul(neg(sum(ll)), 1 / n);
};

/** Log-likelihood for softmax outputs, C = −1/n Σ y ln a. */
export const logLikelihood: Cost = (a, y) => {
  const n = batchSize("logLikelihood", a, y);
  return mul(neg(sum(mul(y, log(clip(a, epsFor(a), 1))))), 1 / n);
};

export const costs = { quadratic, "cross-entropy": crossEntropy, "log-likelihood": logLikelihood } as const;
export type CostName = keyof typeof costs;
