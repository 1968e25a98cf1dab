#!/usr/bin/env node
// `tsgrad COMMAND [flags]`: the scripts as one command (npm's convention for a package's CLI). Runs the
// compiled script in the installed package, or the TypeScript source (through tsx) in a checkout.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const commands = {
  train: "train a network on MNIST (or any IDX data) and print the seed's epoch lines",
  evaluate: "accuracy, per-class accuracy and confusion matrix of a saved model",
  predict: "read the digit in pictures (PNG or JPEG) with a saved model",
  sweep: "train every combination of the values given and compare them",
  bench: "measure training speed",
  "check-predict": "check predict's normaliser against MNIST's own digits",
  playground: "serve the playground: train in a browser tab, look inside, draw a digit",
};
const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  process.stdout.write(`usage: tsgrad COMMAND [flags]   (tsgrad COMMAND --help for its flags)\n\n${Object.entries(commands).map(([c, about]) => `  ${c.padEnd(width)}  ${about}`).join("\n")}\n`);
  process.exit(command === undefined ? 2 : 0);
}
if (!Object.hasOwn(commands, command)) {
  process.stderr.write(`error: unknown command ${JSON.stringify(command)}; one of ${Object.keys(commands).join(", ")} (see tsgrad --help)\n`);
  process.exit(2);
}
// A command bundled into one file (train) loads faster than its compiled modules one by one.
const bundled = new URL(`../dist/bundle/${command}.mjs`, import.meta.url);
const built = existsSync(bundled) ? bundled : new URL(`../dist/scripts/${command}.js`, import.meta.url);
const source = new URL(`../scripts/${command}.ts`, import.meta.url);
// The script reads its flags from process.argv, as if started directly. A checkout runs its sources (so
// a stale build is never used by mistake); the installed package, which ships no sources, its build.
let tsx;
if (existsSync(source)) tsx = await import("tsx/esm/api").catch(() => undefined);
if (tsx !== undefined) {
  tsx.register();
  process.argv = [process.argv[0], fileURLToPath(source), ...rest];
  await import(source.href);
} else if (existsSync(built)) {
  process.argv = [process.argv[0], fileURLToPath(built), ...rest];
  await import(built.href);
} else {
  process.stderr.write("error: tsgrad is not built (run npm run build in its checkout)\n");
  process.exit(2);
}
