/** Parameter trees: tensors nested in records and arrays, walked in a fixed order (record keys sorted). */
import { Tensor } from "./tensor.ts";

export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

function isRecord(t: Tree): t is { readonly [key: string]: Tree } {
  return !(t instanceof Tensor) && !Array.isArray(t);
}

// The walks below are plain recursive functions, not closures: they run on every training step.
function collectLeaves(x: Tree, out: Tensor[]): void {
  if (x instanceof Tensor) out.push(x);
  else if (Array.isArray(x)) for (let i = 0; i < x.length; i++) collectLeaves((x as readonly Tree[])[i], out);
  else {
    const keys = Object.keys(x).sort();
    for (let i = 0; i < keys.length; i++) collectLeaves((x as { readonly [key: string]: Tree })[keys[i]], out);
  }
}

/** The tensors of a tree, in its canonical order. */
export function treeLeaves(t: Tree): Tensor[] {
  const out: Tensor[] = [];
  collectLeaves(t, out);
  return out;
}

function mapTree(x: Tree, f: (leaf: Tensor, path: string) => Tensor, path: string): Tree {
  if (x instanceof Tensor) return f(x, path);
  if (Array.isArray(x)) {
    const out: Tree[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = mapTree((x as readonly Tree[])[i], f, `${path}[${i}]`);
    return out;
  }
  const rec = x as { readonly [key: string]: Tree };
  const keys = Object.keys(rec).sort();
  const out: { [key: string]: Tree } = {};
  for (let i = 0; i < keys.length; i++) out[keys[i]] = mapTree(rec[keys[i]], f, path === "" ? keys[i] : `${path}.${keys[i]}`);
  return out;
}

/** A tree of the same structure with each tensor replaced by `f(tensor, path)`. */
export function treeMap<T extends Tree>(t: T, f: (leaf: Tensor, path: string) => Tensor): T {
  return mapTree(t, f, "") as T;
}

function zipTree(x: Tree, y: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor, path: string): Tree {
  const where = path === "" ? "the root" : path;
  if (x instanceof Tensor) {
    if (!(y instanceof Tensor)) throw new Error(`treeZip: trees differ at ${where} (a tensor and a ${Array.isArray(y) ? "array" : "record"})`);
    return f(x, y, path);
  }
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || y.length !== x.length) throw new Error(`treeZip: trees differ at ${where} (arrays of different length)`);
    const out: Tree[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = zipTree((x as readonly Tree[])[i], (y as readonly Tree[])[i], f, `${path}[${i}]`);
    return out;
  }
  if (!isRecord(y)) throw new Error(`treeZip: trees differ at ${where} (a record and something else)`);
  const xr = x as { readonly [key: string]: Tree };
  const keys = Object.keys(xr).sort();
  const yKeys = Object.keys(y).sort();
  if (keys.length !== yKeys.length || keys.some((k, i) => k !== yKeys[i])) {
    throw new Error(`treeZip: trees differ at ${where} (keys ${keys.join(",")} and ${yKeys.join(",")})`);
  }
  const out: { [key: string]: Tree } = {};
  for (let i = 0; i < keys.length; i++) out[keys[i]] = zipTree(xr[keys[i]], y[keys[i]], f, path === "" ? keys[i] : `${path}.${keys[i]}`);
  return out;
}

/** Combines two trees of the same structure leaf by leaf; throws naming the first place they differ. */
export function treeZip<T extends Tree>(a: T, b: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor): T {
  return zipTree(a, b, f, "") as T;
}

function rebuild(like: Tree, leaves: readonly Tensor[], cursor: { i: number }): Tree {
  if (like instanceof Tensor) return leaves[cursor.i++];
  if (Array.isArray(like)) {
    const out: Tree[] = new Array(like.length);
    for (let i = 0; i < like.length; i++) out[i] = rebuild((like as readonly Tree[])[i], leaves, cursor);
    return out;
  }
  const rec = like as { readonly [key: string]: Tree };
  const keys = Object.keys(rec).sort();
  const out: { [key: string]: Tree } = {};
  for (let i = 0; i < keys.length; i++) out[keys[i]] = rebuild(rec[keys[i]], leaves, cursor);
  return out;
}

/** A tree shaped like `like` whose leaves are `leaves`, in canonical order. */
export function treeUnflatten<T extends Tree>(like: T, leaves: readonly Tensor[]): T {
  const cursor = { i: 0 };
  const out = rebuild(like, leaves, cursor);
  if (cursor.i !== leaves.length) throw new Error(`treeUnflatten: tree has ${cursor.i} leaves, got ${leaves.length}`);
  return out as T;
}
