/** Activations as parameterless layers. */
import { relu as reluOp, sigmoid as sigmoidOp, softmax as softmaxOp, tanh as tanhOp, type Tensor } from "../core/index.ts";
import type { Layer } from "./layer.ts";

type NoParams = readonly [];

function activation(f: (x: Tensor) => Tensor): Layer<NoParams> {
  return { shape: (inputShape) => ({ outputShape: inputShape, parameters: 0 }), init: (_key, inputShape) => ({ params: [], outputShape: inputShape }), apply: (_p, x) => f(x) };
}

// Capitalised as stax's layers (Sigmoid, Relu, …), so they import beside core's functions of the same names.
export const Sigmoid = activation(sigmoidOp);
export const Tanh = activation(tanhOp);
export const Relu = activation(reluOp);
export const Softmax = activation((x) => softmaxOp(x));

/** The activation layers by the names a spec gives them. */
export const activations = { sigmoid: Sigmoid, tanh: Tanh, relu: Relu, softmax: Softmax } as const;
export type ActivationName = keyof typeof activations;
