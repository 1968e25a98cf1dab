// The entry of the wasm kernels' helper thread (see helper-thread.ts). Plain JavaScript because Node
// does not apply the parent's `--import tsx` to a worker's entry: it registers tsx itself, then loads
// the TypeScript.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
const { runWasmHelper } = await import("../../core/index.ts");
runWasmHelper(workerData);
