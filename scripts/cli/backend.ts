/** Which kernels a script computes with, and the precision that goes with them. */
import { createWasmKernels, fastKernels, kernels, referenceKernels, setKernels, wasmSupported, type DType, type WasmKernels } from "../../core/index.ts";
import { UserError } from "./exit.ts";
import { oneOf } from "./flags.ts";
import { startHelperThread } from "../../node/index.ts";

export const backendFlag = {
  codec: oneOf("wasm", "js", "reference"),
  default: "wasm",
  placeholder: "NAME",
  help: "kernels: wasm (float32 SIMD), js (float64), reference (float64, plain loops)",
} as const;

export const threadsFlag = {
  codec: oneOf("1", "2"),
  default: "1",
  placeholder: "N",
  help: "threads for the wasm kernels: 2 adds a helper thread that takes half of each large kernel (reproducible; a dense layer's forward sums over a batch under 64 round slightly differently than with 1)",
} as const;

export type BackendName = "wasm" | "js" | "reference";
export type Threads = "1" | "2";

/** Refuses a backend and thread count that do not go together, without starting anything. */
export function checkBackend(name: BackendName, threads: Threads = "1"): void {
  if (threads === "2" && name !== "wasm") throw new UserError(`--threads 2 needs --backend wasm (the ${name} kernels run on one thread)`);
}

/** The kernels installed: their name and the dtype to compute in. */
export interface InstalledBackend {
  readonly name: BackendName;
  readonly dtype: DType;
}

/** Installs the backend's kernels and returns the dtype to compute in (wasm falls back to js where WebAssembly SIMD is missing). */
export function useBackend(name: BackendName, threads: Threads = "1"): InstalledBackend {
  checkBackend(name, threads);
  if (name === "wasm" && wasmSupported()) {
    const k = createWasmKernels(threads === "2" ? { startHelper: startHelperThread } : {});
    if (k.note !== undefined) process.stderr.write(`note: ${k.note}\n`);
    setKernels(k);
    return { name, dtype: "float32" };
  }
  if (name === "wasm") process.stderr.write("note: WebAssembly SIMD is not available here; using the js kernels\n");
  setKernels(name === "reference" ? referenceKernels : fastKernels);
  return { name: name === "wasm" ? "js" : name, dtype: "float64" };
}

/**
 * Resolves once the installed backend's helper thread runs (at most `timeoutMs`; a benchmark then measures
 * what it gets): a measurement started before it would time the calling thread doing both halves.
 */
export async function helperStarted(timeoutMs = 15_000): Promise<void> {
  const k = kernels() as Partial<WasmKernels>;
  for (const end = Date.now() + timeoutMs; k.threads !== undefined && k.threads() < 2 && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
}
