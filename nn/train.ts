/**
 * The training loop: shuffled mini-batches through `step`, an evaluation after each epoch, results
 * handed to a callback. It prints nothing; scripts decide what a person sees.
 * It yields to the event loop now and then, so signals, timers and progress bars stay alive.
 */
import { foldIn, keyTensor, permutation, Tensor, treeLeaves, treeMap, type Key, type SparseBatch, type Tree } from "../core/index.ts";
import type { Cost } from "./costs.ts";
import { evaluate, type Evaluation, type Examples } from "./evaluate.ts";
import { layerGradientNorms, type LabelledTensors, type LayerGradientNorms } from "./experiments.ts";
import type { Optimizer } from "./optimizers.ts";
import { bestEpoch, constant, type Schedule } from "./schedules.ts";
import type { Network } from "./spec.ts";
import { step, type Batch } from "./step.ts";

/** The sets that can be watched each epoch besides the evaluation set (network2's monitor_* flags). */
export type MonitorName = "training" | "validation" | "test";

export interface EpochResult {
  readonly epoch: number;
  /** Mean training cost over the epoch's mini-batches. */
  readonly trainCost: number;
  readonly evaluation?: Evaluation;
  /** Accuracy and cost on each monitored set. */
  readonly monitors?: Partial<Record<MonitorName, Evaluation>>;
  /** The learning-rate scale the schedule set for this epoch. */
  readonly etaScale: number;
  /** Each layer's gradient norms on the gradient monitor's examples, when the setup has one. */
  readonly gradients?: readonly LayerGradientNorms[];
  /** Seconds spent on the epoch's training steps (evaluation excluded). */
  readonly seconds: number;
  /** CPU seconds of the epoch's training steps, when the setup has a cpuClock. */
  readonly cpuSeconds?: number;
}

/** What a history keeps of an evaluation. */
export interface Score {
  readonly correct: number;
  readonly total: number;
  readonly cost: number;
}

/** An epoch as the history keeps it (a resumed run's earlier epochs come from a file, without confusion matrices). */
export interface EpochSummary {
  readonly epoch: number;
  readonly trainCost: number;
  readonly evaluation?: Score;
  readonly monitors?: Partial<Record<MonitorName, Score>>;
  readonly etaScale?: number;
  readonly gradients?: readonly LayerGradientNorms[];
  readonly seconds: number;
  readonly cpuSeconds?: number;
}

const scoreOf = (e: Evaluation): Score => ({ correct: e.correct, total: e.total, cost: e.cost });

/** An epoch's result as the history keeps it: its numbers. */
export function summarise(r: EpochResult): EpochSummary {
  const monitors: Partial<Record<MonitorName, Score>> = {};
  for (const [name, e] of Object.entries(r.monitors ?? {}) as [MonitorName, Evaluation | undefined][]) if (e !== undefined) monitors[name] = scoreOf(e);
  return {
    epoch: r.epoch,
    trainCost: r.trainCost,
    ...(r.evaluation === undefined ? {} : { evaluation: scoreOf(r.evaluation) }),
    ...(r.monitors === undefined ? {} : { monitors }),
    etaScale: r.etaScale,
    ...(r.gradients === undefined ? {} : { gradients: r.gradients }),
    seconds: r.seconds,
    ...(r.cpuSeconds === undefined ? {} : { cpuSeconds: r.cpuSeconds }),
  };
}

/** Where a run stands between epochs: all that is needed to go on from here. */
export interface TrainState {
  readonly params: Tree;
  readonly optState: Tree;
  /** Epochs completed. */
  readonly epoch: number;
  /** Mini-batches done in the epoch under way (0 between epochs), and their summed cost: an interrupted run goes on mid-epoch. */
  readonly batch: number;
  readonly batchCostSum: number;
  readonly history: readonly EpochSummary[];
  /** The best epoch so far (by validation accuracy when monitored) and its parameters: what early stopping keeps. */
  readonly best?: { readonly epoch: number; readonly params: Tree };
}

