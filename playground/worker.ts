/**
 * The playground's training worker: loads MNIST over fetch, trains with nn's loop (so the page never freezes),
 * and reports epochs, curves, weights and predictions as messages. Parameters are immutable values between
 * steps except inside the jitted step, which overwrites the ones it was given: whatever is kept here for
 * later (predictions, tiles, the saved model) is a copy taken between steps.
 */
import { browserHelperStarter, cast, createWasmKernels, fastKernels, key, setKernels, Tensor, treeLeaves, treeMap, wasmSupported, type DType, type Tree } from "../core/index.ts";
import { fetchIdxDirectory, gather, batchGatherer, seedSplit, sliceDataset, type Dataset, type Splits } from "../datasets/index.ts";
import { COST_WINDOW } from "./protocol.ts";
import { bestLine, copyTree, epochLine, percentOf, costs, decodeModel, decodeSafetensors, encodeModel, looksLikeSafetensors, epochRecord, initialState, train, type EpochSummary, type Evaluation, type Examples, type Network, type TrainSetup, type TrainState, evaluate } from "../nn/index.ts";
import type { FromWorker, Mistake, PlaygroundConfig, RunState, ToWorker } from "./protocol.ts";
import { checkNumbers, costOf, networkOf, optimizerOf } from "./setup.ts";

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const fail = (e: unknown) => post({ type: "error", message: (e instanceof Error ? e.message : String(e)).split("\n")[0] });

let dtype: DType = "float32";
let splits: Splits | undefined;
/** The network and parameters predictions and saving use: a copy, refreshed between steps. */
let current: { net: Network; params: Tree; options: Record<string, string | number | boolean | null>; history: readonly EpochSummary[] } | undefined;
let run: { setup: TrainSetup; state: TrainState } | undefined;
let state: RunState = "loading";
let stopRequest: "pause" | "reset" | undefined;

const setState = (s: RunState) => {
  state = s;
  post({ type: "state", state: s });
};

const examplesOf = (ds: Dataset): Examples => ({ size: ds.count, gather: (i) => gather(ds, i, dtype), reusingGather: () => batchGatherer(ds, dtype) });
const copy = copyTree;

function mistakes(e: Evaluation, ds: Dataset, max = 24): Mistake[] {
  const out: Mistake[] = [];
  for (let i = 0; i < e.predicted.length && out.length < max; i++) {
    if (e.predicted[i] !== ds.labels[i]) out.push({ index: i, predicted: e.predicted[i], truth: ds.labels[i], pixels: ds.images.slice(i * ds.features, (i + 1) * ds.features) });
  }
  return out;
}

/**
 * The first layer's weights, unit by unit, for the tiles: a dense layer's (inputs × units) on the pixels, or a
 * convolution's filters (maps × 1 × k × k) on a one-channel image, each filter a k×k tile.
 */
function postWeights(params: Tree, inputs: number): void {
  // Leaves come in sorted key order (a layer's b before its w): the first 4-D leaf is the first convolution's filters.
  const first = treeLeaves(params).find((t) => t.rank >= 2);
  if (first !== undefined && first.rank === 4 && first.shape[1] === 1) {
    const [maps, , kh, kw] = first.shape;
    const out = Float32Array.from(first.data);
    return post({ type: "weights", units: maps, inputs: kh * kw, w: out }, [out.buffer]);
  }
  const w = treeLeaves(params).find((t) => t.rank === 2 && t.shape[0] === inputs);
  if (w === undefined) return;
  const units = w.shape[1];
  const out = new Float32Array(units * inputs);
  for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) out[u * inputs + i] = w.data[i * units + u];
  post({ type: "weights", units, inputs, w: out }, [out.buffer]);
}

const percent = percentOf;

