/**
 * Parameter trees: tensors nested in records and arrays, walked in a fixed order (record keys sorted).
 * Anything else in a tree (a number, a string, a class instance) is an error naming where it is: a number
 * among the parameters would otherwise be silently dropped from the gradient.
 */
import { describeValue } from "./describe.ts";
import { Tensor } from "./tensor.ts";

export { describeValue };

export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

/** Deeper than this a tree is taken to be a cycle (an object that contains itself), named rather than left to overflow the stack. */
const MAX_DEPTH = 1000;

function tooDeep(op: string, path: string): Error {
  const where = path === "" || path === "the root" ? "" : ` (at ${path.slice(0, 60)}…)`;
  return new Error(`${op}: the tree is nested more than ${MAX_DEPTH} deep${where}: does an object contain itself?`);
}

/** A plain record: an object literal (or one made with a null prototype), not a class instance. */
export function isPlainRecord(x: unknown): x is { readonly [key: string]: unknown } {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * The path of the first thing in `t` that is not a tensor, record or array (nor a leaf `alsoLeaf` accepts),
 * and what it is; undefined if none. The path of the root itself is "".
 */
export function findNonTree(t: unknown, alsoLeaf: (x: unknown) => boolean = () => false, path = "", depth = 0): { path: string; what: string } | undefined {
  if (t instanceof Tensor || alsoLeaf(t)) return undefined;
  if (depth > MAX_DEPTH) return { path, what: "a cycle (an object containing itself)" };
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      const r = findNonTree(t[i], alsoLeaf, `${path}[${i}]`, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (isPlainRecord(t)) {
    for (const k of Object.keys(t).sort()) {
      const r = findNonTree(t[k], alsoLeaf, path === "" ? k : `${path}.${k}`, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  return { path, what: describeValue(t) };
}

/** Where a findNonTree path points, for a message: "at lr", or "at the root". */
export function atPath(path: string): string {
  return path === "" ? "at the root" : `at ${path}`;
}

function notATree(root: unknown): Error {
  const bad = findNonTree(root);
  const where = bad === undefined ? "" : ` (${bad.what} ${atPath(bad.path)})`;
  return new Error(`tree: a parameter tree holds tensors in records and arrays only${where}; pass constants as further arguments, or as tensors`);
}

// The walks below are plain recursive functions, not closures: they run on every training step.
function collectLeaves(x: Tree, out: Tensor[], root: unknown, depth: number): void {
  if (x instanceof Tensor) out.push(x);
  else if (depth > MAX_DEPTH) throw tooDeep("treeLeaves", "");
  else if (Array.isArray(x)) for (let i = 0; i < x.length; i++) collectLeaves((x as readonly Tree[])[i], out, root, depth + 1);
  else if (isPlainRecord(x)) {
    const keys = Object.keys(x).sort();
    for (let i = 0; i < keys.length; i++) collectLeaves((x as { readonly [key: string]: Tree })[keys[i]], out, root, depth + 1);
  } else throw notATree(root);
}

/** The tensors of a tree, in its canonical order. */
export function treeLeaves(t: Tree): Tensor[] {
  const out: Tensor[] = [];
  collectLeaves(t, out, t, 0);
  return out;
}

function mapTree(x: Tree, f: (leaf: Tensor, path: string) => Tensor, path: string, root: unknown, depth: number): Tree {
  if (x instanceof Tensor) return f(x, path);
  if (depth > MAX_DEPTH) throw tooDeep("treeMap", path);
  if (Array.isArray(x)) {
    const out: Tree[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = mapTree((x as readonly Tree[])[i], f, `${path}[${i}]`, root, depth + 1);
    return out;
  }
  if (!isPlainRecord(x)) throw notATree(root);
  const rec = x as { readonly [key: string]: Tree };
  const keys = Object.keys(rec).sort();
  const out: { [key: string]: Tree } = {};
  for (let i = 0; i < keys.length; i++) out[keys[i]] = mapTree(rec[keys[i]], f, path === "" ? keys[i] : `${path}.${keys[i]}`, root, depth + 1);
  return out;
}

/** A tree of the same structure with each tensor replaced by `f(tensor, path)`. */
export function treeMap<T extends Tree>(t: T, f: (leaf: Tensor, path: string) => Tensor): T {
  return mapTree(t, f, "", t, 0) as T;
}

function zipTree(x: Tree, y: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor, path: string, depth = 0): Tree {
  const where = path === "" ? "the root" : path;
  if (depth > MAX_DEPTH) throw tooDeep("treeZip", where);
  if (x instanceof Tensor) {
    if (!(y instanceof Tensor)) throw new Error(`treeZip: trees differ at ${where} (a tensor and ${describeValue(y)})`);
    return f(x, y, path);
  }
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || y.length !== x.length) throw new Error(`treeZip: trees differ at ${where} (arrays of different length)`);
    const out: Tree[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = zipTree((x as readonly Tree[])[i], (y as readonly Tree[])[i], f, `${path}[${i}]`, depth + 1);
    return out;
  }
  if (!isPlainRecord(x)) throw new Error(`treeZip: ${describeValue(x)} at ${where} is not a tensor, record or array`);
  if (!isPlainRecord(y)) throw new Error(`treeZip: trees differ at ${where} (a record and ${describeValue(y)})`);
  const xr = x as { readonly [key: string]: Tree };
  const keys = Object.keys(xr).sort();
  const yKeys = Object.keys(y).sort();
  if (keys.length !== yKeys.length || keys.some((k, i) => k !== yKeys[i])) {
    throw new Error(`treeZip: trees differ at ${where} (keys ${keys.join(",")} and ${yKeys.join(",")})`);
  }
  const yr = y as { readonly [key: string]: Tree };
  const out: { [key: string]: Tree } = {};
  for (let i = 0; i < keys.length; i++) out[keys[i]] = zipTree(xr[keys[i]], yr[keys[i]], f, path === "" ? keys[i] : `${path}.${keys[i]}`, depth + 1);
  return out;
}

/** Combines two trees of the same structure leaf by leaf; throws naming the first place they differ. */
export function treeZip<T extends Tree>(a: T, b: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor): T {
  return zipTree(a, b, f, "") as T;
}

/**
 * A function that builds trees shaped like `like` from leaves in canonical order, as treeUnflatten does, with
 * the records' keys sorted once here: for building the same shape again and again (jit's outputs).
 */
export function treeBuilder(like: Tree): (leaves: readonly Tensor[]) => Tree {
  const build = builderOf(like);
  return (leaves) => build(leaves, { i: 0 });
}

type Build = (leaves: readonly Tensor[], cursor: { i: number }) => Tree;

function builderOf(like: Tree): Build {
  if (like instanceof Tensor) return (leaves, cursor) => leaves[cursor.i++];
  if (Array.isArray(like)) {
    const items = (like as readonly Tree[]).map(builderOf);
    return (leaves, cursor) => {
      const out: Tree[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) out[i] = items[i](leaves, cursor);
      return out;
    };
  }
  if (!isPlainRecord(like)) throw notATree(like);
  const rec = like as { readonly [key: string]: Tree };
  const keys = Object.keys(rec).sort();
  const values = keys.map((k) => builderOf(rec[k]));
  return (leaves, cursor) => {
    const out: { [key: string]: Tree } = {};
    for (let i = 0; i < keys.length; i++) out[keys[i]] = values[i](leaves, cursor);
    return out;
  };
}

/** A tree shaped like `like` whose leaves are `leaves`, in canonical order. */
export function treeUnflatten<T extends Tree>(like: T, leaves: readonly Tensor[]): T {
  const cursor = { i: 0 };
  const out = builderOf(like)(leaves, cursor);
  if (cursor.i !== leaves.length) throw new Error(`treeUnflatten: tree has ${cursor.i} leaves, got ${leaves.length}`);
  return out as T;
}
