/** Which kernels a script computes with, and the precision that goes with them. */
import { createWasmKernels, fastKernels, referenceKernels, setKernels, wasmSupported, type DType } from "../../core/index.ts";
import { oneOf } from "./flags.ts";

export const backendFlag = {
  codec: oneOf("wasm", "js", "reference"),
  default: "wasm",
  placeholder: "NAME",
  help: "kernels: wasm (float32 SIMD), js (float64), reference (float64, plain loops)",
} as const;

export type BackendName = "wasm" | "js" | "reference";

/** Installs the backend's kernels and returns the dtype to compute in (wasm falls back to js where WebAssembly SIMD is missing). */
export function useBackend(name: BackendName): { readonly name: BackendName; readonly dtype: DType } {
  if (name === "wasm" && wasmSupported()) {
    setKernels(createWasmKernels());
    return { name, dtype: "float32" };
  }
  if (name === "wasm") process.stderr.write("note: WebAssembly SIMD is not available here; using the js kernels\n");
  setKernels(name === "reference" ? referenceKernels : fastKernels);
  return { name: name === "wasm" ? "js" : name, dtype: "float64" };
}