export interface TrainSetup {
  readonly net: Network;
  readonly cost: Cost;
  /** The optimizer for a given η scale (the schedule's); its state must not depend on the scale. */
  readonly optimizer: Optimizer | ((etaScale: number) => Optimizer);
  readonly schedule?: Schedule;
  readonly data: Examples;
  readonly evalData?: Examples;
  readonly monitors?: Partial<Record<MonitorName, Examples>>;
  /**
   * Examples (up to their first 1,000) over which each layer's gradient norms are measured after every epoch
   * (`train --monitor gradients`, the playground's gradient chart).
   */
  readonly gradientMonitor?: Examples;
  readonly epochs: number;
  readonly batchSize: number;
  /** Shuffles derive from this key and the epoch number, so a resumed run shuffles as an unbroken one. */
  readonly key: Key;
  /** Seconds of CPU this process has used so far (in Node, from its cpuUsage), to report each epoch's training CPU time beside its wall time. */
  readonly cpuClock?: () => number;
}

export interface TrainHooks {
  /** After each epoch; return "stop" to end the run there. */
  onEpoch?(result: EpochResult, state: TrainState): void | "stop";
  /**
   * After each mini-batch, with batches done, the epoch's total, the batch's cost and the parameters after it.
   * The parameters are valid only until the hook returns (the next step overwrites them in place): copy what you keep.
   */
  onBatch?(done: number, total: number, cost: number, params: Tree): void;
  /** Polled between mini-batches; true ends the run after the current one, with a state that resumes exactly. */
  interrupted?(): boolean;
}

export type TrainOutcome =
  | { readonly kind: "finished"; readonly state: TrainState }
  | { readonly kind: "stopped"; readonly state: TrainState; readonly reason: string }
  | { readonly kind: "interrupted"; readonly state: TrainState }
  | { readonly kind: "diverged"; readonly state: TrainState; readonly epoch: number; readonly batch: number; readonly cost: number };

const yieldEveryMs = 50;
/** foldIn's data for the dropout keys' stream (shuffles use the epoch numbers themselves). */
const NOISE_STREAM = 0x7fffffff;
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A copy of a tree that no later (donating) step can overwrite. */
function kept(t: Tree): Tree {
  return treeMap(t, (x) => new Tensor(x.shape, x.data.slice()));
}

function finite(t: Tree): boolean {
  for (const leaf of treeLeaves(t)) for (let i = 0; i < leaf.size; i++) if (!Number.isFinite(leaf.data[i])) return false;
  return true;
}

/** A fresh state: parameters from the network's init and the optimizer's initial state. */
export function initialState(net: Network, optimizer: Optimizer | ((etaScale: number) => Optimizer), key: Key): TrainState {
  const opt = typeof optimizer === "function" ? optimizer(1) : optimizer;
  const params = net.init(key);
  return { params, optState: opt.init(params), epoch: 0, batch: 0, batchCostSum: 0, history: [] };
}

/** Where an epoch's mini-batches stand: the parameters after `batch` of them and their summed cost. */
interface Position {
  readonly params: Tree;
  readonly optState: Tree;
  readonly batch: number;
  readonly costSum: number;
}

/** The state to resume from at a position inside (or at the end of) `epoch`: copies nothing later overwrites. */
function stateAt(state: TrainState, epoch: number, at: Position): TrainState {
  return { ...state, params: kept(at.params), optState: kept(at.optState), epoch, batch: at.batch, batchCostSum: at.costSum };
}

/** What the training loop carries from epoch to epoch. */
interface Loop {
  readonly setup: TrainSetup;
  readonly hooks: TrainHooks;
  readonly batches: number;
  readonly nextBatch: (indices: ArrayLike<number>) => Batch<Tensor | SparseBatch>;
  /** When the loop last let the event loop run (signals, a page's messages). */
  lastYield: number;
}

/** Lets the event loop run (so signals are seen), then asks whether to stop. */
async function askInterrupted(loop: Loop): Promise<boolean> {
  await tick();
  loop.lastYield = Date.now();
  return loop.hooks.interrupted?.() === true;
}

