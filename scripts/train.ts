/**
 * Trains a network on MNIST (or any IDX data set) and prints what the seed prints: `Epoch 0: 9129 / 10000`.
 * Four phases: set up (flags, outputs, data, network), the start (fresh or a checkpoint's), training with
 * each epoch printed, and the finish (summary, models, chart).
 */
import { right } from "fp-ts/lib/Either.js";
import { cast, key, treeMap, type Key, type Tree } from "../core/index.ts";
import { gather, SHIFTS, sliceDataset } from "../datasets/index.ts";
import { bestLine, decodeCheckpoint, encodeCheckpoint, encodeCheckpointSafetensors, encodeModel, encodeModelSafetensors, epochLine, epochRecord, initialState, percentOf, specParameterCount, train, withoutInit, type EpochResult, type MonitorName, type TrainState } from "../nn/index.ts";
import { useBackend } from "./cli/backend.ts";
import { terminalChart } from "./cli/charts.ts";
import { examples, loadSplits, shiftedExamples } from "./cli/data.ts";
import { collapse, likelyCause } from "./cli/diagnose.ts";
import { EXIT_DIVERGED, EXIT_INTERRUPTED, orFail, runMain, UserError } from "./cli/exit.ts";
import { buildCost, buildNetwork, buildOptimizer, buildSchedule, networkSpec } from "./cli/experiment.ts";
import { checkJsonCapacity, checkOutputs, isSafetensorsPath, writeFileAtomic, writeFileAtomicBytes } from "./cli/files.ts";
import { commandLine, invokedAs } from "./cli/flags.ts";
import { ansiAllowed, epochProgress } from "./cli/progress.ts";
import { recordedOptions, resumeFlags } from "./cli/resume.ts";
import { appendLog, chartTitle, writeRunChart } from "./cli/run-record.ts";
import { stopRequest } from "./cli/stop-request.ts";
import { runFlags, trainFlags } from "./cli/train-flags.ts";

const usage = "npm run train -- [flags]";

/** CPU seconds this process has used (user + system). */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const about = "Trains a network by mini-batch SGD: the seed's sigmoid network of chapter 1 of Neural Networks and Deep Learning by default, or any --spec.";

/** The run the command line asks for: flags (a resumed run's from its checkpoint), checked outputs, data, network, cost, optimizer. */
function setUp(cli: NonNullable<ReturnType<typeof commandLine<typeof trainFlags>>>) {
  const resuming = cli.flags.resume;
  for (const other of ["layers", "init"]) {
    if (cli.given.spec !== undefined && cli.given[other] !== undefined) throw new UserError(`--spec and --${other} cannot be combined (the spec file says it all)`);
  }
  const { flags: f, options, raw } = resuming !== undefined
    ? resumeFlags(resuming, cli.given)
    : { flags: cli.flags, options: recordedOptions(cli.given), raw: undefined };
  // A resumed run goes on writing the checkpoint it resumed from, unless --checkpoint names another.
  const checkpointPath = f.checkpoint ?? resuming;
  const checkpointFlag = f.checkpoint === undefined ? "--resume" : "--checkpoint";
  checkOutputs([["--save", f.save], ["--save-best", f["save-best"]], ["--plot", f.plot], ["--log", f.log], [checkpointFlag, checkpointPath]], [["--spec", f.spec], ["--resume", resuming]]);
  const { dtype } = useBackend(f.backend, f.threads);
  const splits = loadSplits(f.data, f["train-size"]);
  const net = buildNetwork(f, splits.training.features, splits.training.classes);
  // A file too large for JSON is refused now, not after training: a .safetensors name holds any network.
  const parameters = specParameterCount(net.spec);
  checkJsonCapacity("--save", f.save, parameters);
  checkJsonCapacity("--save-best", f["save-best"], parameters);
  checkJsonCapacity(checkpointFlag, checkpointPath, parameters * (2 + (f.optimizer === "adam" ? 2 : f.momentum > 0 ? 1 : 0)));
  if (f.cost === "log-likelihood" && net.spec.layers[net.spec.layers.length - 1] !== "softmax") {
    process.stderr.write(`warning: --cost log-likelihood expects probabilities, but ${f.spec ?? "the network"} does not end with "softmax"\n`);
  }
  // L2's n is the size of the training set as trained on: ×5 with the shifted copies (as the book's expanded data).
  const trainingSize = splits.training.count * (f.expand === "shift" ? SHIFTS.length : 1);
  // Early stopping and the plateau schedule judge by validation accuracy: watch it if the evaluation set is not it.
  const watched = new Set((f.monitor ?? []).filter((m): m is MonitorName => m !== "gradients"));
  const gradients = f.monitor?.includes("gradients") === true;
  if ((f["early-stop"] !== undefined || f.schedule.kind === "halve-on-plateau" || f["save-best"] !== undefined) && f.eval !== "validation") watched.add("validation");
  const quiet = cli.flags.quiet;
  return {
    f, options, raw, resuming, checkpointPath, dtype, splits, net, watched, gradients, quiet, trainingSize,
    cost: buildCost(f),
    optimizer: buildOptimizer(f, trainingSize),
    schedule: buildSchedule(f.schedule, f["early-stop"]),
    batches: Math.ceil(trainingSize / f["batch-size"]),
    /** What the run did besides its epoch lines and summary, on stderr (not with --quiet). */
    note: (line: string) => quiet || process.stderr.write(`${line}\n`),
    toDtype: (t: Tree) => treeMap(t, (x) => cast(x, dtype)),
  };
}
type Run = ReturnType<typeof setUp>;

