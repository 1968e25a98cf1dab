/** What a training run leaves besides its model: one JSON line per epoch (--log) and its curves as an SVG chart (--plot). */
import type { EpochSummary, Score } from "../../nn/index.ts";
import { percentOf } from "../../nn/index.ts";
import { svgChart } from "./charts.ts";
import { appendRecord, writeFileAtomic } from "./files.ts";
import { runFlags } from "./train-flags.ts";

/** One JSON line per epoch for plotting elsewhere; a line is written whole in one call. */
export function appendLog(path: string, r: EpochSummary, eta: number, evalSet: string): void {
  const score = (e: Score | undefined) => (e === undefined ? undefined : { correct: e.correct, total: e.total, accuracy: e.total === 0 ? null : e.correct / e.total, cost: e.cost });
  const monitors = Object.fromEntries(Object.entries(r.monitors ?? {}).map(([k, e]) => [k, score(e)]));
  const record = {
    epoch: r.epoch, eta: eta * (r.etaScale ?? 1), trainCost: r.trainCost, seconds: r.seconds, ...(r.cpuSeconds === undefined ? {} : { cpuSeconds: r.cpuSeconds }), [evalSet]: score(r.evaluation), ...monitors,
    ...(r.gradients === undefined ? {} : { gradients: r.gradients }),
  };
  appendRecord(path, `${JSON.stringify(record)}\n`, "--log");
}

/** The network, and every run setting the command line gave a value other than its default, for a chart's title. */
export function chartTitle(net: string, options: Readonly<Record<string, string>>): string {
  const symbol: Record<string, string> = { eta: "η", lambda: "λ", momentum: "μ" };
  const settings = ["cost", "optimizer", "eta", "batch-size", "epochs", "init", "lambda", "momentum", "expand", "schedule", "early-stop", "seed", "train-size", "backend"]
    .filter((k) => options[k] !== undefined && options[k] !== (runFlags as Record<string, { default?: string }>)[k].default)
    .map((k) => `${symbol[k] ?? k}=${options[k]}`);
  return [net, ...settings].join(", ");
}


/** The run's accuracy and cost curves, the evaluated set first and each monitored set beside it. */
export function writeRunChart(path: string, title: string, history: readonly EpochSummary[], evalSet: string, monitored: readonly ("training" | "validation" | "test")[], costName: string): void {
  const colours: Record<string, string> = { training: "#d62728", validation: "#2ca02c", test: "#9467bd" };
  const pct = (e: { correct: number; total: number } | undefined) => (e === undefined ? NaN : percentOf(e.correct, e.total));
  const accuracies = history.map((r) => pct(r.evaluation));
  let best = 0;
  history.forEach((r, i) => ((r.evaluation?.correct ?? 0) > (history[best].evaluation?.correct ?? 0) ? (best = i) : undefined));
  const e = history[best].evaluation;
  writeFileAtomic(path, svgChart(title, [
    {
      title: `accuracy on the ${[evalSet, ...monitored].join(", ")} set${monitored.length > 0 ? "s" : ""}`,
      unit: "%",
      curves: [
        { label: `${evalSet} accuracy`, values: accuracies, colour: "#1f77b4" },
        ...monitored.map((m) => ({ label: `${m} accuracy`, values: history.map((r) => pct(r.monitors?.[m])), colour: colours[m] })),
      ],
      best: { curve: 0, epoch: best, label: `best ${e === undefined ? "" : `${percentOf(e.correct, e.total).toFixed(2)}%`} (epoch ${history[best].epoch})` },
    },
    {
      title: `${costName} cost`,
      unit: "",
      curves: [
        { label: "training cost (mean over the epoch's mini-batches)", values: history.map((r) => r.trainCost), colour: "#ff7f0e" },
        { label: `${evalSet} cost (after the epoch)`, values: history.map((r) => r.evaluation?.cost ?? NaN), colour: "#1f77b4" },
        ...monitored.map((m) => ({ label: `${m} cost (after the epoch)`, values: history.map((r) => r.monitors?.[m]?.cost ?? NaN), colour: colours[m] })),
      ],
    },
  ]), "--plot");
}