/** A layer as the gradient chart's legend names it: its place and its spec ("layer 2: dense 30"). */
function layerLabel(net: Network, i: number): string {
  const spec = net.spec.layers[i];
  const kind = typeof spec === "string" ? spec : Object.entries(spec).filter(([k]) => k !== "init").map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("×") : String(v)}`).join(", ");
  return `layer ${i}: ${kind}`;
}

async function start(config: PlaygroundConfig): Promise<void> {
  if (splits === undefined) return fail("the data has not loaded yet");
  const data = splits;
  const all = data.training.count;
  const checked = checkNumbers(config, all);
  if (checked._tag === "Left") return fail(checked.left);
  const net = networkOf(config, data.training.features, data.training.classes);
  if (net._tag === "Left") return fail(net.left);
  const cost = costOf(config, data.training.classes);
  if (cost._tag === "Left") return fail(cost.left);
  const training = data.training.count === config.trainSize ? data.training : { ...data.training, count: config.trainSize, images: data.training.images.subarray(0, config.trainSize * data.training.features), labels: data.training.labels.subarray(0, config.trainSize) };
  const optimizer = optimizerOf(config, training.count);
  const setup: TrainSetup = {
    net: net.right, cost: cost.right, optimizer,
    data: examplesOf(training), evalData: examplesOf(data.test), monitors: { validation: examplesOf(data.validation) },
    // Each layer's gradient norms after every epoch, over the first 1,000 training images (the gradient chart).
    gradientMonitor: examplesOf(sliceDataset(training, 0, Math.min(1000, training.count))),
    epochs: config.epochs, batchSize: config.batchSize, key: key(config.seed),
  };
  const first = initialState(net.right, optimizer, key(config.seed));
  const params = treeMap(first.params, (t) => cast(t, dtype));
  const options = { spec: config.spec, init: config.init, cost: config.cost === "custom" ? `custom: ${config.costExpression}` : config.cost, eta: config.eta, batchSize: config.batchSize, lambda: config.lambda, momentum: config.momentum, trainSize: config.trainSize, seed: config.seed, backend: dtype === "float32" ? "wasm" : "js" };
  run = { setup, state: { ...first, params, optState: optimizer.init(params) } };
  current = { net: net.right, params: copy(params), options, history: [] };
  postWeights(params, net.right.inputSize);
  await resume();
}

async function resume(): Promise<void> {
  if (run === undefined || current === undefined) return;
  const { setup } = run;
  const live = current;
  const inputs = setup.net.inputSize;
  setState("running");
  stopRequest = undefined;
  // The cost chart's points: each the mean over a window of COST_WINDOW examples (whole batches), so every
  // point weighs the same and none is one batch's cost (the window runs on across epochs and evaluations).
  const perPoint = Math.max(1, Math.round(COST_WINDOW / setup.batchSize));
  let windowCost = 0, windowBatches = 0, lastReport = performance.now(), clock = performance.now();
  let points: { epoch: number; cost: number }[] = [];
  let reportedImages = run.state.batch * setup.batchSize;
  const outcome = await train(setup, run.state, {
    onBatch(done, total, batchCost, params) {
      windowCost += batchCost;
      if (++windowBatches === perPoint) {
        points.push({ epoch: live.history.length + done / total, cost: windowCost / windowBatches });
        windowCost = windowBatches = 0;
      }
      const now = performance.now();
      if (now - lastReport < 100 && done < total) return;
      const epoch = live.history.length + done / total;
      const images = (done * setup.batchSize) - reportedImages;
      post({ type: "progress", points, epoch, imagesPerSecond: Math.max(images, 0) / ((now - clock) / 1000) });
      points = [];
      reportedImages = done === total ? 0 : done * setup.batchSize;
      clock = now;
      lastReport = now;
      live.params = copy(params);
      postWeights(params, inputs);
    },
    onEpoch(r, s) {
      const test = r.evaluation as Evaluation;
      const validation = r.monitors?.validation;
      post({ type: "log", line: epochLine(r) });
      post({
        type: "epoch", epoch: r.epoch, trainCost: r.trainCost, testAccuracy: percent(test.correct, test.total),
        validationAccuracy: validation === undefined ? null : percent(validation.correct, validation.total),
        confusion: test.confusion, mistakes: mistakes(test, splits!.test), imagesPerSecond: setup.data.size / r.seconds,
        gradients: (r.gradients ?? []).map((g) => ({ label: layerLabel(setup.net, g.layer), norm: g.norms.b ?? Math.hypot(...Object.values(g.norms)) })),
      });
      live.params = s.params;
      live.history = s.history;
      reportedImages = 0;
      clock = performance.now();
      postWeights(s.params, inputs);
    },
    interrupted: () => stopRequest !== undefined,
  });
  run = { setup, state: outcome.state };
  live.params = outcome.state.params;
  live.history = outcome.state.history;
  if (outcome.kind === "diverged") {
    fail(new Error(`training diverged at epoch ${outcome.epoch}, batch ${outcome.batch} (cost ${outcome.cost}): try a smaller η`));
    run = undefined;
    return setState("finished");
  }
  if (outcome.kind === "interrupted" && stopRequest === "reset") return reset();
  if (outcome.kind === "interrupted") return setState("paused");
  const best = bestLine(outcome.state.history, "test");
  if (best !== undefined) post({ type: "log", line: best });
  setState("finished");
}

function reset(): void {
  run = undefined;
  current = undefined;
  stopRequest = undefined;
  setState("idle");
}

function predict(pixels: Float64Array): void {
  if (current === undefined) return; // reset while the page still asked: it shows "start training or load a model"
  const x = cast(new Tensor([1, pixels.length], pixels), dtype);
  const out = current.net.apply(current.params, x);
  post({ type: "prediction", outputs: Array.from(out.data) });
}

function loadModel(name: string, buffer: ArrayBuffer): void {
  if (splits === undefined) return fail("the data has not loaded yet");
  if (state === "running" || state === "pausing") return fail("pause or reset the training before loading a model");
  const bytes = new Uint8Array(buffer);
  let json: unknown;
  if (looksLikeSafetensors(bytes)) {
    const decoded = decodeSafetensors(bytes, name);
    if (decoded._tag === "Left") return fail(decoded.left);
    json = decoded.right;
  } else {
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return fail(`${name}: neither a JSON nor a safetensors model file (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const model = decodeModel(json, name);
  if (model._tag === "Left") return fail(model.left);
  const { net, options, history } = model.right;
  if (net.inputSize !== splits.test.features || net.outputSize !== splits.test.classes) {
    return fail(`${name}: the model maps ${net.inputSize} inputs to ${net.outputSize} outputs; the data has ${splits.test.features} pixels and ${splits.test.classes} classes`);
  }
  const params = treeMap(model.right.params, (t) => cast(t, dtype));
  const costName = typeof options.cost === "string" && Object.hasOwn(costs, options.cost) ? (options.cost as keyof typeof costs) : "quadratic";
  const e = evaluate(net, params, examplesOf(splits.test), costs[costName]);
  run = undefined;
  current = { net, params, options: { ...options }, history: history.map((h) => ({ ...h })) };
  postWeights(params, net.inputSize);
  post({ type: "log", line: `${name}: ${e.correct} / ${e.total} (${percent(e.correct, e.total).toFixed(2)}%) on the test set` });
  post({ type: "evaluated", name, correct: e.correct, total: e.total, confusion: e.confusion, mistakes: mistakes(e, splits.test) });
  setState("idle");
}