/** Where training starts: a checkpoint's state (its earlier epoch lines printed again), or a fresh initialisation. */
function startState(run: Run): { rootKey: Key; start: TrainState } {
  const { f, resuming, net } = run;
  if (resuming === undefined) {
    const rootKey = key(f.seed);
    // Parameters are drawn in float64 and rounded to the backend's precision, so a seed means the same start everywhere.
    return { rootKey, start: initialState({ ...net, init: (k) => run.toDtype(net.init(k)) }, run.optimizer, rootKey) };
  }
  const c = orFail(decodeCheckpoint(run.raw, resuming, () => right(run.optimizer(1)), run.toDtype));
  if (JSON.stringify(withoutInit(c.spec)) !== JSON.stringify(withoutInit(net.spec))) throw new UserError(`${resuming}: its network does not match its own flags`);
  const start = c.state;
  // --epochs equal to the epochs done, with --save: no more training, the checkpoint's model written out.
  const exportOnly = start.epoch === f.epochs && start.batch === 0 && f.save !== undefined;
  if (start.epoch >= f.epochs && !exportOnly) throw new UserError(`${resuming}: already trained ${start.epoch} epochs; give --epochs above ${start.epoch} to go on (or --epochs ${start.epoch} with --save to write its model)`);
  if (start.batch > run.batches) throw new UserError(`${resuming} field batch: ${start.batch} is beyond the ${run.batches} mini-batches of an epoch`);
  run.note(`resuming from ${resuming} at epoch ${start.epoch}${start.batch > 0 ? `, batch ${start.batch}` : ""}`);
  for (const r of start.history) process.stdout.write(`${epochLine(r)}\n`);
  return { rootKey: c.key, start };
}

/** Writes the checkpoint (when the run has one), as safetensors or JSON by its name. */
function checkpointWriter(run: Run, rootKey: Key): (state: TrainState) => void {
  return (state) => {
    if (run.checkpointPath === undefined) return;
    const c = { spec: run.net.spec, options: run.options, key: rootKey, state };
    if (isSafetensorsPath(run.checkpointPath)) writeFileAtomicBytes(run.checkpointPath, encodeCheckpointSafetensors(c), "--checkpoint");
    else writeFileAtomic(run.checkpointPath, `${JSON.stringify(encodeCheckpoint(c))}\n`, "--checkpoint");
  };
}

