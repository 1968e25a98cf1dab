/**
 * Runs a grid of training runs (every combination of the values given) in sequence or side by side,
 * and writes a markdown table and an SVG chart comparing them: best validation accuracy, test accuracy
 * at that epoch, and time. Each run is `train` in a child process, so runs cannot disturb each other.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeModel, type EpochRecord } from "../nn/index.ts";
import { svgChart } from "./cli/charts.ts";
import { loadSplits } from "./cli/data.ts";
import { EXIT_INTERRUPTED, orFail, runMain, UserError } from "./cli/exit.ts";
import { checkOutputs, makeDirectory, writeFileAtomic } from "./cli/files.ts";
import { commandLine, invokedAs, nonEmpty, oneOf } from "./cli/flags.ts";
import { scriptArgs } from "./cli/script-command.ts";
import { runFlags } from "./cli/train-flags.ts";

/** Grid axes: these run flags take several values; the sweep tries every combination. */
const gridAxes = ["layers", "cost", "eta", "init", "lambda", "momentum", "batch-size", "seed", "schedule"] as const;
type Axis = (typeof gridAxes)[number];

const table = {
  ...Object.fromEntries(gridAxes.map((a) => [a, { ...runFlags[a], many: true as const, help: `${runFlags[a].help}; several values sweep` }])),
  epochs: runFlags.epochs,
  "train-size": runFlags["train-size"],
  data: runFlags.data,
  backend: runFlags.backend,
  "early-stop": runFlags["early-stop"],
  jobs: { codec: oneOf("1", "2"), default: "2", placeholder: "N", help: "runs at once (2 uses both cores)" },
  out: { codec: nonEmpty, default: "sweep-results", placeholder: "DIR", help: "where sweep.md and sweep.svg are written" },
} as const;

interface RunResult {
  readonly settings: Readonly<Record<Axis, string>>;
  readonly history: readonly EpochRecord[];
  readonly seconds: number;
  /** Why the run produced no model (it diverged, say); the other runs go on. */
  readonly failure?: string;
}

const trainCommand = scriptArgs(import.meta.url, "train");

/** The training runs going on now, so that a signal to the sweep ends them too. */
const children = new Set<ChildProcess>();

/** Runs train once; resolves with its seconds, or the error line it ended with. */
function trainOnce(args: readonly string[], model: string): Promise<{ seconds: number; failure?: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...trainCommand, ...args, "--eval", "validation", "--monitor", "test", "--save", model], { maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      children.delete(child);
      const seconds = (performance.now() - t0) / 1000;
      resolve(err ? { seconds, failure: stderr.trim().split("\n").pop()?.replace(/^error: /, "") ?? err.message } : { seconds });
    });
    children.add(child);
  });
}

/** Every combination of the axes' values, the first axis varying slowest. */
function grid(values: Readonly<Record<Axis, readonly string[]>>): Record<Axis, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const axis of gridAxes) combos = combos.flatMap((c) => values[axis].map((v) => ({ ...c, [axis]: v })));
  return combos as Record<Axis, string>[];
}

const pct = (e: { correct: number; total: number } | undefined) => (e === undefined ? NaN : (100 * e.correct) / e.total);

