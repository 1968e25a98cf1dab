/**
 * An op is declared once: its forward kernel call, one vector-Jacobian product per input, and its
 * batching rule. The VJP tuple is typed by the inputs' tuple and the batching rule is required, so the
 * compiler refuses an op missing a rule. VJPs and batching rules are written with ops, so every
 * transform sees through them: that is what makes grad(grad(f)), vmap(grad(f)) and grad(vmap(f)) right.
 */
import { BatchTracer, batchLevel } from "./batch-tracer.ts";
import { activeTapes, type Vjp } from "./tape.ts";
import { describeValue } from "./describe.ts";
import { shapeString, Tensor } from "./tensor.ts";

/**
 * How an op acts on a batch (inside `vmap`): `values[i]` is input i's whole batch, shape [size, ...]
 * where `batched[i]`, else the input itself, shared by every example. Returns the output's whole batch,
 * batch along axis 0, computed with ops.
 */
export type BatchRule<I extends readonly Tensor[], P> = (
  values: I,
  batched: { readonly [K in keyof I]: boolean },
  params: P,
  size: number,
) => Tensor;

export interface OpDef<I extends readonly Tensor[], P> {
  readonly name: string;
  /** Computes the output from raw data; never traced. */
  forward(inputs: I, params: P): Tensor;
  /** One rule per input, in input order, written with ops. */
  readonly vjp: { readonly [K in keyof I]: Vjp<P> };
  readonly batch: BatchRule<I, P>;
}

/** A declared op: inputs and static parameters to output. */
export type Op<I extends readonly Tensor[], P> = (inputs: I, params: P) => Tensor;

/** Turns a declaration into a function that computes (or batches) and, under a transform, records itself. */
export function defineOp<I extends readonly Tensor[], P = undefined>(def: OpDef<I, P>): Op<I, P> {
  const vjps = def.vjp as unknown as readonly Vjp<unknown>[];
  return (inputs, params) => {
    // Every public op reaches here: a non-tensor from plain JavaScript is named here, not met as a crash inside.
    for (let i = 0; i < inputs.length; i++) {
      if (!(inputs[i] instanceof Tensor)) throw new Error(`${def.name}: argument ${i + 1} must be a Tensor, got ${describeValue(inputs[i])}`);
    }
    const level = batchLevel(inputs);
    const output = level === 0 ? def.forward(inputs, params) : batched(def, inputs, params, level);
    const tapes = activeTapes();
    for (let i = 0; i < tapes.length; i++) tapes[i].record(def.name, vjps, inputs, output, params);
    return output;
  };
}

function batched<I extends readonly Tensor[], P>(def: OpDef<I, P>, inputs: I, params: P, level: number): Tensor {
  let size = -1;
  const values = inputs.map((t) => {
    if (!(t instanceof BatchTracer && t.level === level)) return t;
    size = t.batchSize;
    return t.value;
  }) as unknown as I;
  const flags = inputs.map((t) => t instanceof BatchTracer && t.level === level) as unknown as { readonly [K in keyof I]: boolean };
  const out = def.batch(values, flags, params, size);
  if (out.rank < 1 || out.shape[0] !== size) {
    throw new Error(`${def.name}: batching rule gave ${shapeString(out.shape)} for a batch of ${size}`);
  }
  return new BatchTracer(level, out);
}
