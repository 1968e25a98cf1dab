/** Activations as parameterless layers. */
import { relu as reluOp, sigmoid as sigmoidOp, softmax as softmaxOp, tanh as tanhOp, type Tensor } from "../core/index.ts";
import type { Layer } from "./layer.ts";

type NoParams = readonly [];

function activation(f: (x: Tensor) => Tensor): Layer<NoParams> {
  return { shape: (inputShape) => ({ outputShape: inputShape, parameters: 0 }), init: (_key, inputShape) => ({ params: [], outputShape: inputShape }), apply: (_p, x) => f(x) };
}

export const sigmoid = activation(sigmoidOp);
export const tanh = activation(tanhOp);
export const relu = activation(reluOp);
export const softmax = activation(softmaxOp);

export const activations = { sigmoid, tanh, relu, softmax } as const;
export type ActivationName = keyof typeof activations;