type EpochEnd =
  | { readonly kind: "trained"; readonly at: Position; readonly seconds: number; readonly cpuSeconds?: number }
  | { readonly kind: "interrupted"; readonly at: Position }
  | { readonly kind: "diverged"; readonly batch: number; readonly cost: number };

/** Where an epoch's mini-batches stand while they run. */
interface Run {
  params: Tree;
  optState: Tree;
  costSum: number;
  /** The next mini-batch. */
  batch: number;
  /** The cost of the mini-batch that diverged, if one did. */
  diverged?: number;
}

/**
 * Mini-batches from run.batch on, until the epoch's last or until it is time to let the event loop run. A
 * plain function, not part of the async one that awaits between its calls: V8 resumes an awaiting function
 * in unoptimised code, and a hot loop inside one ran ~30% slower after every pause.
 */
function runBatches(loop: Loop, run: Run, order: Int32Array, noise: Key | undefined, update: ReturnType<typeof step>): void {
  const { setup, hooks, batches } = loop;
  const { data, batchSize } = setup;
  for (let b = run.batch; b < batches; b++) {
    const gathered = loop.nextBatch(order.subarray(b * batchSize, Math.min((b + 1) * batchSize, data.size)));
    const batch = noise === undefined ? gathered : { ...gathered, key: keyTensor(foldIn(noise, b), gathered.x.dtype) };
    const r = update(run.params, run.optState, batch);
    if (!Number.isFinite(r.loss)) {
      run.batch = b;
      run.diverged = r.loss;
      return;
    }
    run.params = r.params;
    run.optState = r.optState;
    run.costSum += r.loss;
    run.batch = b + 1;
    hooks.onBatch?.(b + 1, batches, r.loss, r.params);
    if (Date.now() - loop.lastYield > yieldEveryMs) return;
  }
}

/** One epoch's mini-batches, from the state's position on: the parameters after them, or why it ended early. */
async function trainBatches(loop: Loop, state: TrainState, epoch: number, update: ReturnType<typeof step>): Promise<EpochEnd> {
  const { setup, batches } = loop;
  const { net, data } = setup;
  // The order depends only on the key and the epoch: a resumed run sees the same batches.
  const order = permutation(foldIn(setup.key, epoch), data.size);
  const run: Run = { params: state.params, optState: state.optState, costSum: state.batchCostSum, batch: state.batch };
  const t0 = performance.now(), cpu0 = setup.cpuClock?.();
  let paused = 0;
  // Dropout's randomness: a key per batch from the run's key, the epoch and the batch (so a resumed run draws the same).
  const noise = net.stochastic ? foldIn(foldIn(setup.key, NOISE_STREAM), epoch) : undefined;
  for (;;) {
    runBatches(loop, run, order, noise, update);
    if (run.diverged !== undefined) return { kind: "diverged", batch: run.batch, cost: run.diverged };
    if (run.batch >= batches) break;
    const before = performance.now();
    const stop = await askInterrupted(loop);
    paused += performance.now() - before;
    if (stop) {
      const { params, optState, costSum, batch } = run;
      return finite(params) ? { kind: "interrupted", at: { params, optState, batch, costSum } } : { kind: "diverged", batch: batch - 1, cost: NaN };
    }
  }
  const seconds = (performance.now() - t0 - paused) / 1000;
  const cpuSeconds = cpu0 === undefined ? undefined : setup.cpuClock!() - cpu0;
  const { params, optState, costSum } = run;
  if (!finite(params)) return { kind: "diverged", batch: batches - 1, cost: NaN };
  // A signal must be seen even when an epoch is one mini-batch (the loop above never yields then):
  // stop with the epoch's batches done and its evaluation not yet made, which a resume picks up.
  const at = { params, optState, batch: batches, costSum };
  return (await askInterrupted(loop)) ? { kind: "interrupted", at } : { kind: "trained", at, seconds, ...(cpuSeconds === undefined ? {} : { cpuSeconds }) };
}

/** The gradient monitor's examples as one batch (its first 1,000 at most), gathered once per set. */
const gradientBatches = new WeakMap<Examples, LabelledTensors>();
function gradientBatch(set: Examples): LabelledTensors {
  let b = gradientBatches.get(set);
  if (b === undefined) {
    const batch = set.gather(Array.from({ length: Math.min(1000, set.size) }, (_, i) => i));
    b = { x: batch.x, y: batch.y };
    gradientBatches.set(set, b);
  }
  return b;
}

