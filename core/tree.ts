/** Parameter trees: tensors nested in records and arrays, walked in a fixed order (record keys sorted). */
import { Tensor } from "./tensor.ts";

export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

function isRecord(t: Tree): t is { readonly [key: string]: Tree } {
  return !(t instanceof Tensor) && !Array.isArray(t);
}

/** The tensors of a tree, in its canonical order. */
export function treeLeaves(t: Tree): Tensor[] {
  const out: Tensor[] = [];
  const walk = (x: Tree): void => {
    if (x instanceof Tensor) out.push(x);
    else if (Array.isArray(x)) for (const c of x as readonly Tree[]) walk(c);
    else for (const k of Object.keys(x).sort()) walk((x as { readonly [key: string]: Tree })[k]);
  };
  walk(t);
  return out;
}

/** A tree of the same structure with each tensor replaced by `f(tensor, path)`. */
export function treeMap<T extends Tree>(t: T, f: (leaf: Tensor, path: string) => Tensor): T {
  const walk = (x: Tree, path: string): Tree => {
    if (x instanceof Tensor) return f(x, path);
    if (Array.isArray(x)) return (x as readonly Tree[]).map((c, i) => walk(c, `${path}[${i}]`));
    const rec = x as { readonly [key: string]: Tree };
    const out: { [key: string]: Tree } = {};
    for (const k of Object.keys(rec).sort()) out[k] = walk(rec[k], path === "" ? k : `${path}.${k}`);
    return out;
  };
  return walk(t, "") as T;
}

/** Combines two trees of the same structure leaf by leaf; throws naming the first place they differ. */
export function treeZip<T extends Tree>(a: T, b: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor): T {
  const walk = (x: Tree, y: Tree, path: string): Tree => {
    const where = path === "" ? "the root" : path;
    if (x instanceof Tensor) {
      if (!(y instanceof Tensor)) throw new Error(`treeZip: trees differ at ${where} (a tensor and a ${Array.isArray(y) ? "array" : "record"})`);
      return f(x, y, path);
    }
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || y.length !== x.length) throw new Error(`treeZip: trees differ at ${where} (arrays of different length)`);
      return (x as readonly Tree[]).map((c, i) => walk(c, (y as readonly Tree[])[i], `${path}[${i}]`));
    }
    if (!isRecord(y)) throw new Error(`treeZip: trees differ at ${where} (a record and something else)`);
    const xr = x as { readonly [key: string]: Tree };
    const keys = Object.keys(xr).sort();
    const yKeys = Object.keys(y).sort();
    if (keys.join("\0") !== yKeys.join("\0")) throw new Error(`treeZip: trees differ at ${where} (keys ${keys.join(",")} and ${yKeys.join(",")})`);
    const out: { [key: string]: Tree } = {};
    for (const k of keys) out[k] = walk(xr[k], y[k], path === "" ? k : `${path}.${k}`);
    return out;
  };
  return walk(a, b, "") as T;
}

/** A tree shaped like `like` whose leaves are `leaves`, in canonical order. */
export function treeUnflatten<T extends Tree>(like: T, leaves: readonly Tensor[]): T {
  if (leaves.length !== treeLeaves(like).length) {
    throw new Error(`treeUnflatten: tree has ${treeLeaves(like).length} leaves, got ${leaves.length}`);
  }
  let i = 0;
  return treeMap(like, () => leaves[i++]);
}
