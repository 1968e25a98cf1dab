/** A layer is a pair of pure functions: init makes parameters, apply uses them. Nothing is mutated. */
import type { Key, SparseBatch, Tensor, Tree } from "../core/index.ts";
import { split } from "../core/index.ts";

/** One example's shape (no batch axis): [features] for dense layers, [channels, height, width] for images. */
export type Shape = readonly number[];

/**
 * What apply may be given besides parameters and input. With a `key` (a core `keyTensor`) the layer is
 * training, and random layers (dropout) draw from it; without one it is evaluating, and they pass x through.
 * `salt` tells the layers that share one key apart (serial numbers them).
 */
export interface ApplyContext {
  readonly key?: Tensor;
  readonly salt?: number;
}

/** What a layer makes of one example's input shape, known without drawing a single weight. */
export interface LayerShape {
  readonly outputShape: Shape;
  /** How many numbers its parameters hold. */
  readonly parameters: number;
  /** The most numbers one example needs at once inside it (a convolution's patches), when more than its output. */
  readonly working?: number;
}

export interface Layer<P extends Tree = Tree> {
  /** Its output shape and parameter count for one example's input shape; throws naming what does not fit (stax's init returns the shape). */
  shape(inputShape: Shape): LayerShape;
  /** Fresh parameters for one example's input shape, and the shape this layer outputs. */
  init(key: Key, inputShape: Shape): { readonly params: P; readonly outputShape: Shape };
  /** The layer's output for a batch `x` (batch first, then one example's shape). */
  apply(params: P, x: Tensor, context?: ApplyContext): Tensor;
  /** Optionally, apply to sparse rows as they are (a dense layer's product reads only their non-zeros). */
  applySparse?(params: P, x: SparseBatch, context?: ApplyContext): Tensor;
}

/** Layers applied one after another; the parameters are an array, one entry per layer. */
export function serial(...layers: readonly Layer[]): Layer<readonly Tree[]> {
  return serialOf(layers);
}

/** serial over an array of layers (no spread: a spec's layer list may be longer than a call's arguments). */
export function serialOf(layers: readonly Layer[]): Layer<readonly Tree[]> {
  // Context for layer i: the key, salted by the layer's place.
  const contextOf = (context: ApplyContext | undefined, i: number): ApplyContext | undefined =>
    context?.key === undefined ? undefined : { key: context.key, salt: (context.salt ?? 0) * 1009 + i + 1 };
  const checkCount = (params: readonly Tree[]) => {
    if (params.length !== layers.length) throw new Error(`serial: ${layers.length} layers but ${params.length} parameter entries`);
  };
  const first = layers[0];
  return {
    shape(inputShape) {
      let outputShape = inputShape, parameters = 0, working = 0;
      for (const layer of layers) {
        const s = layer.shape(outputShape);
        parameters += s.parameters;
        working = Math.max(working, s.working ?? 0, s.outputShape.reduce((a, b) => a * b, 1));
        outputShape = s.outputShape;
      }
      return { outputShape, parameters, working };
    },
    init(key, inputShape) {
      const keys = split(key, layers.length);
      let shape = inputShape;
      const params = layers.map((layer, i) => {
        const r = layer.init(keys[i], shape);
        shape = r.outputShape;
        return r.params;
      });
      return { params, outputShape: shape };
    },
    apply(params, x, context) {
      checkCount(params);
      let y = x;
      for (let i = 0; i < layers.length; i++) y = layers[i].apply(params[i], y, contextOf(context, i));
      return y;
    },
    // Sparse rows go to the first layer as they are, when it takes them.
    ...(first?.applySparse === undefined ? {} : {
      applySparse(params: readonly Tree[], x: SparseBatch, context?: ApplyContext) {
        checkCount(params);
        let y = first.applySparse!(params[0], x, contextOf(context, 0));
        for (let i = 1; i < layers.length; i++) y = layers[i].apply(params[i], y, contextOf(context, i));
        return y;
      },
    }),
  };
}
