/** A layer is a pair of pure functions: init makes parameters, apply uses them. Nothing is mutated. */
import type { Key, Tensor, Tree } from "../core/index.ts";
import { split } from "../core/index.ts";

export interface Layer<P extends Tree = Tree> {
  /** Fresh parameters for an input of `inputSize` features, and the size this layer outputs. */
  init(key: Key, inputSize: number): { readonly params: P; readonly outputSize: number };
  /** The layer's output for a batch `x` (batch × features). */
  apply(params: P, x: Tensor): Tensor;
}

/** Layers applied one after another; the parameters are an array, one entry per layer. */
export function serial(...layers: readonly Layer[]): Layer<readonly Tree[]> {
  return {
    init(key, inputSize) {
      const keys = split(key, layers.length);
      let size = inputSize;
      const params = layers.map((layer, i) => {
        const r = layer.init(keys[i], size);
        size = r.outputSize;
        return r.params;
      });
      return { params, outputSize: size };
    },
    apply(params, x) {
      if (params.length !== layers.length) throw new Error(`serial: ${layers.length} layers but ${params.length} parameter entries`);
      let y = x;
      for (let i = 0; i < layers.length; i++) y = layers[i].apply(params[i], y);
      return y;
    },
  };
}