runMain(async () => {
  const parsed = commandLine(table, { usage: "npm run sweep -- [flags]", about: "Trains every combination of the values given (e.g. --cost quadratic cross-entropy --eta 0.5 3) and compares them." });
  if (parsed === undefined) return 0;
  const { flags: f, given } = parsed;
  // The raw strings of each axis (defaults where not given), handed to train, which decodes them again.
  const values = Object.fromEntries(gridAxes.map((a) => [a, given[a] ?? [runFlags[a].default]])) as Record<Axis, readonly string[]>;
  const common = (["epochs", "train-size", "data", "backend", "early-stop"] as const).flatMap((k) => (given[k] ? [`--${k}=${given[k][0]}`] : []));
  const runs = grid(values);
  // What every run shares is checked once, before any run: a bad data directory, a --train-size beyond the
  // data, or layer sizes that do not fit it would otherwise fail every run one by one.
  const splits = loadSplits(f.data, f["train-size"]);
  for (const raw of values.layers) {
    const layers = raw.split(",").map(Number);
    if (layers[0] !== splits.training.features) throw new UserError(`--layers ${raw}: the first size must be the data's ${splits.training.features} pixels per image`);
    if (layers[layers.length - 1] !== splits.training.classes) throw new UserError(`--layers ${raw}: the last size must be the data's ${splits.training.classes} classes`);
  }
  // Where results go is checked before any run (a sweep must not fail after all its runs), and made only
  // once every flag has been found good, so a mistake leaves no empty folder behind.
  if (existsSync(f.out) && !statSync(f.out).isDirectory()) throw new UserError(`--out: ${f.out} is not a directory`);
  makeDirectory(f.out, "--out");
  checkOutputs([["--out", join(f.out, "sweep.md")], ["--out", join(f.out, "sweep.svg")]]);
  const work = mkdtempSync(join(tmpdir(), "tsgrad-sweep-"));
  // Ctrl-C or SIGTERM ends the runs, removes the temporary directory and exits 130.
  const onSignal = (signal: NodeJS.Signals) => {
    for (const c of children) c.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
    process.stderr.write(`\n${signal}: ended the sweep and its runs; no results were written\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const results: (RunResult | undefined)[] = new Array(runs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < runs.length; i = next++) {
      const settings = runs[i];
      const args = [...Object.entries(settings).map(([k, v]) => `--${k}=${v}`), ...common];
      process.stderr.write(`run ${i + 1}/${runs.length}: ${args.join(" ")}\n`);
      const model = join(work, `run-${i}.json`);
      const { seconds, failure } = await trainOnce(args, model);
      if (failure !== undefined) {
        process.stderr.write(`run ${i + 1} failed: ${failure}\n`);
        results[i] = { settings, history: [], seconds, failure };
        continue;
      }
      const m = orFail(decodeModel(JSON.parse(readFileSync(model, "utf8")), model));
      results[i] = { settings, history: m.history, seconds };
    }
  };
  try {
    await Promise.all(Array.from({ length: Number(f.jobs) }, worker));
  } finally {
    rmSync(work, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const varied = gridAxes.filter((a) => values[a].length > 1);
  const shown = varied.length > 0 ? varied : (["layers", "cost", "eta"] as const);
  const rows = results.map((r, i) => {
    const h = r!.history;
    if (r!.failure !== undefined || h.length === 0) return [String(i + 1), ...shown.map((a) => r!.settings[a]), `failed: ${r!.failure ?? "no epochs"}`, "", "", "", r!.seconds.toFixed(1)];
    const best = h.reduce((a, b) => (pct(b.evaluation) > pct(a.evaluation) ? b : a));
    const perEpoch = h.reduce((s, e) => s + e.seconds, 0) / h.length;
    return [String(i + 1), ...shown.map((a) => r!.settings[a]), `${pct(best.evaluation).toFixed(2)}%`, String(best.epoch), `${pct(best.monitors?.test).toFixed(2)}%`, perEpoch.toFixed(2), r!.seconds.toFixed(1)];
  });
  const header = ["run", ...shown, "best validation", "at epoch", "test at that epoch", "train s/epoch", "total s"];
  const md = [
    `# Sweep: ${runs.length} runs, ${given.epochs?.[0] ?? runFlags.epochs.default} epochs${given["train-size"] ? `, first ${given["train-size"][0]} training images` : ""}`,
    "",
    `Command: \`${invokedAs("sweep")} ${process.argv.slice(2).join(" ")}\``,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ].join("\n");
  writeFileAtomic(join(f.out, "sweep.md"), md, "--out");
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  // Runs keep their number in the chart's legend; failed runs have no curve.
  const label = (r: RunResult) => `${results.indexOf(r) + 1}: ${shown.map((a) => `${a}=${r.settings[a]}`).join(" ")}`;
  const done = results.filter((r): r is RunResult => r !== undefined && r.failure === undefined);
  // Costs of different kinds (quadratic, cross-entropy…) have different scales: a panel each.
  const colourOf = (r: RunResult) => palette[done.indexOf(r) % palette.length];
  const costKinds = [...new Set(done.map((r) => r.settings.cost))];
  writeFileAtomic(join(f.out, "sweep.svg"), svgChart(`sweep: ${runs.length} runs`, [
    {
      title: "accuracy on the validation set",
      unit: "%",
      curves: done.map((r) => ({ label: label(r), values: r.history.map((e) => pct(e.evaluation)), colour: colourOf(r) })),
    },
    ...costKinds.map((kind) => ({
      title: `${kind} cost on the validation set`,
      unit: "" as const,
      curves: done.filter((r) => r.settings.cost === kind).map((r) => ({ label: label(r), values: r.history.map((e) => e.evaluation?.cost ?? NaN), colour: colourOf(r) })),
    })),
  ]), "--out");
  process.stdout.write(md);
  process.stderr.write(`wrote ${join(f.out, "sweep.md")} and ${join(f.out, "sweep.svg")}\n`);
  return 0;
});
