/** Parameter trees as JSON: a tensor is {"shape": [...], "data": [...]}; arrays and records nest. */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { Tensor, fromArray, shapeString, treeLeaves, type Tree, readableError } from "../core/index.ts";

export type TreeJson = { readonly shape: readonly number[]; readonly data: readonly number[] } | readonly TreeJson[] | { readonly [k: string]: TreeJson };

/** The JSON form of a tree (numbers print in full precision, so float64 values round-trip exactly). */
export function encodeTree(t: Tree): TreeJson {
  if (t instanceof Tensor) return { shape: [...t.shape], data: Array.from(t.data) };
  if (Array.isArray(t)) return (t as readonly Tree[]).map(encodeTree);
  const rec = t as { readonly [k: string]: Tree };
  return Object.fromEntries(Object.keys(rec).sort().map((k) => [k, encodeTree(rec[k])]));
}

const FLOAT32_MAX = 3.4028234663852886e38;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isNumbers = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array;

/**
 * Reads a tree from untrusted JSON (or a safetensors file's tensors: data as typed arrays), requiring the
 * structure and shapes of `like` (a freshly initialised tree of the same network) and finite numbers;
 * errors name the path. With `float32Range`, numbers beyond float32's range are refused whatever `like`'s
 * dtype (a model must run on the float32 kernels, where they would become Infinity without a word).
 */
export function decodeTree(value: unknown, like: Tree, what: string, float32Range = false): Either<Error, Tree> {
  const fail = (path: string, msg: string) => left(readableError(`${what}${path === "" ? "" : ` field ${path}`}: ${msg}`));
  const walk = (v: unknown, l: Tree, path: string): Either<Error, Tree> => {
    if (l instanceof Tensor) {
      if (!isObject(v) || !Array.isArray(v.shape) || !isNumbers(v.data)) return fail(path, `expected a tensor {"shape": [...], "data": [...]}`);
      const shape = v.shape as unknown[], data = v.data;
      if (shape.length !== l.rank || shape.some((d, i) => d !== l.shape[i])) {
        return fail(path, `expected shape ${shapeString(l.shape)}, got ${JSON.stringify(shape)}`);
      }
      if (data.length !== l.size) return fail(path, `expected ${l.size} numbers, got ${data.length}`);
      const limit = float32Range || l.dtype === "float32" ? FLOAT32_MAX : Infinity;
      for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (typeof x !== "number" || !Number.isFinite(x)) return fail(path, `data[${i}] is ${typeof x === "number" ? String(x) : JSON.stringify(x)}, not a finite number`);
        // In float32 a larger number would become Infinity without a word.
        if (Math.abs(x) > limit) return fail(path, `data[${i}] is ${JSON.stringify(x)}, beyond float32's range (±3.4e38)`);
      }
      return right(fromArray(data as ArrayLike<number>, l.shape, l.dtype));
    }
    if (Array.isArray(l)) {
      const ls = l as readonly Tree[];
      if (!Array.isArray(v) || v.length !== ls.length) return fail(path, `expected an array of ${ls.length}`);
      const out: Tree[] = [];
      for (let i = 0; i < ls.length; i++) {
        const r = walk(v[i], ls[i], `${path}[${i}]`);
        if (r._tag === "Left") return r;
        out.push(r.right);
      }
      return right(out);
    }
    const rec = l as { readonly [k: string]: Tree };
    if (!isObject(v)) return fail(path, `expected an object with keys ${Object.keys(rec).sort().join(", ")}`);
    const out: { [k: string]: Tree } = {};
    for (const k of Object.keys(rec).sort()) {
      const r = walk(v[k], rec[k], path === "" ? k : `${path}.${k}`);
      if (r._tag === "Left") return r;
      out[k] = r.right;
    }
    const extra = Object.keys(v).filter((k) => !Object.hasOwn(rec, k));
    if (extra.length > 0) return fail(path, `unexpected key ${extra[0]}`);
    return right(out);
  };
  return walk(value, like, "");
}

/** True when two trees have the same structure, shapes and numbers. */
export function treesEqual(a: Tree, b: Tree): boolean {
  const la = treeLeaves(a), lb = treeLeaves(b);
  return la.length === lb.length && la.every((x, i) => x.shape.join() === lb[i].shape.join() && x.data.every((v, j) => Object.is(v, lb[i].data[j])));
}
