/** Which kernels the ops run on: the reference by default, a fast backend when one is installed. */
import type { Kernels } from "./kernels.ts";
import { referenceKernels } from "./reference.ts";

let active: Kernels = referenceKernels;

/** The kernels ops use now. */
export function kernels(): Kernels {
  return active;
}

/** Makes `k` the kernels for all later ops; returns the previous ones. */
export function setKernels(k: Kernels): Kernels {
  const previous = active;
  active = k;
  return previous;
}

/** Runs `f` with `k` as the kernels, then restores the previous ones. */
export function withKernels<T>(k: Kernels, f: () => T): T {
  const previous = setKernels(k);
  let result: T;
  try {
    result = f();
  } finally {
    setKernels(previous);
  }
  // An async f would go on after its first await on the previous kernels, without a word: refuse it.
  if (typeof (result as { then?: unknown } | null)?.then === "function") {
    throw new Error("withKernels: f returned a promise, but the kernels apply only until its first await; around async code call setKernels(k) and restore the one it returns");
  }
  return result;
}
