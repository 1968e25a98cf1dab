/**
 * The fully connected layer, y = x·w + b, with examples as rows and w stored in×out (w[k][j] joins
 * input k to neuron j: the seed's matrix transposed, as in JAX's stax). Rows of w are then
 * contiguous per input, so a zero input pixel skips a whole row in the product and its gradient.
 */
import { add, matmul, normal, split, mul, type Tensor } from "../core/index.ts";
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
      const raw = normal(kw, [inputSize, units]);
      const w = scheme === "scaled" ? mul(raw, 1 / Math.sqrt(inputSize)) : raw;
      return { params: { w, b: normal(kb, [units]) }, outputSize: units };
    },
    apply: (p, x) => add(matmul(x, p.w), p.b),
  };
}
