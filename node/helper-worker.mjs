// The entry of the wasm kernels' helper thread (see helper-thread.ts). Plain JavaScript because Node does
// not apply the parent's `--import tsx` to a worker's entry: in the built package it loads the compiled core
// beside it; in a checkout it registers tsx itself, then loads the TypeScript.
import { existsSync } from "node:fs";
import { workerData } from "node:worker_threads";

const built = new URL("../core/index.js", import.meta.url);
let core;
if (existsSync(built)) core = await import(built.href);
else {
  const { register } = await import("tsx/esm/api");
  register();
  core = await import("../core/index.ts");
}
core.runWasmHelper(workerData);
