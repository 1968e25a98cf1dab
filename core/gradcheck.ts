/** Checks a gradient against central finite differences, in float64. */
import { Tensor, cast } from "./tensor.ts";
import { valueAndGrad } from "./transforms.ts";
import { treeLeaves, treeMap, treeUnflatten, type Tree } from "./tree.ts";

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Relative tolerance (default 1e-6). */
  readonly rtol?: number;
  /** Absolute tolerance for entries near zero (default 1e-8). */
  readonly atol?: number;
}

export interface GradCheckResult {
  readonly ok: boolean;
  /** The worst mismatch found, for a message; undefined when all entries agree. */
  readonly worst?: { readonly leaf: number; readonly index: number; readonly autodiff: number; readonly numeric: number };
  /** Largest |autodiff − numeric| / max(|numeric|, |autodiff|, atol/rtol) seen. */
  readonly maxRelError: number;
}

/** Compares valueAndGrad(f) with central differences entry by entry (f must be smooth near params). */
export function checkGrad<P extends Tree>(f: (params: P) => Tensor, params: P, options: GradCheckOptions = {}): GradCheckResult {
  const eps = options.eps ?? 1e-6, rtol = options.rtol ?? 1e-6, atol = options.atol ?? 1e-8;
  const p64 = treeMap(params, (t) => cast(t, "float64"));
  const auto = treeLeaves(valueAndGrad(f)(p64).grad);
  const leaves = treeLeaves(p64);
  const at = (leafIndex: number, index: number, delta: number): number => {
    const moved = leaves.map((t, i) => {
      if (i !== leafIndex) return t;
      const data = Float64Array.from(t.data);
      data[index] += delta;
      return new Tensor(t.shape, data);
    });
    return f(treeUnflatten(p64, moved)).item();
  };
  let maxRelError = 0;
  let worst: GradCheckResult["worst"];
  let ok = true;
  leaves.forEach((leaf, li) => {
    for (let i = 0; i < leaf.size; i++) {
      const numeric = (at(li, i, eps) - at(li, i, -eps)) / (2 * eps);
      const a = auto[li].data[i];
      const diff = Math.abs(a - numeric);
      const rel = diff / Math.max(Math.abs(numeric), Math.abs(a), atol / rtol);
      if (rel > maxRelError || Number.isNaN(rel)) {
        maxRelError = Number.isNaN(rel) ? Infinity : rel;
        worst = { leaf: li, index: i, autodiff: a, numeric };
      }
      if (!(diff <= atol + rtol * Math.abs(numeric))) ok = false;
    }
  });
  return ok ? { ok, maxRelError } : { ok, maxRelError, worst };
}
