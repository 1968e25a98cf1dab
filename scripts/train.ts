/** Trains a network on MNIST (or any IDX data set) and prints what the seed prints: `Epoch 0: 9129 / 10000`. */
import { resolve } from "node:path";
import { right } from "fp-ts/lib/Either.js";
import { cast, key, treeLeaves, treeMap, type Key, type Tree } from "../core/index.ts";
import { decodeCheckpoint, decodeCheckpointHeader, encodeCheckpoint, encodeCheckpointSafetensors, encodeModel, encodeModelSafetensors, specParameterCount, withoutInit, epochRecord, initialState, train, type EpochResult, type EpochSummary, type Score, type TrainState } from "../nn/index.ts";
import { useBackend } from "./cli/backend.ts";
import { svgChart, terminalChart } from "./cli/charts.ts";
import { examples, loadSplits, shiftedExamples } from "./cli/data.ts";
import { gather, SHIFTS } from "../datasets/index.ts";
import { likelyCause } from "./cli/diagnose.ts";
import { EXIT_DIVERGED, EXIT_INTERRUPTED, orFail, runMain, UserError } from "./cli/exit.ts";
import { buildCost, buildNetwork, buildOptimizer, buildSchedule, networkSpec } from "./cli/experiment.ts";
import { appendRecord, checkJsonCapacity, checkOutputs, isSafetensorsPath, readModelOrCheckpoint, writeFileAtomic, writeFileAtomicBytes } from "./cli/files.ts";
import { commandLine, invokedAs, parseFlags, type FlagValues } from "./cli/flags.ts";
import { lifeline } from "./cli/lifeline.ts";
import { ansiAllowed, epochProgress } from "./cli/progress.ts";
import { changeableOnResume, runFlags, trainFlags } from "./cli/train-flags.ts";

type Flags = FlagValues<typeof trainFlags>;
const usage = "npm run train -- [flags]";
const about = "Trains a network by mini-batch SGD: the seed's sigmoid network of chapter 1 of Neural Networks and Deep Learning by default, or any --spec.";

function parse(argv: readonly string[]) {
  return parseFlags(argv, trainFlags, { min: 0, max: 0, names: "" });
}

/** The run flags as the user gave them, to store in a checkpoint (paths made absolute). */
function recordedOptions(given: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(runFlags)) {
    const v = given[name];
    if (v !== undefined) out[name] = name === "data" || name === "spec" ? resolve(v[0]) : v[0];
  }
  return out;
}

/** Two raw flag values mean the same: equal as numbers when both are, else as text (paths resolved). */
function sameValue(name: string, a: string, b: string): boolean {
  if (name === "data" || name === "spec") return resolve(a) === resolve(b);
  const na = Number(a), nb = Number(b);
  return a.trim() !== "" && b.trim() !== "" && Number.isFinite(na) && Number.isFinite(nb) ? na === nb : a === b;
}

/**
 * With --resume, the checkpoint's run flags come back, re-decoded like typed ones. The original command
 * may be repeated with --resume added: a run flag given again with the same value is accepted; only a
 * changed value is refused (except those that may change). A checkpoint holds only run settings: where
 * outputs go is decided by the command line alone.
 */
function resumeFlags(path: string, given: Readonly<Record<string, readonly string[]>>): { flags: Flags; options: Record<string, string>; raw: unknown } {
  const raw = readModelOrCheckpoint(path, "checkpoint");
  const header = orFail(decodeCheckpointHeader(raw, path));
  for (const name of Object.keys(header.options)) {
    if (!Object.hasOwn(runFlags, name)) throw new UserError(`${path}: options.${name} is not a run setting (outputs and other choices are made on the command line)`);
  }
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(runFlags, name) || changeableOnResume.has(name)) continue;
    const recorded = header.options[name] ?? (runFlags as Record<string, { default?: string }>)[name].default;
    const now = given[name][0];
    if (recorded === undefined || !sameValue(name, recorded, now)) {
      throw new UserError(`--${name} cannot change when resuming: the checkpoint has ${recorded === undefined ? "none" : recorded}, the command line ${now}`);
    }
  }
  const options: Record<string, string> = { ...header.options };
  for (const name of changeableOnResume) if (given[name] !== undefined) options[name] = given[name][0];
  const argv = [...Object.entries(options).flatMap(([k, v]) => [`--${k}=${v}`]), ...Object.entries(given).filter(([k]) => !Object.hasOwn(runFlags, k)).flatMap(([k, v]) => [`--${k}=${v[0]}`])];
  const parsed = parse(argv);
  if (parsed._tag === "Left") throw new UserError(`${path}: ${parsed.left.message}`);
  return { flags: parsed.right.flags, options, raw };
}