/** Trains, printing each epoch as it ends; a run that fails with finite numbers (see collapse) stops with exit 3. */
async function trainPrinting(run: Run, rootKey: Key, start: TrainState, writeCheckpoint: (s: TrainState) => void) {
  const { f, net, splits, dtype, quiet } = run;
  const stop = stopRequest(run.checkpointPath !== undefined ? " and writing the checkpoint" : "");
  let diverged: string | undefined;
  let warned = false;
  const progress = epochProgress(process.stderr.isTTY === true && !quiet && ansiAllowed());
  const sample = () => gather(splits.training, Array.from({ length: Math.min(100, splits.training.count) }, (_, i) => i), dtype).x;
  progress.start(start.epoch, run.batches);
  const outcome = await train(
    {
      net, cost: run.cost, optimizer: run.optimizer, schedule: run.schedule,
      monitors: Object.fromEntries([...run.watched].map((m) => [m, examples(splits[m], dtype)])),
      data: f.expand === "shift" ? shiftedExamples(splits.training, dtype) : examples(splits.training, dtype),
      evalData: examples(f.eval === "test" ? splits.test : splits.validation, dtype),
      ...(run.gradients ? { gradientMonitor: examples(sliceDataset(splits.training, 0, Math.min(1000, splits.training.count)), dtype) } : {}),
      epochs: f.epochs, batchSize: f["batch-size"], key: rootKey,
      cpuClock: cpuSeconds,
    },
    start,
    {
      onBatch: (done) => progress.update(done),
      onEpoch(r: EpochResult, state) {
        progress.stop();
        const verdict = collapse(r, state, net.outputSize, (params) => likelyCause({ spec: net.spec, cost: f.cost, eta: f.eta, fromLayers: f.spec === undefined }, params, sample()));
        if (verdict.diverged !== undefined) {
          diverged = verdict.diverged;
          return "stop";
        }
        if (verdict.warning !== undefined && !warned) {
          warned = true;
          process.stderr.write(`warning: ${verdict.warning}\n`);
        }
        process.stdout.write(`${epochLine(r)}\n`);
        if (f.log !== undefined) appendLog(f.log, r, f.eta, f.eval);
        for (const [name, e] of Object.entries(r.monitors ?? {})) {
          if (e !== undefined && f.monitor?.includes(name as "training") && !quiet) process.stdout.write(`  ${name}: accuracy ${e.correct} / ${e.total}, cost ${e.cost.toFixed(6)}\n`);
        }
        if (r.etaScale !== 1 && !quiet) process.stdout.write(`  η = ${f.eta * r.etaScale}\n`);
        writeCheckpoint(state);
        if (r.epoch + 1 < f.epochs) progress.start(r.epoch + 1, run.batches);
      },
      interrupted: () => stop.requested(),
    },
  );
  progress.stop();
  stop.release();
  if (diverged !== undefined) throw new UserError(`training diverged: ${diverged}; try a smaller --eta`, EXIT_DIVERGED);
  if (outcome.kind === "diverged") {
    throw new UserError(`training diverged at epoch ${outcome.epoch}, batch ${outcome.batch} (cost=${outcome.cost}); try a smaller --eta`, EXIT_DIVERGED);
  }
  if (outcome.kind === "interrupted") {
    if (run.checkpointPath === undefined) throw new UserError("interrupted; nothing was saved (give --checkpoint FILE to be able to resume)", EXIT_INTERRUPTED);
    writeCheckpoint(outcome.state);
    const at = `epoch ${outcome.state.epoch}${outcome.state.batch > 0 ? `, batch ${outcome.state.batch}` : ""}`;
    throw new UserError(`interrupted at ${at}; resume with: ${invokedAs("train")} --resume ${run.checkpointPath}`, EXIT_INTERRUPTED);
  }
  return outcome;
}

/** Every setting the run used, defaults included, for a model file's record (evaluate reads the cost from it). */
function recordedSettings(run: Run): Record<string, string | number> {
  const { f, options } = run;
  const recorded: Record<string, string | number> = { spec: JSON.stringify(networkSpec(f)) };
  for (const name of Object.keys(runFlags) as (keyof typeof runFlags)[]) {
    const given = options[name];
    const v = f[name];
    if (given !== undefined) recorded[name] = given;
    else if (typeof v === "string" || typeof v === "number") recorded[name] = v;
    else if (Array.isArray(v)) recorded[name] = v.join(",");
  }
  recorded.schedule = options.schedule ?? "constant";
  return recorded;
}

