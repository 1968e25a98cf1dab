/** Starts the wasm kernels' helper thread as a Node worker (core itself uses no Node-only module). */
import { Worker } from "node:worker_threads";
import type { WasmHelperData } from "../core/index.ts";

export function startHelperThread(data: WasmHelperData): void {
  // No inherited flags: the entry loads what it needs itself, and a parent's `--import` of a TypeScript file
  // (a test set-up) would fail in a worker that has no TypeScript loader yet.
  const worker = new Worker(new URL("./helper-worker.mjs", import.meta.url), { workerData: data, execArgv: [] });
  // A helper that cannot start leaves the kernels on one thread: worth a note, not a failure.
  worker.on("error", (e) => process.stderr.write(`note: the helper thread stopped (${e.message}); computing on one thread\n`));
  worker.unref(); // it never keeps the process alive
}
