/** How well a network does on a set of examples: accuracy, cost, and the confusion matrix. */
import { argmaxRows, jit, type SparseBatch, type Tensor, type Tree } from "../core/index.ts";
import type { Cost } from "./costs.ts";
import type { Network } from "./spec.ts";
import type { Batch } from "./step.ts";

/** Any indexed collection of examples that can hand out a batch (a dataset, a slice of one, generated data). */
export interface Examples {
  readonly size: number;
  gather(indices: ArrayLike<number>): Batch;
  /**
   * Optionally, a gatherer for a loop that is done with each batch before it asks for the one after next:
   * it may reuse two sets of buffers instead of allocating (see datasets' `batchGatherer`).
   */
  reusingGather?(): (indices: ArrayLike<number>) => Batch;
  /**
   * Optionally, a gatherer like `reusingGather` whose batches' x are sparse rows (core's SparseBatch): what
   * training uses for a network whose first layer takes them (Network.sparseInput). The same numbers.
   */
  sparseGather?(): (indices: ArrayLike<number>) => Batch<SparseBatch>;
}

export interface Evaluation {
  readonly correct: number;
  readonly total: number;
  readonly cost: number;
  /** confusion[truth][predicted] counts. */
  readonly confusion: number[][];
  /** Each example's predicted class, in the set's order (what an ensemble votes with, what a page shows of the mistakes). */
  readonly predicted: Int32Array;
}

type Pass = (params: Tree, x: Tensor | SparseBatch, y: Tensor) => { readonly out: Tensor; readonly cost: Tensor };

// One jitted forward pass (with the cost) per network and cost, so each epoch's evaluation replays kernel calls
// into kept buffers instead of going through the op layer; and one reusing gatherer per set of examples.
const passes = new WeakMap<Network, WeakMap<Cost, Pass>>();
const gatherers = new WeakMap<Examples, (indices: ArrayLike<number>) => Batch<Tensor | SparseBatch>>();
// Sparse rows for a network whose first layer reads them (Network.sparseInput): the same numbers, fewer read.
const sparseGatherers = new WeakMap<Examples, (indices: ArrayLike<number>) => Batch<Tensor | SparseBatch>>();

function passOf(net: Network, cost: Cost): Pass {
  let byCost = passes.get(net);
  if (byCost === undefined) passes.set(net, (byCost = new WeakMap()));
  let pass = byCost.get(cost);
  if (pass === undefined) {
    pass = jit((params: Tree, x: Tensor | SparseBatch, y: Tensor) => {
      const out = net.apply(params, x);
      return { out, cost: cost(out, y) };
    });
    byCost.set(cost, pass);
  }
  return pass;
}

function gathererOf(data: Examples, sparse: boolean): (indices: ArrayLike<number>) => Batch<Tensor | SparseBatch> {
  const kept = sparse ? sparseGatherers : gatherers;
  let g = kept.get(data);
  if (g === undefined) {
    // Each chunk is used up before the next is gathered: buffers may be reused (see Examples.reusingGather).
    g = (sparse ? data.sparseGather?.() : undefined) ?? data.reusingGather?.() ?? ((indices: ArrayLike<number>) => data.gather(indices));
    kept.set(data, g);
  }
  return g;
}

/** Evaluates in chunks, so memory stays small whatever the set's size (the network's own chunk size by default). */
export function evaluate(net: Network, params: Tree, data: Examples, cost: Cost, chunk = net.chunk): Evaluation {
  const classes = net.outputSize;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predictedAll = new Int32Array(data.size);
  let correct = 0, costSum = 0;
  for (let start = 0; start < data.size; start += chunk) {
    const end = Math.min(start + chunk, data.size);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const { x, y } = gathererOf(data, net.sparseInput)(indices);
    const { out, cost: c } = passOf(net, cost)(params, x, y);
    costSum += c.item() * (end - start);
    const predicted = argmaxRows(out), truth = argmaxRows(y);
    predictedAll.set(predicted, start);
    for (let i = 0; i < predicted.length; i++) {
      confusion[truth[i]][predicted[i]]++;
      if (predicted[i] === truth[i]) correct++;
    }
  }
  return { correct, total: data.size, cost: data.size === 0 ? 0 : costSum / data.size, confusion, predicted: predictedAll };
}