function saveModel(): void {
  if (current === undefined) return fail("no model to save yet: start training or load a model");
  const json = JSON.stringify(encodeModel({ net: current.net, params: current.params, options: current.options, history: current.history.map(epochRecord) }));
  post({ type: "model", json: `${json}\n` });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  try {
    switch (m.type) {
      case "start":
        if (state === "running" || state === "pausing") return fail("already training: pause or reset first");
        return void start(m.config).catch(fail);
      case "pause":
        if (state === "running") {
          stopRequest = "pause";
          setState("pausing");
        }
        return;
      case "resume":
        if (state === "paused") return void resume().catch(fail);
        return;
      case "reset":
        if (state === "running" || state === "pausing") stopRequest = "reset";
        else reset();
        return;
      case "predict": return predict(m.pixels);
      case "loadModel": return loadModel(m.name, m.bytes);
      case "saveModel": return saveModel();
    }
  } catch (e) {
    fail(e);
  }
};

async function boot(): Promise<void> {
  let note: string | null = null;
  const query = new URLSearchParams(self.location.search);
  const forcedJs = query.get("kernels") === "js";
  let threads = 1;
  if (wasmSupported() && !forcedJs) {
    const two = query.get("threads") === "2";
    const k = createWasmKernels(two ? { startHelper: browserHelperStarter(new URL("helper.js", self.location.href)) } : {});
    setKernels(k);
    note = k.note ?? null;
    // The helper starts on its own time; until it runs (or if it never does) its share is done here, same numbers.
    if (two && k.note === undefined) threads = 2;
  } else {
    setKernels(fastKernels);
    dtype = "float64";
    note = forcedJs
      ? "the JavaScript kernels (float64) were asked for (?kernels=js): several times slower than wasm"
      : "WebAssembly SIMD is not available in this browser: training on the JavaScript kernels (float64), several times slower";
  }
  const dir = await fetchIdxDirectory(new URL("data/", self.location.href).href);
  if (dir._tag === "Left") return fail(dir.left);
  const s = seedSplit(dir.right);
  if (s._tag === "Left") return fail(s.left);
  splits = s.right;
  post({ type: "ready", kernels: dtype === "float32" ? `wasm (float32 SIMD), ${threads === 2 ? "2 threads" : "1 thread"}` : "js (float64)", note, trainImages: splits.training.count, testImages: splits.test.count });
  setState("idle");
}

boot().catch(fail);
