/** One training step: the cost's value and gradient by the tape, then the optimizer. Pure. */
import { jit, valueAndGrad, type SparseBatch, type Tensor, type Tree } from "../core/index.ts";
import type { Cost } from "./costs.ts";
import { applyGradients, type Optimizer } from "./optimizers.ts";
import type { Network } from "./spec.ts";

/** A mini-batch; `Batch<Tensor | SparseBatch>` where its inputs may be sparse rows (see Network.sparseInput). */
export interface Batch<X extends Tensor | SparseBatch = Tensor> {
  /** The inputs, a tensor (batch first), or sparse rows for a network whose first layer is dense. */
  readonly x: X;
  readonly y: Tensor;
  /** For a network with dropout: this step's randomness (core's keyTensor); training mode when present. */
  readonly key?: Tensor;
}

export interface StepResult {
  readonly params: Tree;
  readonly optState: Tree;
  readonly loss: number;
}

export interface StepOptions {
  /** Trace the step once per batch shape and replay its kernel calls after (default true); see core's `jit`. */
  readonly jit?: boolean;
  /**
   * The caller feeds each step's params and optState to the next and keeps no other reference to them
   * (copying what it keeps): results are then handed out without copying. For training loops; default false.
   */
  readonly donate?: boolean;
}

/** A function that takes one step of `optimizer` on the batch's cost. */
export function step(net: Network, cost: Cost, optimizer: Optimizer, options: StepOptions = {}) {
  const lossAndGrad = valueAndGrad((params: Tree, batch: Batch<Tensor | SparseBatch>) =>
    cost(net.apply(params, batch.x, batch.key === undefined ? undefined : { key: batch.key }), batch.y));
  const update = (params: Tree, optState: Tree, batch: Batch<Tensor | SparseBatch>) => {
    const [output, grad] = lossAndGrad(params, batch);
    const [next, nextState] = applyGradients(optimizer, grad, optState, params);
    return { params: next, optState: nextState, loss: output };
  };
  const run = options.jit === false ? update : jit(update, { donate: options.donate === true, inPlace: options.donate === true });
  return (params: Tree, optState: Tree, batch: Batch<Tensor | SparseBatch>): StepResult => {
    const r = run(params, optState, batch);
    return { params: r.params, optState: r.optState, loss: r.loss.item() };
  };
}