/** The epoch's result (its evaluations) and the state after it, with the best epoch's parameters kept. */
function endEpoch(loop: Loop, state: TrainState, epoch: number, etaScale: number, trained: { at: Position; seconds: number; cpuSeconds?: number }): { result: EpochResult; state: TrainState } {
  const { net, cost, evalData, monitors: sets } = loop.setup;
  const { params, optState, costSum } = trained.at;
  const monitors: Partial<Record<MonitorName, Evaluation>> = {};
  for (const [name, set] of Object.entries(sets ?? {}) as [MonitorName, Examples][]) monitors[name] = evaluate(net, params, set, cost);
  const result: EpochResult = {
    epoch,
    trainCost: costSum / loop.batches,
    evaluation: evalData === undefined ? undefined : evaluate(net, params, evalData, cost),
    ...(sets === undefined ? {} : { monitors }),
    etaScale,
    ...(loop.setup.gradientMonitor === undefined ? {} : { gradients: layerGradientNorms(net, params, cost, gradientBatch(loop.setup.gradientMonitor)) }),
    seconds: trained.seconds,
    ...(trained.cpuSeconds === undefined ? {} : { cpuSeconds: trained.cpuSeconds }),
  };
  // The history keeps numbers only: an evaluation's per-example predictions and confusion matrix stay with
  // this epoch's result (a long run's history would otherwise grow by a set's predictions every epoch).
  const summary = summarise(result);
  const history = [...state.history, summary];
  const keptParams = kept(params);
  const best = bestEpoch(history) === summary ? { epoch, params: keptParams } : state.best;
  return { result, state: { params: keptParams, optState: kept(optState), epoch: epoch + 1, batch: 0, batchCostSum: 0, history, best } };
}

/** Trains from `start` until `setup.epochs` epochs are complete, or a hook, the schedule or divergence ends it. */
export async function train(setup: TrainSetup, start: TrainState, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  const schedule = setup.schedule ?? constant;
  const optimizerFor = typeof setup.optimizer === "function" ? setup.optimizer : () => setup.optimizer as Optimizer;
  const loop: Loop = {
    setup, hooks,
    batches: Math.ceil(setup.data.size / setup.batchSize),
    // Each batch is used up by its step before the next is gathered: buffers may be reused.
    nextBatch: (setup.net.sparseInput ? setup.data.sparseGather?.() : undefined) ?? setup.data.reusingGather?.() ?? ((indices: ArrayLike<number>) => setup.data.gather(indices)),
    lastYield: Date.now(),
  };
  let state = start;
  // One step function (so one trace) for as long as η stays the same.
  let current: { readonly etaScale: number; readonly update: ReturnType<typeof step> } | undefined;
  for (let epoch = start.epoch; epoch < setup.epochs; epoch++) {
    const decision = schedule(state.history);
    if (decision.stop) return { kind: "stopped", state, reason: decision.reason ?? "the schedule ended the run" };
    // Each step's params go straight into the next (donated): the loop copies what it keeps (see `kept`).
    if (current?.etaScale !== decision.etaScale) {
      current = { etaScale: decision.etaScale, update: step(setup.net, setup.cost, optimizerFor(decision.etaScale), { donate: true }) };
    }
    const end = await trainBatches(loop, state, epoch, current.update);
    if (end.kind === "diverged") return { kind: "diverged", state, epoch, batch: end.batch, cost: end.cost };
    if (end.kind === "interrupted") return { kind: "interrupted", state: stateAt(state, epoch, end.at) };
    const next = endEpoch(loop, state, epoch, decision.etaScale, end);
    state = next.state;
    if (hooks.onEpoch?.(next.result, state) === "stop") return { kind: "stopped", state, reason: "asked to stop" };
    // And after the evaluation, which runs without yielding.
    if (await askInterrupted(loop)) return { kind: "interrupted", state };
  }
  return { kind: "finished", state };
}