/** The summary (and, on a terminal, the chart), the models asked for and the curves. */
function finish(run: Run, state: TrainState, stopped: string | undefined, seconds: number, cpu: number): void {
  const { f, net, quiet } = run;
  const history = state.history;
  if (history.length === 0) return;
  // With early stopping, the kept parameters are the best epoch's.
  const best = state.best;
  const keepBest = f["early-stop"] !== undefined && best !== undefined;
  if (stopped !== undefined && !quiet) process.stdout.write(`stopped after epoch ${state.epoch - 1}: ${stopped}\n`);
  const onValidation = (epoch: number) => {
    const b = history[epoch];
    const v = b.monitors?.validation ?? b.evaluation;
    return { b, v };
  };
  if (keepBest && !quiet) {
    const { b, v } = onValidation(best.epoch);
    process.stdout.write(`keeping the parameters of epoch ${b.epoch} (validation ${v?.correct} / ${v?.total}; ${f.eval} ${b.evaluation?.correct} / ${b.evaluation?.total})\n`);
  }
  const trainSeconds = history.reduce((s, r) => s + r.seconds, 0);
  // CPU seconds beside wall seconds (on a shared host the wall clock also counts the neighbours' share).
  const timed = history.filter((r) => r.cpuSeconds !== undefined);
  const cpuPerEpoch = timed.length === 0 ? "" : `, ${(timed.reduce((s, r) => s + (r.cpuSeconds ?? 0), 0) / timed.length).toFixed(2)} s CPU`;
  process.stdout.write(
    `${bestLine(history, f.eval)}; ${history.length} epoch${history.length === 1 ? "" : "s"} in ${seconds.toFixed(1)} s, ${cpu.toFixed(1)} s CPU (${(trainSeconds / history.length).toFixed(2)} s per epoch training${cpuPerEpoch})\n`,
  );
  // The chart is for a terminal (or asked for): a pipe or a log file gets the lines and the summary.
  const chart = f.chart ?? (process.stdout.isTTY === true && !quiet) ? terminalChart(history.map((r) => percentOf(r.evaluation?.correct ?? 0, r.evaluation?.total ?? 1))) : "";
  if (chart !== "") process.stdout.write(`${chart}\n`);

  const recorded = recordedSettings(run);
  const saveModel = (path: string, flag: string, params: Tree, what: string) => {
    const model = { net, params, options: recorded, history: history.map(epochRecord) };
    if (isSafetensorsPath(path)) writeFileAtomicBytes(path, encodeModelSafetensors(model), flag);
    else writeFileAtomic(path, `${JSON.stringify(encodeModel(model))}\n`, flag);
    run.note(`saved the model of ${what} to ${path}`);
  };
  if (f.save !== undefined) {
    saveModel(f.save, "--save", keepBest ? best.params : state.params, keepBest ? `epoch ${best.epoch} (the best on validation, kept by early stopping)` : `epoch ${history[history.length - 1].epoch} (the last)`);
  }
  if (f["save-best"] !== undefined && best !== undefined) {
    const { b, v } = onValidation(best.epoch);
    saveModel(f["save-best"], "--save-best", best.params, `epoch ${b.epoch} (the best on validation: ${v?.correct} / ${v?.total})`);
  }
  if (f.plot !== undefined) {
    writeRunChart(f.plot, chartTitle(f.spec ?? f.layers.join("-"), run.options), history, f.eval, [...run.watched].filter((m) => m !== f.eval), f.cost);
    run.note(`wrote the chart to ${f.plot}`);
  }
}

runMain(async () => {
  const cli = commandLine(trainFlags, { usage, about });
  if (cli === undefined) return 0;
  const run = setUp(cli);
  const { rootKey, start } = startState(run);
  const started = performance.now(), startedCpu = cpuSeconds();
  const outcome = await trainPrinting(run, rootKey, start, checkpointWriter(run, rootKey));
  finish(run, outcome.state, outcome.kind === "stopped" ? outcome.reason : undefined, (performance.now() - started) / 1000, cpuSeconds() - startedCpu);
  return 0;
});
