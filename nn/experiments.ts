/**
 * The book's experiments as functions of their declarations, every derivative by autodiff:
 * - chapter 3's learning slowdown: one sigmoid neuron (input 1, target 0) from a good and a saturated start,
 *   trained by gradient descent under each cost given; the cost and output per epoch;
 * - chapter 5's speed of learning per layer: ‖∂C/∂bˡ‖ for each hidden layer, over a fixed set of examples,
 *   at initialisation and after each epoch of SGD.
 * Browser-safe (the playground runs them as the CLI does); numbers only, the charts are the caller's.
 */
import { add, cast, fromArray, grad, key as makeKey, mul, permutation, sigmoid, split, sqrt, square, sum, tensor, treeMap, treeZip, type Key, type Tensor, type Tree } from "../core/index.ts";
import type { Cost } from "./costs.ts";
import type { InitScheme } from "./dense.ts";
import { sgd } from "./optimizers.ts";
import { compile, type LayerSpec, type Network } from "./spec.ts";
import { step } from "./step.ts";

export interface NeuronStart {
  readonly w: number;
  readonly b: number;
}

export interface SlowdownRun {
  readonly start: NeuronStart;
  readonly cost: string;
  /** The cost before each epoch's step and after the last: epochs + 1 numbers. */
  readonly costs: readonly number[];
  /** The neuron's output σ(w + b) at the same moments. */
  readonly outputs: readonly number[];
}

export interface SlowdownOptions {
  /** The costs to compare, by name (the book's: quadratic and cross-entropy); any (output, target) → scalar. */
  readonly costs: Readonly<Record<string, Cost>>;
  /** Default: the book's w = 0.6, b = 0.9 and w = b = 2.0. */
  readonly starts?: readonly NeuronStart[];
  /** Default 0.15 (the book's, for the quadratic cost). */
  readonly eta?: number;
  /** Default 300. */
  readonly epochs?: number;
}

export const BOOK_STARTS: readonly NeuronStart[] = [{ w: 0.6, b: 0.9 }, { w: 2, b: 2 }];

/** One sigmoid neuron, input 1, target 0: each start under each cost, one gradient step per epoch. */
export function slowdown(options: SlowdownOptions): SlowdownRun[] {
  const eta = options.eta ?? 0.15, epochs = options.epochs ?? 300;
  if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`slowdown: eta must be a finite number above 0, got ${eta}`);
  if (!(Number.isInteger(epochs) && epochs >= 1 && epochs <= 100_000)) throw new Error(`slowdown: epochs must be a whole number from 1 to 100000, got ${epochs}`);
  const x = tensor([[1]], "float64"), y = tensor([[0]], "float64");
  const runs: SlowdownRun[] = [];
  for (const start of options.starts ?? BOOK_STARTS) {
    for (const [name, cost] of Object.entries(options.costs)) {
      type P = { w: Tensor; b: Tensor };
      const output = (p: P) => sigmoid(add(mul(x, p.w), p.b));
      const loss = (p: P) => cost(output(p), y);
      const gradient = grad(loss);
      let p: P = { w: tensor([[start.w]], "float64"), b: tensor([start.b], "float64") };
      const costs: number[] = [], outputs: number[] = [];
      for (let e = 0; e <= epochs; e++) {
        costs.push(loss(p).item());
        outputs.push(output(p).item());
        if (e === epochs) break;
        const g = gradient(p);
        p = treeZip(p, g, (v, d) => add(v, mul(d, -eta)));
      }
      if (!costs.every(Number.isFinite)) throw new Error(`slowdown: the cost "${name}" is not a finite number along the run (a log of 0?)`);
      runs.push({ start, cost: name, costs, outputs });
    }
  }
  return runs;
}

export interface LabelledTensors {
  readonly x: Tensor;
  readonly y: Tensor;
}

export interface VanishingOptions {
  /** Layer sizes, input first: [784, 30, 30, 10] is the book's two-hidden-layer network. */
  readonly sizes: readonly number[];
  readonly activation?: "sigmoid" | "relu";
  /** Default "scaled" (network2's N(0, 1/n_in) weights, as the book's chapter 5). */
  readonly init?: InitScheme;
  readonly cost: Cost;
  /** The examples the gradient is averaged over and trained on (the book: 1,000 training images). */
  readonly data: LabelledTensors;
  /** SGD epochs after the measurement at initialisation (default 0). */
  readonly epochs?: number;
  readonly eta?: number;
  readonly batchSize?: number;
  readonly key?: Key;
}

