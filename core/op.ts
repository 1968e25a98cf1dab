/**
 * An op is declared once: its forward kernel call and one vector-Jacobian product per input.
 * The VJP tuple is typed by the inputs' tuple, so the compiler refuses an op missing a rule.
 */
import { activeTapes, type Vjp } from "./tape.ts";
import type { Tensor } from "./tensor.ts";

export interface OpDef<I extends readonly Tensor[], P> {
  readonly name: string;
  /** Computes the output from raw data; never traced. */
  forward(inputs: I, params: P): Tensor;
  /** One rule per input, in input order. */
  readonly vjp: { readonly [K in keyof I]: Vjp<P> };
}

/** Turns a declaration into a function that computes and, under a transform, records itself. */
export function defineOp<I extends readonly Tensor[], P = undefined>(def: OpDef<I, P>): (inputs: I, params: P) => Tensor {
  const vjps = def.vjp as unknown as readonly Vjp<unknown>[];
  return (inputs, params) => {
    const output = def.forward(inputs, params);
    const tapes = activeTapes();
    for (let i = 0; i < tapes.length; i++) tapes[i].record(def.name, vjps, inputs, output, params);
    return output;
  };
}
