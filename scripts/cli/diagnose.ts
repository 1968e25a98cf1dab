/**
 * Why a run is stuck at chance, as far as it can be seen: N(0, 1) weights feeding a ReLU (activations grow
 * ~√n_in a layer), sigmoids saturated on real inputs (their gradient vanishes), a quadratic cost on a
 * softmax, or, failing those, η. Measured on the run's own parameters and a few of its training images.
 */
import { compile, type EpochResult, type NetworkSpec, type Score, type TrainState } from "../../nn/index.ts";
import { treeLeaves, type Tensor, type Tree } from "../../core/index.ts";

/** The share of a sigmoid layer's outputs within 0.02 of 0 or 1 above which it is called saturated. */
const SATURATED = 0.8;

export interface RunShape {
  readonly spec: NetworkSpec;
  readonly cost: string;
  readonly eta: number;
  /** Whether the network was built from --layers with the seed's N(0, 1) (so the fix is --init scaled). */
  readonly fromLayers: boolean;
}

const layerName = (spec: NetworkSpec, i: number) => `layer ${i + 1} (${JSON.stringify(spec.layers[i])})`;

/** Dense layers with N(0, 1) weights whose output goes through a ReLU. */
function unscaledUnderRelu(spec: NetworkSpec): number[] {
  const out: number[] = [];
  spec.layers.forEach((l, i) => {
    if (typeof l === "string" || !("dense" in l || "conv" in l) || l.init !== "normal") return;
    const next = spec.layers.slice(i + 1).find((n) => typeof n === "string" && n !== "flatten");
    if (next === "relu") out.push(i);
  });
  return out;
}

/** The share of saturated outputs of each sigmoid layer on the sample x, worst first. */
function saturatedSigmoids(spec: NetworkSpec, params: Tree, x: Tensor): { layer: number; share: number }[] {
  const layers = params as readonly Tree[];
  const found: { layer: number; share: number }[] = [];
  spec.layers.forEach((l, i) => {
    if (l !== "sigmoid") return;
    const prefix = compile({ input: spec.input, layers: spec.layers.slice(0, i + 1) });
    const a = prefix.apply(layers.slice(0, i + 1), x).data;
    let pinned = 0;
    for (let k = 0; k < a.length; k++) if (a[k] < 0.02 || a[k] > 0.98) pinned++;
    if (pinned / a.length > SATURATED) found.push({ layer: i, share: pinned / a.length });
  });
  return found.sort((p, q) => q.share - p.share);
}

/** The likely cause of a run stuck at chance, as advice in one sentence. */
export function likelyCause(run: RunShape, params: Tree, sample: Tensor): string {
  const relu = unscaledUnderRelu(run.spec);
  if (relu.length > 0) {
    return `${layerName(run.spec, relu[0])} draws N(0, 1) weights under a ReLU, so activations grow with every layer: leave out its "init" (fan-in scaled) or use "he"`;
  }
  const sigmoids = saturatedSigmoids(run.spec, params, sample);
  if (sigmoids.length > 0) {
    const s = sigmoids[0];
    let feeding = s.layer - 1;
    while (feeding > 0 && typeof run.spec.layers[feeding] === "string") feeding--;
    const fix = run.fromLayers ? "try --init scaled (N(0, 1/n_in) weights)" : `scale the weights before it (leave out "init", or "scaled")`;
    return `${(100 * s.share).toFixed(0)}% of the sigmoid outputs after ${layerName(run.spec, feeding)} are pinned near 0 or 1, where their gradient vanishes: ${fix}, or a smaller --eta`;
  }
  const last = run.spec.layers[run.spec.layers.length - 1];
  if (last === "softmax" && run.cost !== "log-likelihood") return `a softmax output learns slowly under the ${run.cost} cost: try --cost log-likelihood with a smaller --eta (0.1)`;
  return `try a smaller --eta than ${run.eta} (e.g. ${run.eta / 10}): nothing else seen (init, saturation, cost) explains it`;
}

/** Weights beyond this are not learning: the seed's networks keep theirs within ±100. */
const WEIGHT_BOUND = 1e6;

/**
 * Whether an epoch shows a run that has failed though every number is finite: weights beyond
 * WEIGHT_BOUND, or accuracy fallen to chance after a better epoch (diverged: stop, exit 3); or accuracy
 * still at chance after two epochs (a warning with the likely fix).
 */
export function collapse(r: EpochResult, state: TrainState, classes: number, cause: (params: Tree) => string): { diverged?: string; warning?: string } {
  let largest = 0;
  for (const leaf of treeLeaves(state.params)) for (let i = 0; i < leaf.size; i++) largest = Math.max(largest, Math.abs(leaf.data[i]));
  if (largest > WEIGHT_BOUND) return { diverged: `at epoch ${r.epoch} a weight reached ${largest.toExponential(1)} (beyond ±${WEIGHT_BOUND.toExponential(0)})` };
  const acc = (e: Score | undefined) => (e === undefined || e.total === 0 ? undefined : e.correct / e.total);
  const now = acc(r.evaluation);
  if (now === undefined || now > 1.5 / classes) return {};
  const before = state.history.slice(0, -1).map((h) => acc(h.evaluation) ?? 0);
  const peak = Math.max(0, ...before);
  if (peak >= 3 / classes) return { diverged: `at epoch ${r.epoch} accuracy fell to chance (${(100 * now).toFixed(2)}%) from ${(100 * peak).toFixed(2)}%` };
  if (r.epoch >= 1) return { warning: `accuracy is at chance (${(100 * now).toFixed(2)}%) after ${r.epoch + 1} epochs: the network is not learning; ${cause(state.params)}` };
  return {};
}