/** The network, and every run setting the command line gave a value other than its default, for a chart's title. */
function chartTitle(net: string, options: Readonly<Record<string, string>>): string {
  const symbol: Record<string, string> = { eta: "η", lambda: "λ", momentum: "μ" };
  const settings = ["cost", "optimizer", "eta", "batch-size", "epochs", "init", "lambda", "momentum", "expand", "schedule", "early-stop", "seed", "train-size", "backend"]
    .filter((k) => options[k] !== undefined && options[k] !== (runFlags as Record<string, { default?: string }>)[k].default)
    .map((k) => `${symbol[k] ?? k}=${options[k]}`);
  return [net, ...settings].join(", ");
}

/** Signals closer together than this are taken as one (a terminal's Ctrl-C reaching us twice through npm or tsx). */
const SIGNAL_WINDOW_MS = 500;

/** Weights beyond this are not learning: the seed's networks keep theirs within ±100. */
const WEIGHT_BOUND = 1e6;

/**
 * Whether an epoch shows a run that has failed though every number is finite: weights beyond
 * WEIGHT_BOUND, or accuracy fallen to chance after a better epoch (diverged: stop, exit 3); or accuracy
 * still at chance after two epochs (a warning with the likely fix).
 */
function collapse(r: EpochResult, state: TrainState, classes: number, cause: (params: Tree) => string): { diverged?: string; warning?: string } {
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

/** The seed's `Epoch j: n / total`, then the epoch's mean training cost and its training seconds. */
function epochLine(r: EpochSummary): string {
  return `Epoch ${r.epoch}: ${r.evaluation?.correct} / ${r.evaluation?.total}   training cost ${r.trainCost.toFixed(6)}, ${r.seconds.toFixed(2)} s\n`;
}

/** One JSON line per epoch for plotting elsewhere; a line is written whole in one call. */
function appendLog(path: string, r: EpochSummary, eta: number, evalSet: string): void {
  const score = (e: Score | undefined) => (e === undefined ? undefined : { correct: e.correct, total: e.total, accuracy: e.total === 0 ? null : e.correct / e.total, cost: e.cost });
  const monitors = Object.fromEntries(Object.entries(r.monitors ?? {}).map(([k, e]) => [k, score(e)]));
  const record = { epoch: r.epoch, eta: eta * (r.etaScale ?? 1), trainCost: r.trainCost, seconds: r.seconds, [evalSet]: score(r.evaluation), ...monitors };
  appendRecord(path, `${JSON.stringify(record)}\n`, "--log");
}

function percent(correct: number, total: number): string {
  return `${((100 * correct) / total).toFixed(2)}%`;
}

runMain(async () => {
  const cli = commandLine(trainFlags, { usage, about });
  if (cli === undefined) return 0;
  const resuming = cli.flags.resume;
  for (const other of ["layers", "init"]) {
    if (cli.given.spec !== undefined && cli.given[other] !== undefined) throw new UserError(`--spec and --${other} cannot be combined (the spec file says it all)`);
  }
  const { flags: f, options, raw } = resuming !== undefined
    ? resumeFlags(resuming, cli.given)
    : { flags: cli.flags, options: recordedOptions(cli.given), raw: undefined };
  // A resumed run goes on writing the checkpoint it resumed from, unless --checkpoint names another.
  const checkpointPath = f.checkpoint ?? resuming;
  checkOutputs([["--save", f.save], ["--save-best", f["save-best"]], ["--plot", f.plot], ["--log", f.log], [f.checkpoint === undefined ? "--resume" : "--checkpoint", checkpointPath]], [["--spec", f.spec], ["--resume", resuming]]);

  const quiet = cli.flags.quiet;
  /** What the run did besides its epoch lines and summary, on stderr (not with --quiet). */
  const note = (line: string) => quiet || process.stderr.write(`${line}\n`);
  const { dtype } = useBackend(f.backend, f.threads);
  const splits = loadSplits(f.data, f["train-size"]);
  const net = buildNetwork(f, splits.training.features, splits.training.classes);
  const cost = buildCost(f);
  // A file too large for JSON is refused now, not after training: a .safetensors name holds any network.
  const parameters = specParameterCount(net.spec);
  checkJsonCapacity("--save", f.save, parameters);
  checkJsonCapacity("--save-best", f["save-best"], parameters);
  checkJsonCapacity(f.checkpoint === undefined ? "--resume" : "--checkpoint", checkpointPath, parameters * (2 + (f.optimizer === "adam" ? 2 : f.momentum > 0 ? 1 : 0)));
  if (f.cost === "log-likelihood" && net.spec.layers[net.spec.layers.length - 1] !== "softmax") {
    process.stderr.write(`warning: --cost log-likelihood expects probabilities, but ${f.spec ?? "the network"} does not end with "softmax"\n`);
  }
  // L2's n is the size of the training set as trained on: ×5 with the shifted copies (as the book's expanded data).
  const optimizer = buildOptimizer(f, splits.training.count * (f.expand === "shift" ? SHIFTS.length : 1));
  const evalSet = f.eval === "test" ? splits.test : splits.validation;
  const schedule = buildSchedule(f.schedule, f["early-stop"]);
  // Early stopping and the plateau schedule judge by validation accuracy: watch it if the evaluation set is not it.
  const watched = new Set(f.monitor ?? []);
  if ((f["early-stop"] !== undefined || f.schedule.kind === "halve-on-plateau" || f["save-best"] !== undefined) && f.eval !== "validation") watched.add("validation");
  const monitors = Object.fromEntries([...watched].map((m) => [m, examples(splits[m], dtype)]));
  const toDtype = (t: Tree) => treeMap(t, (x) => cast(x, dtype));

  let rootKey: Key = key(f.seed);
  let start: TrainState;
  if (resuming !== undefined) {
    const c = orFail(decodeCheckpoint(raw, resuming, () => right(optimizer(1)), toDtype));
    if (JSON.stringify(withoutInit(c.spec)) !== JSON.stringify(withoutInit(net.spec))) throw new UserError(`${resuming}: its network does not match its own flags`);
    rootKey = c.key;
    start = c.state;
    if (start.epoch >= f.epochs) throw new UserError(`${resuming}: already trained ${start.epoch} epochs; give --epochs above ${start.epoch} to go on`);
    const perEpoch = Math.ceil((splits.training.count * (f.expand === "shift" ? SHIFTS.length : 1)) / f["batch-size"]);
    if (start.batch > perEpoch) throw new UserError(`${resuming} field batch: ${start.batch} is beyond the ${perEpoch} mini-batches of an epoch`);
    note(`resuming from ${resuming} at epoch ${start.epoch}${start.batch > 0 ? `, batch ${start.batch}` : ""}\n`);
    for (const r of start.history) process.stdout.write(epochLine(r));
  } else {
    // Parameters are drawn in float64 and rounded to the backend's precision, so a seed means the same start everywhere.
    start = initialState({ ...net, init: (k) => toDtype(net.init(k)) }, optimizer, rootKey);
  }

  const writeCheckpoint = (state: TrainState) => {
    if (checkpointPath === undefined) return;
    const c = { spec: net.spec, options, key: rootKey, state };
    if (isSafetensorsPath(checkpointPath)) writeFileAtomicBytes(checkpointPath, encodeCheckpointSafetensors(c), "--checkpoint");
    else writeFileAtomic(checkpointPath, `${JSON.stringify(encodeCheckpoint(c))}\n`, "--checkpoint");
  };
  // Ctrl-C or SIGTERM: finish the mini-batch, write the checkpoint, exit 130. A second Ctrl-C exits at once.
  // `npm run` and `npx tsx` pass a terminal's Ctrl-C on to us while the terminal also sends it to the whole
  // process group: signals within a short window are one request.
  let stopRequested = false;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      if (performance.now() - firstSignalAt < SIGNAL_WINDOW_MS) return;
      process.exit(EXIT_INTERRUPTED);
    }
    stopRequested = true;
    firstSignalAt = performance.now();
    process.stderr.write(`\n${signal}: stopping after this mini-batch${checkpointPath !== undefined ? " and writing the checkpoint" : ""} (again to quit at once)\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A process manager that kills `npm run train` kills npm only: when the command the user started goes,
  // stop as on SIGTERM rather than train on, orphaned, writing checkpoints nobody asked for any more.
  const gone = lifeline({ parent: true });
  const orphaned = () => {
    if (stopRequested || !gone()) return false;
    onSignal("SIGTERM");
    return true;
  };

  // A run can fail without NaN: weights blown up to 1e28, or accuracy fallen to chance (see collapse).
  let diverged: string | undefined;
  let warned = false;
  const batches = Math.ceil((splits.training.count * (f.expand === "shift" ? SHIFTS.length : 1)) / f["batch-size"]);
  const progress = epochProgress(process.stderr.isTTY === true && !quiet && ansiAllowed());
  const started = performance.now();
  progress.start(start.epoch, batches);
  const outcome = await train(
    {
      net, cost, optimizer, schedule, monitors,
      data: f.expand === "shift" ? shiftedExamples(splits.training, dtype) : examples(splits.training, dtype), evalData: examples(evalSet, dtype),
      epochs: f.epochs, batchSize: f["batch-size"], key: rootKey,
    },
    start,
    {
      onBatch: (done) => progress.update(done),
      onEpoch(r: EpochResult, state) {
        progress.stop();
        const verdict = collapse(r, state, net.outputSize, (params) => likelyCause(
          { spec: net.spec, cost: f.cost, eta: f.eta, fromLayers: f.spec === undefined },
          params,
          gather(splits.training, Array.from({ length: Math.min(100, splits.training.count) }, (_, i) => i), dtype).x,
        ));
        if (verdict.diverged !== undefined) {
          diverged = verdict.diverged;
          return "stop";
        }
        if (verdict.warning !== undefined && !warned) {
          warned = true;
          process.stderr.write(`warning: ${verdict.warning}\n`);
        }
        process.stdout.write(epochLine(r));
        if (f.log !== undefined) appendLog(f.log, r, f.eta, f.eval);
        for (const [name, e] of Object.entries(r.monitors ?? {})) {
          if (e !== undefined && f.monitor?.includes(name as "training") && !quiet) process.stdout.write(`  ${name}: accuracy ${e.correct} / ${e.total}, cost ${e.cost.toFixed(6)}\n`);
        }
        if (r.etaScale !== 1 && !quiet) process.stdout.write(`  η = ${f.eta * r.etaScale}\n`);
        writeCheckpoint(state);
        if (r.epoch + 1 < f.epochs) progress.start(r.epoch + 1, batches);
      },
      interrupted: () => orphaned() || stopRequested,
    },
  );
  progress.stop();
  if (diverged !== undefined) throw new UserError(`training diverged: ${diverged}; try a smaller --eta`, EXIT_DIVERGED);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  if (outcome.kind === "diverged") {
    throw new UserError(`training diverged at epoch ${outcome.epoch}, batch ${outcome.batch} (cost=${outcome.cost}); try a smaller --eta`, EXIT_DIVERGED);
  }
  if (outcome.kind === "interrupted") {
    if (checkpointPath === undefined) throw new UserError("interrupted; nothing was saved (give --checkpoint FILE to be able to resume)", EXIT_INTERRUPTED);
    writeCheckpoint(outcome.state);
    const at = `epoch ${outcome.state.epoch}${outcome.state.batch > 0 ? `, batch ${outcome.state.batch}` : ""}`;
    throw new UserError(`interrupted at ${at}; resume with: ${invokedAs("train")} --resume ${checkpointPath}`, EXIT_INTERRUPTED);
  }

  const history = outcome.state.history;
  if (history.length === 0) return 0;
  // With early stopping (or a schedule that ended the run), the kept parameters are the best epoch's.
  const keepBest = f["early-stop"] !== undefined && outcome.state.best !== undefined;
  const finalParams = keepBest ? outcome.state.best!.params : outcome.state.params;
  if (outcome.kind === "stopped" && !quiet) process.stdout.write(`stopped after epoch ${outcome.state.epoch - 1}: ${outcome.reason}\n`);
  if (keepBest && !quiet) {
    const b = history[outcome.state.best!.epoch];
    const v = b.monitors?.validation ?? b.evaluation;
    process.stdout.write(`keeping the parameters of epoch ${b.epoch} (validation ${v?.correct} / ${v?.total}; ${f.eval} ${b.evaluation?.correct} / ${b.evaluation?.total})\n`);
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const accuracies = history.map((r) => (100 * (r.evaluation?.correct ?? 0)) / (r.evaluation?.total ?? 1));
  const best = history.reduce((a, b) => ((b.evaluation?.correct ?? 0) > (a.evaluation?.correct ?? 0) ? b : a));
  const trainSeconds = history.reduce((s, r) => s + r.seconds, 0);
  const e = best.evaluation!;
  process.stdout.write(
    `best: ${percent(e.correct, e.total)} (${e.correct} / ${e.total}) at epoch ${best.epoch} on the ${f.eval} set; ` +
      `${history.length} epoch${history.length === 1 ? "" : "s"} in ${totalSeconds.toFixed(1)} s (${(trainSeconds / history.length).toFixed(2)} s per epoch training)\n`,
  );
  // The chart is for a terminal (or asked for): a pipe or a log file gets the lines and the summary.
  const chart = f.chart ?? (process.stdout.isTTY === true && !quiet) ? terminalChart(accuracies) : "";
  if (chart !== "") process.stdout.write(`${chart}\n`);

  // Every setting the run used, defaults included, for the record (evaluate reads the cost from it).
  const recorded: Record<string, string | number> = { spec: JSON.stringify(networkSpec(f)) };
  for (const name of Object.keys(runFlags) as (keyof typeof runFlags)[]) {
    const given = options[name];
    const v = f[name];
    if (given !== undefined) recorded[name] = given;
    else if (typeof v === "string" || typeof v === "number") recorded[name] = v;
    else if (Array.isArray(v)) recorded[name] = v.join(",");
  }
  recorded.schedule = options.schedule ?? "constant";
  const saveModel = (path: string, flag: string, params: Tree, what: string) => {
    const model = { net, params, options: recorded, history: history.map(epochRecord) };
    if (isSafetensorsPath(path)) writeFileAtomicBytes(path, encodeModelSafetensors(model), flag);
    else writeFileAtomic(path, `${JSON.stringify(encodeModel(model))}\n`, flag);
    note(`saved the model of ${what} to ${path}`);
  };
  const lastEpoch = history[history.length - 1].epoch;
  if (f.save !== undefined) {
    saveModel(f.save, "--save", finalParams, keepBest ? `epoch ${outcome.state.best!.epoch} (the best on validation, kept by early stopping)` : `epoch ${lastEpoch} (the last)`);
  }
  if (f["save-best"] !== undefined && outcome.state.best !== undefined) {
    const b = history[outcome.state.best.epoch];
    const v = b.monitors?.validation ?? b.evaluation;
    saveModel(f["save-best"], "--save-best", outcome.state.best.params, `epoch ${b.epoch} (the best on validation: ${v?.correct} / ${v?.total})`);
  }

  if (f.plot !== undefined) {
    const colours: Record<string, string> = { training: "#d62728", validation: "#2ca02c", test: "#9467bd" };
    const monitored = [...watched].filter((m) => m !== f.eval);
    const pct = (e: { correct: number; total: number } | undefined) => (e === undefined ? NaN : (100 * e.correct) / e.total);
    writeFileAtomic(f.plot, svgChart(chartTitle(f.spec ?? f.layers.join("-"), options), [
      {
        title: `accuracy on the ${[f.eval, ...monitored].join(", ")} set${monitored.length > 0 ? "s" : ""}`,
        unit: "%",
        curves: [
          { label: `${f.eval} accuracy`, values: accuracies, colour: "#1f77b4" },
          ...monitored.map((m) => ({ label: `${m} accuracy`, values: history.map((r) => pct(r.monitors?.[m])), colour: colours[m] })),
        ],
        best: { curve: 0, epoch: best.epoch - history[0].epoch, label: `best ${percent(e.correct, e.total)} (epoch ${best.epoch})` },
      },
      {
        title: `${f.cost} cost`,
        unit: "",
        curves: [
          { label: "training cost (mean over the epoch's mini-batches)", values: history.map((r) => r.trainCost), colour: "#ff7f0e" },
          { label: `${f.eval} cost (after the epoch)`, values: history.map((r) => r.evaluation?.cost ?? NaN), colour: "#1f77b4" },
          ...monitored.map((m) => ({ label: `${m} cost (after the epoch)`, values: history.map((r) => r.monitors?.[m]?.cost ?? NaN), colour: colours[m] })),
        ],
      },
    ]), "--plot");
    note(`wrote the chart to ${f.plot}`);
  }
  return 0;
});
