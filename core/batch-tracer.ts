/**
 * What `vmap` hands its function: a tensor that shows the shape of one example but stands for a whole
 * batch, kept in `value` with the batch along axis 0. Ops see it and run their batching rule instead of
 * their kernel (see op.ts). Each vmap call is a level; nested vmaps make higher levels, and an op acts
 * for the highest level among its inputs first, the lower levels being handled by the ops its rule calls.
 */
import { Tensor, shapeString, unbacked, type DType } from "./tensor.ts";

const live: number[] = [];
let nextLevel = 1;

export class BatchTracer extends Tensor {
  /** The vmap call this tracer belongs to. */
  readonly level: number;
  /** The whole batch: shape [batch, ...this.shape]. */
  readonly value: Tensor;

  constructor(level: number, value: Tensor) {
    if (value.rank < 1) throw new Error(`vmap: a batched value needs a batch axis, got ${shapeString(value.shape)}`);
    super(value.shape.slice(1), unbacked);
    this.level = level;
    this.value = value;
    // The numbers are the batch's, not one example's: reading them inside vmap is an error, not a guess.
    Object.defineProperty(this, "data", {
      get(): never {
        throw new Error("vmap: the numbers of a batched tensor cannot be read inside vmap (compute with ops; read results after vmap returns)");
      },
    });
    Object.defineProperty(this, "dtype", { value: value.dtype satisfies DType });
  }

  /** The number of examples. */
  get batchSize(): number {
    return this.value.shape[0];
  }
}

/** Opens a vmap level; returns it. */
export function enterLevel(): number {
  const level = nextLevel++;
  live.push(level);
  return level;
}

export function exitLevel(level: number): void {
  const i = live.lastIndexOf(level);
  if (i >= 0) live.splice(i, 1);
}

/** True while any vmap is running. */
export function batching(): boolean {
  return live.length > 0;
}

/** The highest vmap level among the inputs, 0 when none is batched; a tracer from a finished vmap is an error. */
export function batchLevel(inputs: readonly Tensor[]): number {
  let level = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t instanceof BatchTracer && t.level > level) {
      if (!live.includes(t.level)) {
        throw new Error("vmap: a batched tensor was used after its vmap returned (it escaped through a closure or a variable)");
      }
      level = t.level;
    }
  }
  return level;
}
