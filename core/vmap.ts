/**
 * `vmap(f, inAxes)`: f written for one example, run on a batch. Each mapped argument's leaves become
 * batch tracers (batch-tracer.ts) that show f one example's shape; every op f applies runs its batching
 * rule on the whole batch at once. Results come back with the batch along axis 0.
 */
import { BatchTracer, enterLevel, exitLevel } from "./batch-tracer.ts";
import { broadcastTo } from "./ops/broadcast.ts";
import { moveAxis } from "./ops/shape.ts";
import { Tensor, shapeString } from "./tensor.ts";
import { atPath, findNonTree, treeMap, type Tree } from "./tree.ts";

/**
 * f mapped over axis `inAxes[i]` of argument i (default 0 for every argument; `null` passes the argument
 * to every example as it is). The result's mapped axis is 0.
 */
export function vmap<A extends unknown[], R>(f: (...args: A) => R, inAxes?: readonly (number | null)[]): (...args: A) => R {
  return (...args: A): R => {
    const axes = inAxes ?? args.map(() => 0);
    if (axes.length !== args.length) throw new Error(`vmap: inAxes has ${axes.length} entries for ${args.length} arguments`);
    let size: number | undefined;
    const level = enterLevel();
    try {
      const mapped = args.map((arg, i) => {
        const axis = axes[i];
        if (axis === null) return arg;
        if (!Number.isInteger(axis)) throw new Error(`vmap: inAxes[${i}] must be a whole number or null, got ${String(axis)}`);
        const bad = findNonTree(arg);
        if (bad !== undefined) throw new Error(`vmap: mapped argument ${i} must be tensors in records and arrays, found ${bad.what} ${atPath(bad.path)} (give it inAxes null)`);
        return treeMap(arg as Tree, (leaf, path) => {
          const where = `argument ${i}${path === "" ? "" : ` at ${path}`}`;
          const a = axis < 0 ? axis + leaf.rank : axis;
          if (!(a >= 0 && a < leaf.rank)) throw new Error(`vmap: ${where} has shape ${shapeString(leaf.shape)}, with no axis ${axis} to map over`);
          if (size === undefined) size = leaf.shape[a];
          else if (leaf.shape[a] !== size) throw new Error(`vmap: mapped axes differ in size (${size} and ${leaf.shape[a]} at ${where})`);
          return new BatchTracer(level, moveAxis(leaf, a, 0));
        });
      }) as A;
      if (size === undefined) throw new Error("vmap: no tensor is mapped (every inAxes entry is null, or the mapped arguments hold no tensors)");
      const batch = size;
      const out = f(...mapped);
      const bad = findNonTree(out);
      if (bad !== undefined) throw new Error(`vmap: the function must return tensors in records and arrays, found ${bad.what} ${atPath(bad.path)}`);
      return treeMap(out as Tree, (leaf: Tensor) =>
        leaf instanceof BatchTracer && leaf.level === level ? leaf.value : broadcastTo(leaf, [batch, ...leaf.shape])) as R;
    } finally {
      exitLevel(level);
    }
  };
}
