/**
 * The fully connected layer, y = x·w + b, with examples as rows and w stored in×out (w[k][j] joins
 * input k to neuron j: the seed's matrix transposed, as in JAX's stax). Rows of w are then
 * contiguous per input, so a zero input pixel skips a whole row in the product and its gradient.
 */
import { add, matmul, normal, split, mul, sparseMatmul, zeros, type Key, type Tensor } from "../core/index.ts";
import type { Layer, Shape } from "./layer.ts";

export type DenseParams = { readonly w: Tensor; readonly b: Tensor };

/**
 * "normal": the seed's w, b ~ N(0, 1). "scaled": w ~ N(0, 1/n_in), b ~ N(0, 1), as in network2.
 * "he": w ~ N(0, 2/n_in), b = 0, for ReLU layers (He et al. 2015).
 */
export type InitScheme = "normal" | "scaled" | "he";

/** Weights drawn by `scheme` for a layer with `fanIn` inputs, and its biases. */
export function initWeights(key: Key, scheme: InitScheme, wShape: readonly number[], bShape: readonly number[], fanIn: number): { readonly w: Tensor; readonly b: Tensor } {
  const [kw, kb] = split(key);
  const raw = normal(kw, wShape);
  const w = scheme === "scaled" ? mul(raw, 1 / Math.sqrt(fanIn)) : scheme === "he" ? mul(raw, Math.sqrt(2 / fanIn)) : raw;
  return { w, b: scheme === "he" ? zeros(bShape) : normal(kb, bShape) };
}

export interface DenseOptions {
  readonly init?: InitScheme;
}

export function dense(units: number, options: DenseOptions = {}): Layer<DenseParams> {
  if (!Number.isInteger(units) || units < 1) throw new Error(`dense: units must be a positive whole number, got ${units}`);
  // network2's fan-in scaling unless asked otherwise, as a spec's dense layer (the seed's network asks for "normal").
  const scheme = options.init ?? "scaled";
  const shape = (inputShape: Shape) => {
    if (inputShape.length !== 1) throw new Error(`dense needs a flat input, got [${inputShape.join(", ")}]: put "flatten" before it`);
    return { outputShape: [units], parameters: inputShape[0] * units + units };
  };
  return {
    shape,
    init(key, inputShape) {
      const { outputShape } = shape(inputShape);
      return { params: initWeights(key, scheme, [inputShape[0], units], [units], inputShape[0]), outputShape };
    },
    apply: (p, x) => add(matmul(x, p.w), p.b),
    applySparse: (p, x) => add(sparseMatmul(x, p.w), p.b),
  };
}