export interface VanishingResult {
  readonly sizes: readonly number[];
  /** norms[e][l]: ‖∂C/∂bˡ‖ of hidden layer l (first hidden layer first) after e epochs (0: at initialisation). */
  readonly norms: readonly (readonly number[])[];
}

/** The network of a vanishing-gradient experiment: dense layers, the activation after each (the output's is sigmoid). */
export function vanishingNetwork(sizes: readonly number[], activation: "sigmoid" | "relu" = "sigmoid", init: InitScheme = "scaled"): Network {
  if (sizes.length < 3) throw new Error(`vanishing: give at least one hidden layer, e.g. [784, 30, 30, 10], got [${sizes.join(", ")}]`);
  const layers: LayerSpec[] = sizes.slice(1).flatMap((n, i): LayerSpec[] => [{ dense: n, init }, i === sizes.length - 2 ? "sigmoid" : activation]);
  return compile({ input: sizes[0], layers });
}

/** The Euclidean norm of each hidden layer's bias gradient (the layers with biases but the last, in order). */
export function hiddenBiasGradientNorms(net: Network, params: Tree, cost: Cost, data: LabelledTensors): number[] {
  return layerGradientNorms(net, params, cost, data).flatMap((l) => (l.norms.b === undefined ? [] : [l.norms.b])).slice(0, -1);
}

/** Rows `indices` of a [n, …] tensor. */
function rows(t: Tensor, indices: ArrayLike<number>): Tensor {
  const width = t.size / t.shape[0];
  const out = t.dtype === "float32" ? new Float32Array(indices.length * width) : new Float64Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) out.set(t.data.subarray(indices[i] * width, (indices[i] + 1) * width), i * width);
  return fromArray(out, [indices.length, ...t.shape.slice(1)], t.dtype);
}

/** Chapter 5's measurement: per-layer bias-gradient norms at initialisation and after each SGD epoch. */
export function vanishing(options: VanishingOptions): VanishingResult {
  const { sizes, cost, data } = options;
  const epochs = options.epochs ?? 0, eta = options.eta ?? 0.1, batchSize = options.batchSize ?? 10;
  if (!(Number.isInteger(epochs) && epochs >= 0)) throw new Error(`vanishing: epochs must be a whole number ≥ 0, got ${epochs}`);
  if (data.x.rank !== 2 || data.x.shape[1] !== sizes[0]) throw new Error(`vanishing: the examples have shape [${data.x.shape.join(", ")}], the network takes ${sizes[0]} inputs`);
  const net = vanishingNetwork(sizes, options.activation, options.init);
  const [initKey, shuffleKey] = split(options.key ?? makeKey(1), 2);
  // In the examples' dtype (the initialiser draws in the backend's).
  let params: Tree = treeMap(net.init(initKey), (t) => cast(t, data.x.dtype));
  const opt = sgd(eta);
  let optState = opt.init(params);
  const update = step(net, cost, opt);
  const norms: number[][] = [hiddenBiasGradientNorms(net, params, cost, data)];
  const n = data.x.shape[0];
  for (let e = 1; e <= epochs; e++) {
    const order = permutation(split(shuffleKey, epochs + 1)[e], n);
    for (let s = 0; s < n; s += batchSize) {
      const idx = order.subarray(s, Math.min(n, s + batchSize));
      ({ params, optState } = update(params, optState, { x: rows(data.x, idx), y: rows(data.y, idx) }));
    }
    norms.push(hiddenBiasGradientNorms(net, params, cost, data));
  }
  return { sizes, norms };
}

/** One layer's gradient norms after an epoch: ‖∂C/∂θ‖ for each of its parameter tensors, by name (w, b, …). */
export interface LayerGradientNorms {
  /** The layer's place in the network (its index in the spec's layer list). */
  readonly layer: number;
  readonly norms: Readonly<Record<string, number>>;
}

/**
 * The gradient of the cost over `batch` for every layer that has parameters: what `train`'s gradient monitor
 * records each epoch (for any network; the book's measure is the biases' `b`).
 */
export function layerGradientNorms(net: Network, params: Tree, cost: Cost, batch: LabelledTensors): LayerGradientNorms[] {
  const g = grad((p: Tree) => cost(net.apply(p, batch.x), batch.y))(params);
  const out: LayerGradientNorms[] = [];
  (g as readonly Tree[]).forEach((layer, i) => {
    const norms: Record<string, number> = {};
    treeMap(layer, (leaf, path) => {
      norms[path === "" ? "all" : path] = sqrt(sum(square(leaf))).item();
      return leaf;
    });
    if (Object.keys(norms).length > 0) out.push({ layer: i, norms });
  });
  return out;
}
