/** The fully connected layer, y = x·wᵀ + b, with w stored out×in as in the seed (w[j][k] joins input k to neuron j). */
import { add, matmulT, normal, split, mul, type Tensor } from "../core/index.ts";
import type { Layer } from "./layer.ts";

export type DenseParams = { readonly w: Tensor; readonly b: Tensor };

/** "normal": the seed's w, b ~ N(0, 1). "scaled": w ~ N(0, 1/n_in), b ~ N(0, 1), as in network2. */
export type InitScheme = "normal" | "scaled";

export interface DenseOptions {
  readonly init?: InitScheme;
}

export function dense(units: number, options: DenseOptions = {}): Layer<DenseParams> {
  if (!Number.isInteger(units) || units < 1) throw new Error(`dense: units must be a positive whole number, got ${units}`);
  const scheme = options.init ?? "normal";
  return {
    init(key, inputSize) {
      const [kw, kb] = split(key);
      const raw = normal(kw, [units, inputSize]);
      const w = scheme === "scaled" ? mul(raw, 1 / Math.sqrt(inputSize)) : raw;
      return { params: { w, b: normal(kb, [units]) }, outputSize: units };
    },
    apply: (p, x) => add(matmulT(x, p.w, false, true), p.b),
  };
}
