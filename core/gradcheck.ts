/** Checks derivatives against central finite differences, in float64: `checkGrad` entry by entry, `checkGrads` to any order. */
import { foldIn, key, normal, split, type Key } from "./random.ts";
import { Tensor, cast } from "./tensor.ts";
import { jvp, valueAndGrad, vjp } from "./transforms.ts";
import { treeLeaves, treeMap, treeUnflatten, treeZip, type Tree } from "./tree.ts";

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
  const auto = treeLeaves(valueAndGrad(f)(p64)[1]);
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

export interface CheckGradsOptions {
  /** Highest derivative order checked (default 2): each order checks the derivatives of the one below. */
  readonly order?: number;
  /** "fwd" checks jvp against central differences, "rev" checks vjp by ⟨u, J v⟩ = ⟨Jᵀu, v⟩ (default both). */
  readonly modes?: readonly ("fwd" | "rev")[];
  /** Finite-difference step (default 1e-5). */
  readonly eps?: number;
  /** Tolerances: |autodiff − numeric| ≤ atol + rtol·|numeric| (defaults 1e-5 each). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Seed of the random directions (default 0). */
  readonly seed?: number;
}

type Fn = (...args: Tree[]) => Tree;

const leaves64 = (t: Tree) => treeLeaves(t).map((l) => l.data);

function randomLike(t: Tree, k: Key): Tree {
  let i = 0;
  return treeMap(t, (l) => normal(foldIn(k, i++), l.shape, "float64"));
}

function inner(a: Tree, b: Tree): number {
  const la = leaves64(a), lb = leaves64(b);
  let s = 0;
  for (let i = 0; i < la.length; i++) for (let j = 0; j < la[i].length; j++) s += la[i][j] * lb[i][j];
  return s;
}

/** (f(x + εt) − f(x − εt)) / 2ε, leaf by leaf. */
function numericJvp(f: Fn, args: readonly Tree[], tangents: readonly Tree[], eps: number): Float64Array[] {
  const moved = (sign: number) => args.map((a, i) => treeZip(a, tangents[i], (x, t) => {
    const d = new Float64Array(x.size);
    for (let j = 0; j < d.length; j++) d[j] = x.data[j] + sign * eps * t.data[j];
    return new Tensor(x.shape, d);
  }));
  const hi = leaves64(f(...moved(1))), lo = leaves64(f(...moved(-1)));
  return hi.map((h, i) => Float64Array.from(h, (v, j) => (v - lo[i][j]) / (2 * eps)));
}

function close(a: number, b: number, rtol: number, atol: number): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/**
 * Checks f's derivatives up to `order` the way JAX's and autograd's `check_grads` do: forward mode against
 * central differences along random tangents, reverse mode by the inner-product identity, then the same
 * for the functions x, v ↦ jvp(f)(x, v) and x, u ↦ vjp(f)(x)(u), recursively. Runs in float64; throws
 * an error naming the order, the mode and the numbers when a check fails.
 */
export function checkGrads<A extends Tree[]>(fn: (...args: A) => Tree, args: readonly [...A], options: CheckGradsOptions = {}): void {
  const f = fn as unknown as Fn;
  const order = options.order ?? 2;
  const modes = options.modes ?? ["fwd", "rev"];
  const eps = options.eps ?? 1e-5, rtol = options.rtol ?? 1e-5, atol = options.atol ?? 1e-5;
  const check = (g: Fn, xs: readonly Tree[], level: number, k: Key): void => {
    const [k1, k2, k3, k4] = split(k, 4);
    if (modes.includes("fwd")) {
      const t = xs.map((x, i) => randomLike(x, foldIn(k1, i)));
      const [, tangentOut] = jvp(g, [...xs], t);
      const auto = leaves64(tangentOut), numeric = numericJvp(g, xs, t, eps);
      auto.forEach((a, i) => a.forEach((v, j) => {
        if (!close(v, numeric[i][j], rtol, atol)) {
          throw new Error(`checkGrads: forward mode at order ${level}: jvp gives ${v}, central differences ${numeric[i][j]} (output leaf ${i}, entry ${j})`);
        }
      }));
      if (level < order) check((...xv) => jvp(g, xv.slice(0, xs.length), xv.slice(xs.length))[1], [...xs, ...t], level + 1, k3);
    }
    if (modes.includes("rev")) {
      const [out, pullback] = vjp(g, ...xs);
      const u = randomLike(out, k2);
      const v = xs.map((x, i) => randomLike(x, foldIn(k2, i + 1)));
      const jtu = pullback(u);
      const lhs = inner(jtu as Tree, v);
      const jv = numericJvp(g, xs, v, eps);
      const ul = leaves64(u);
      let rhs = 0;
      ul.forEach((l, i) => l.forEach((x, j) => (rhs += x * jv[i][j])));
      if (!close(lhs, rhs, rtol, atol)) throw new Error(`checkGrads: reverse mode at order ${level}: ⟨vjp(u), v⟩ = ${lhs}, ⟨u, J·v⟩ by central differences = ${rhs}`);
      if (level < order) check((...xu) => vjp(g, ...xu.slice(0, xs.length))[1](xu[xs.length]) as unknown as Tree, [...xs, u], level + 1, k4);
    }
  };
  check(f, args.map((a) => treeMap(a, (t) => cast(t, "float64"))), 1, key(options.seed ?? 0));
}
