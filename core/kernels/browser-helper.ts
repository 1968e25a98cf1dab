/**
 * The wasm kernels' helper thread in a browser: a module Web Worker running `helper-worker.browser.ts`
 * (bundle that file as the worker's script). The page must be cross-origin isolated for its memory to be
 * shared; where it is not, `createWasmKernels` never calls the starter and computes on one thread.
 */
import type { WasmHelperData } from "./wasm-helper.ts";

/** A `startHelper` for `createWasmKernels` that runs the helper in a Web Worker loaded from `workerUrl`. */
export function browserHelperStarter(workerUrl: string | URL): (data: WasmHelperData) => void {
  return (data) => {
    const worker = new Worker(workerUrl, { type: "module" });
    // A helper that cannot start leaves the kernels on one thread: worth a note, not a failure.
    worker.addEventListener("error", (e) => console.warn(`tsgrad: the helper thread stopped (${e.message}); computing on one thread`));
    worker.postMessage(data);
  };
}
