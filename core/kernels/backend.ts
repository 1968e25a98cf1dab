/**
 * Which kernels the ops run on. By default the fastest this platform has: WebAssembly SIMD (float32), else the
 * fast JS loops (float64), chosen on the first op. `setBackend("wasm" | "js" | "reference")` or `setKernels(k)`
 * chooses; tensors made without a dtype get the backend's (`defaultDType()`).
 */
import type { DType } from "../tensor.ts";
import type { Kernels } from "./kernels.ts";
import { fastKernels } from "./fast.ts";
import { referenceKernels } from "./reference.ts";
import { createWasmKernels, wasmSupported, type WasmKernelOptions } from "./wasm.ts";

let active: Kernels | undefined;

/** The wasm kernels where WebAssembly SIMD runs (and a module can be compiled here), else the fast JS ones. */
function fastest(): Kernels {
  if (!wasmSupported()) return fastKernels;
  try {
    return createWasmKernels();
  } catch {
    return fastKernels; // e.g. a browser's main thread refusing to compile a module synchronously
  }
}

/** The kernels ops use now (on the first call, the fastest available). */
export function kernels(): Kernels {
  return active ?? (active = fastest());
}

/** Makes `k` (or, for undefined, the default chosen on the next op) the kernels; returns what was set, without choosing. */
function install(k: Kernels | undefined): Kernels | undefined {
  const previous = active;
  active = k;
  return previous;
}

/** Makes `k` the kernels for all later ops; returns the previous ones. */
export function setKernels(k: Kernels): Kernels {
  const previous = kernels();
  active = k;
  return previous;
}

export type BackendName = "wasm" | "js" | "reference";

/**
 * Installs a backend by name: "wasm" (WebAssembly SIMD, float32: the default where it runs), "js" (fast
 * loops, float64) or "reference" (plain loops, float64: what the gradient checks trust). Returns the kernels
 * installed. "wasm" where WebAssembly SIMD is missing is an error (setKernels(fastKernels) is the fallback).
 */
export function setBackend(name: BackendName, options: WasmKernelOptions = {}): Kernels {
  if (name === "wasm") {
    if (!wasmSupported()) throw new Error("setBackend: WebAssembly SIMD is not available here; use setBackend(\"js\")");
    install(createWasmKernels(options));
  } else if (name === "js") install(fastKernels);
  else if (name === "reference") install(referenceKernels);
  else throw new Error(`setBackend: the backends are "wasm", "js" and "reference", got ${JSON.stringify(name)}`);
  return kernels();
}

/** The dtype tensors get when none is given: the backend's (float32 for wasm), else float64. */
export function defaultDType(): DType {
  return kernels().dtype ?? "float64";
}

/** Runs `f` with `k` as the kernels, then restores the previous ones. */
export function withKernels<T>(k: Kernels, f: () => T): T {
  // The previous kernels as they were set: none yet stays none (no default made just to be put back).
  const previous = install(k);
  let result: T;
  try {
    result = f();
  } finally {
    install(previous);
  }
  // An async f would go on after its first await on the previous kernels, without a word: refuse it.
  if (typeof (result as { then?: unknown } | null)?.then === "function") {
    throw new Error("withKernels: f returned a promise, but the kernels apply only until its first await; around async code call setKernels(k) and restore the one it returns");
  }
  return result;
}
