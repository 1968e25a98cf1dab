/**
 * `vmap(f, inAxes, outAxes)`: f written for one example, run on a batch. Each mapped argument's leaves become
 * batch tracers (batch-tracer.ts) that show f one example's shape; every op f applies runs its batching
 * rule on the whole batch at once. Results come back with the batch along `outAxes` (default 0).
 */
import { BatchTracer, enterLevel, exitLevel } from "./batch-tracer.ts";
import { broadcastTo } from "./ops/broadcast.ts";
import { moveAxis } from "./ops/shape.ts";
import { Tensor, shapeString } from "./tensor.ts";
import { atPath, describeValue, findNonTree, isPlainRecord, treeMap, type Tree } from "./tree.ts";

/**
 * Where a tree's leaves are mapped, as JAX's `in_axes`/`out_axes`: a number (or null: not mapped) for the
 * whole tree, or an array/record that follows the tree's structure down to where one number applies.
 */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** `sub`, a path inside the tree found at `prefix`, as one path from the root (paths as tree.ts writes them). */
const joinPath = (prefix: string, sub: string) => (prefix === "" ? sub : sub === "" ? prefix : `${prefix}${sub.startsWith("[") ? "" : "."}${sub}`);

/** Walks `t` with its axis spec, calling `leaf(tensor, axis, path)` on each tensor and rebuilding the tree. */
function mapWithAxes(what: string, t: unknown, spec: AxisSpec, leaf: (x: Tensor, axis: number | null, path: string) => Tensor, path = "", depth = 0): unknown {
  if (depth > 1000) throw new Error(`vmap: ${what} is nested more than 1000 deep: does an object contain itself?`);
  if (spec === null || typeof spec === "number") {
    if (spec !== null && !Number.isInteger(spec)) throw new Error(`vmap: ${what}'s axis ${atPath(path)} must be a whole number or null, got ${String(spec)}`);
    if (spec === null && !(t instanceof Tensor)) return t; // passed through as it is: anything goes
    const bad = findNonTree(t);
    if (bad !== undefined) throw new Error(`vmap: ${what} must be tensors in records and arrays, found ${bad.what} ${atPath(joinPath(path, bad.path))} (give it the axis null)`);
    return treeMap(t as Tree, (x, p) => leaf(x, spec, joinPath(path, p)));
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(t) || t.length !== spec.length) throw new Error(`vmap: ${what}'s axes ${atPath(path)} are an array of ${spec.length}, the value is ${describeValue(t)}`);
    return t.map((x, i) => mapWithAxes(what, x, spec[i], leaf, joinPath(path, `[${i}]`), depth + 1));
  }
  if (isPlainRecord(spec)) {
    if (!isPlainRecord(t)) throw new Error(`vmap: ${what}'s axes ${atPath(path)} are a record, the value is ${describeValue(t)}`);
    const keys = Object.keys(t).sort(), specKeys = Object.keys(spec).sort();
    if (keys.join(",") !== specKeys.join(",")) throw new Error(`vmap: ${what}'s axes ${atPath(path)} have keys ${specKeys.join(",")}, the value has ${keys.join(",")}`);
    const out: { [key: string]: unknown } = {};
    for (const k of keys) out[k] = mapWithAxes(what, t[k], spec[k], leaf, joinPath(path, k), depth + 1);
    return out;
  }
  throw new Error(`vmap: ${what}'s axes ${atPath(path)} must be a number, null, or an array or record of them, got ${describeValue(spec)}`);
}

/** Axis `axis` of a rank-`rank` tensor as a non-negative index, or an error naming where. */
function resolveAxis(axis: number, rank: number, shape: readonly number[], where: string, role: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new Error(`vmap: ${where} has shape ${shapeString(shape)}, with no axis ${axis} ${role}`);
  return a;
}

/**
 * f mapped over the batch: argument i's leaves over the axis `inAxes` gives them (a number for every
 * argument, default 0; or one entry per argument, each a number, null — passed to every example as it
 * is — or a tree of them following the argument). The result's leaves carry the batch on `outAxes`
 * (a number for all, or a tree of numbers following the result).
 */
export function vmap<A extends unknown[], R>(f: (...args: A) => R, inAxes: number | readonly AxisSpec[] = 0, outAxes: AxisSpec = 0): (...args: A) => R {
  if (typeof f !== "function") throw new Error(`vmap: the first argument must be a function, got ${describeValue(f)}`);
  if (!(typeof inAxes === "number" || Array.isArray(inAxes))) throw new Error(`vmap: inAxes must be a number or an array with one entry per argument, got ${describeValue(inAxes)}`);
  return (...args: A): R => {
    const axes: readonly AxisSpec[] = typeof inAxes === "number" ? args.map(() => inAxes) : inAxes;
    if (axes.length !== args.length) throw new Error(`vmap: inAxes has ${axes.length} entries for ${args.length} arguments`);
    let size: number | undefined;
    const level = enterLevel();
    try {
      const mapped = args.map((arg, i) => mapWithAxes(`argument ${i}`, arg, axes[i], (leaf, axis, path) => {
        if (axis === null) return leaf;
        const where = `argument ${i}${path === "" ? "" : ` at ${path}`}`;
        const a = resolveAxis(axis, leaf.rank, leaf.shape, where, "to map over");
        if (size === undefined) size = leaf.shape[a];
        else if (leaf.shape[a] !== size) throw new Error(`vmap: mapped axes differ in size (${size} and ${leaf.shape[a]} at ${where})`);
        return new BatchTracer(level, moveAxis(leaf, a, 0));
      })) as A;
      if (size === undefined) throw new Error("vmap: no tensor is mapped (every inAxes entry is null, or the mapped arguments hold no tensors)");
      const batch = size;
      const out = f(...mapped);
      const bad = findNonTree(out);
      if (bad !== undefined) throw new Error(`vmap: the function must return tensors in records and arrays, found ${bad.what} ${atPath(bad.path)}`);
      return mapWithAxes("the result", out, outAxes, (leaf, axis, path) => {
        if (axis === null) throw new Error(`vmap: outAxes null ${atPath(path)} is not supported: every result carries the batch`);
        const batched = leaf instanceof BatchTracer && leaf.level === level ? leaf.value : broadcastTo(leaf, [batch, ...leaf.shape]);
        const a = resolveAxis(axis, batched.rank, batched.shape, `the result${path === "" ? "" : ` at ${path}`}`, "to put the batch on");
        return a === 0 ? batched : moveAxis(batched, 0, a);
      }) as R;
    } finally {
      exitLevel(level);
    }
  };
}
