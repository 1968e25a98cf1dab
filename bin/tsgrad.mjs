#!/usr/bin/env node
// `tsgrad COMMAND [flags]`: the scripts as one command (npm's convention for a package's CLI). In a checkout
// it starts a command as `npm run COMMAND` does (scripts/launch.mjs: the fresh build, else the sources through
// tsx, never a stale build); in the installed package, which ships no sources, its build.
import { existsSync, readFileSync } from "node:fs";

const commands = {
  train: "train a network on MNIST (or any IDX data) and print the seed's epoch lines",
  evaluate: "accuracy, per-class accuracy and confusion matrix of a saved model",
  predict: "read the digit in pictures (PNG or JPEG) with a saved model",
  sweep: "train every combination of the values given and compare them",
  experiment: "the book's experiments: slowdown (chapter 3) and vanishing gradients (chapter 5)",
  bench: "measure training speed",
  "check-predict": "check predict's normaliser against MNIST's own digits",
  playground: "serve the playground: train in a browser tab, look inside, draw a digit",
};
const args = process.argv.slice(2);
let [command, ...rest] = args;
// `tsgrad help train` is `tsgrad train --help`.
if (command === "help" && rest.length > 0) [command, rest] = [rest[0], ["--help"]];
if (command === "--version" || command === "-V") {
  process.stdout.write(`tsgrad ${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
  process.exit(0);
}
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const out = command === undefined ? process.stderr : process.stdout;
  out.write(`usage: tsgrad COMMAND [flags]   (tsgrad COMMAND --help, or tsgrad help COMMAND, for its flags; tsgrad --version)\n\n${Object.entries(commands).map(([c, about]) => `  ${c.padEnd(width)}  ${about}`).join("\n")}\n`);
  process.exit(command === undefined ? 2 : 0);
}
/** The command nearest a mistyped one, by the scripts' own `nearest` (the build's, else the source's); only on this error path. */
async function nearestCommand(word) {
  try {
    const built = new URL("../dist/scripts/cli/flags.js", import.meta.url);
    if (existsSync(built)) return (await import(built.href)).nearest(word, Object.keys(commands));
    (await import("tsx/esm/api")).register();
    return (await import(new URL("../scripts/cli/flags.ts", import.meta.url).href)).nearest(word, Object.keys(commands));
  } catch {
    return undefined; // no suggestion rather than no error message
  }
}
if (!Object.hasOwn(commands, command)) {
  const guess = await nearestCommand(command);
  process.stderr.write(`error: unknown command ${JSON.stringify(command)}${guess !== undefined ? `; did you mean ${guess}?` : ""} (one of ${Object.keys(commands).join(", ")}; see tsgrad --help)\n`);
  process.exit(2);
}
// Usage lines and hints name the command as the user started it.
process.env.TSGRAD_INVOKED_AS = `${process.env.npm_command === "exec" ? "npx " : ""}tsgrad ${command}`;
const launcher = new URL("../scripts/launch.mjs", import.meta.url);
if (existsSync(launcher)) {
  process.argv = [process.argv[0], process.argv[1], command, ...rest];
  await import(launcher.href);
} else {
  // A command bundled into one file (train) loads faster than its compiled modules one by one.
  const bundled = new URL(`../dist/bundle/${command}.mjs`, import.meta.url);
  const built = existsSync(bundled) ? bundled : new URL(`../dist/scripts/${command}.js`, import.meta.url);
  if (!existsSync(built)) {
    process.stderr.write("error: tsgrad is not built (run npm run build in its checkout)\n");
    process.exit(2);
  }
  const { fileURLToPath } = await import("node:url");
  process.argv = [process.argv[0], fileURLToPath(built), ...rest];
  await import(built.href);
}
