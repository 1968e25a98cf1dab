/**
 * JAX-style transforms over parameter trees: `valueAndGrad`, `grad`, `vjp`, `jvp`, `jacobian`, `hessian`.
 * Each runs its function on fresh copies of its inputs (an `identity` op, so enclosing transforms see the
 * path) watched by a tape of its own; the backward pass runs as ordinary ops, so transforms nest to any
 * order. Forward mode is reverse mode transposed: the pullback is linear in its cotangent, so the JVP
 * along t is the VJP of the pullback, taken at any cotangent, applied to t (see README "Transforms").
 */
import { backward } from "./backward.ts";
import { identity } from "./ops/elementwise.ts";
import { moveAxis, reshape } from "./ops/shape.ts";
import { Tape, popTape, pushTape } from "./tape.ts";
import { Tensor, fromArray, full, sameShape, shapeString, zeros } from "./tensor.ts";
import { atPath, describeValue, findNonTree, isPlainRecord, treeLeaves, treeMap, treeUnflatten, treeZip, type Tree } from "./tree.ts";
import { vmap } from "./vmap.ts";

/** The leaves of a transform's input or output, or an error naming the transform and the offending place. */
function leavesOf(transform: string, what: string, t: unknown): Tensor[] {
  try {
    return treeLeaves(t as Tree);
  } catch (e) {
    const bad = findNonTree(t);
    if (bad === undefined) throw e;
    throw new Error(`${transform}: ${what} must be tensors in records and arrays, found ${bad.what} ${atPath(bad.path)}` +
      (what.startsWith("the parameters") ? " (pass constants as further arguments, or as tensors)" : ""));
  }
}

interface Traced {
  readonly tape: Tape;
  /** The inputs as f sees them: each leaf a fresh tensor, watched by the tape. */
  readonly trees: Tree[];
  readonly leaves: Tensor[];
}

function traceInputs(transform: string, inputs: readonly unknown[], what: (i: number) => string): Traced {
  const tape = new Tape();
  const leaves: Tensor[] = [];
  const trees = inputs.map((p, i) => {
    const ls = leavesOf(transform, what(i), p).map((l) => identity(l));
    for (const l of ls) {
      tape.watch(l);
      leaves.push(l);
    }
    return treeUnflatten(p as Tree, ls);
  });
  return { tape, trees, leaves };
}

function runOnTape<R>(tape: Tape, f: () => R): R {
  pushTape(tape);
  try {
    return f();
  } finally {
    popTape(tape);
  }
}

/** Which positional arguments to differentiate: one index (the gradient is that argument's tree) or a list (a tuple of trees). */
export type Argnums = number | readonly number[];

/** Options of `grad` and `valueAndGrad`, as JAX's `argnums` and `has_aux`. */
export interface GradOptions<N extends Argnums = Argnums, H extends boolean = boolean> {
  /** The argument(s) to differentiate with respect to (default 0); the others are passed through as constants. */
  readonly argnums?: N;
  /** f returns `[scalar, aux]`; aux is returned beside the value, not differentiated. */
  readonly hasAux?: H;
}

/** The gradients' type: argument N's tree for one index, a tuple of the arguments' trees for a list. */
export type GradsOf<A extends readonly unknown[], N> =
  N extends number ? A[N] : N extends readonly number[] ? { -readonly [K in keyof N]: A[N[K] & number] } : A[0];

const GRAD_OPTION_KEYS = new Set(["argnums", "hasAux"]);

function readGradOptions(transform: string, options: unknown): { argnums: readonly number[]; single: boolean; hasAux: boolean } {
  if (options === undefined) return { argnums: [0], single: true, hasAux: false };
  if (!isPlainRecord(options)) throw new Error(`${transform}: options must be a record such as {argnums: 1, hasAux: true}, got ${describeValue(options)}`);
  for (const k of Object.keys(options)) {
    if (!GRAD_OPTION_KEYS.has(k)) throw new Error(`${transform}: unknown option "${k}" (the options are argnums and hasAux)`);
  }
  const { argnums = 0, hasAux = false } = options as { argnums?: unknown; hasAux?: unknown };
  if (typeof hasAux !== "boolean") throw new Error(`${transform}: hasAux must be true or false, got ${describeValue(hasAux)}`);
  const single = !Array.isArray(argnums);
  const list: unknown[] = single ? [argnums] : (argnums as unknown[]);
  if (list.length === 0) throw new Error(`${transform}: argnums is an empty list; name at least one argument to differentiate`);
  list.forEach((n) => {
    if (!Number.isInteger(n) || (n as number) < 0) throw new Error(`${transform}: argnums must be argument indices (whole numbers from 0), got ${describeValue(n)}`);
  });
  if (new Set(list).size !== list.length) throw new Error(`${transform}: argnums lists an argument twice (${list.join(", ")})`);
  return { argnums: list as number[], single, hasAux };
}

interface GradResult {
  readonly value: Tensor;
  readonly aux: unknown;
  readonly grads: unknown;
}

/** f's value (and aux) and its gradient with respect to the arguments `argnums` names, for grad and valueAndGrad. */
function gradOf(transform: string, f: (...args: never[]) => unknown, options: unknown): (...args: unknown[]) => GradResult {
  if (typeof f !== "function") throw new Error(`${transform}: the first argument must be a function, got ${describeValue(f)}`);
  const { argnums, single, hasAux } = readGradOptions(transform, options);
  return (...args) => {
    for (const n of argnums) {
      if (n >= args.length) throw new Error(`${transform}: argnums names argument ${n}, but the function was called with ${args.length} argument${args.length === 1 ? "" : "s"}`);
    }
    const what = (i: number) => argnums[i] === 0 && single ? "the parameters (the first argument)" : `the differentiated argument ${argnums[i]}`;
    const { tape, trees, leaves } = traceInputs(transform, argnums.map((n) => args[n]), what);
    const traced = args.slice();
    argnums.forEach((n, i) => { traced[n] = trees[i]; });
    const out = runOnTape(tape, () => (f as (...a: unknown[]) => unknown)(...traced));
    let value: unknown = out;
    let aux: unknown;
    if (hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new Error(`${transform}: with hasAux the function must return [scalar tensor, aux], got ${describeValue(out)}`);
      [value, aux] = out;
    }
    if (!(value instanceof Tensor) || value.size !== 1) {
      const got = value instanceof Tensor ? `a tensor of shape ${shapeString(value.shape)}` : describeValue(value);
      throw new Error(`${transform}: the function must return a scalar tensor${hasAux ? " as the first of [value, aux]" : ""}, got ${got}`);
    }
    const flat = backward(tape, [value], [full(value.shape, 1, value.dtype)], leaves);
    let at = 0;
    const perArg = argnums.map((n) => {
      const count = treeLeaves(args[n] as Tree).length;
      const part = flat.slice(at, at + count);
      at += count;
      return treeUnflatten(args[n] as Tree, part);
    });
    return { value, aux, grads: single ? perArg[0] : perArg };
  };
}

/**
 * f's value and its gradient, as JAX's `value_and_grad`: `const [value, grads] = valueAndGrad(f)(params, ...rest)`.
 * The value is the scalar tensor f returned (`.item()` reads it). `argnums` picks the argument(s) to
 * differentiate (default 0: the gradient is shaped like the first argument; a list gives a tuple);
 * with `hasAux: true`, f returns `[value, aux]` and the result is `[[value, aux], grads]`.
 */
export function valueAndGrad<A extends unknown[], const N extends Argnums = 0>(
  f: (...args: A) => Tensor, options?: GradOptions<N, false>): (...args: A) => [Tensor, GradsOf<A, N>];
export function valueAndGrad<A extends unknown[], Aux, const N extends Argnums = 0>(
  f: (...args: A) => readonly [Tensor, Aux], options: GradOptions<N, true>): (...args: A) => [[Tensor, Aux], GradsOf<A, N>];
export function valueAndGrad(f: (...args: never[]) => unknown, options?: GradOptions): (...args: unknown[]) => unknown {
  const run = gradOf("valueAndGrad", f, options);
  const hasAux = options?.hasAux === true;
  return (...args) => {
    const r = run(...args);
    return hasAux ? [[r.value, r.aux], r.grads] : [r.value, r.grads];
  };
}

/**
 * The gradient of f, as JAX's `grad`: shaped like the first argument (or the `argnums` argument(s)); with
 * `hasAux: true`, f returns `[value, aux]` and the result is `[grads, aux]`.
 */
export function grad<A extends unknown[], const N extends Argnums = 0>(
  f: (...args: A) => Tensor, options?: GradOptions<N, false>): (...args: A) => GradsOf<A, N>;
export function grad<A extends unknown[], Aux, const N extends Argnums = 0>(
  f: (...args: A) => readonly [Tensor, Aux], options: GradOptions<N, true>): (...args: A) => [GradsOf<A, N>, Aux];
export function grad(f: (...args: never[]) => unknown, options?: GradOptions): (...args: unknown[]) => unknown {
  const run = gradOf("grad", f, options);
  const hasAux = options?.hasAux === true;
  return (...args) => {
    const r = run(...args);
    return hasAux ? [r.grads, r.aux] : r.grads;
  };
}

/** The cotangent's leaves, checked against the output's structure and shapes. */
function cotangentLeaves(transform: string, out: Tree, cotangent: unknown): Tensor[] {
  leavesOf(transform, "the cotangent", cotangent);
  const leaves: Tensor[] = [];
  treeZip(out, cotangent as Tree, (o, c, path) => {
    if (!sameShape(o.shape, c.shape) || o.dtype !== c.dtype) {
      throw new Error(`${transform}: the cotangent${path === "" ? "" : ` at ${path}`} is ${c.dtype}${shapeString(c.shape)}, the output is ${o.dtype}${shapeString(o.shape)}`);
    }
    leaves.push(c);
    return c;
  });
  return leaves;
}

/**
 * f's output at `primals` and its pullback: `pullback(cotangent)` gives one cotangent per primal (each
 * shaped like its primal), the vector-Jacobian product. The pullback may be called any number of times.
 */
export function vjp<A extends Tree[], R extends Tree>(f: (...args: A) => R, ...primals: A): [R, (cotangent: R) => A] {
  const { tape, trees, leaves } = traceInputs("vjp", primals, (i) => `the primals (argument ${i})`);
  const out = runOnTape(tape, () => f(...(trees as A)));
  const outLeaves = leavesOf("vjp", "the function's result", out);
  const pullback = (cotangent: R): A => {
    const cots = backward(tape, outLeaves, cotangentLeaves("vjp", out, cotangent), leaves);
    let at = 0;
    return primals.map((p) => {
      const n = treeLeaves(p).length;
      const part = cots.slice(at, at + n);
      at += n;
      return treeUnflatten(p, part);
    }) as unknown as A;
  };
  return [out, pullback];
}

/**
 * f's output at `primals` and its directional derivative along `tangents` (forward mode, the Jacobian
 * times the tangents). Computed as the transpose of the pullback, which costs about two reverse passes.
 */
export function jvp<A extends Tree[], R extends Tree>(f: (...args: A) => R, primals: A, tangents: A): [R, R] {
  if (!Array.isArray(primals) || !Array.isArray(tangents) || primals.length !== tangents.length) {
    throw new Error(`jvp: give primals and tangents as two arrays of the same length (one tangent per argument)`);
  }
  primals.forEach((p, i) => {
    leavesOf("jvp", `the tangents (argument ${i})`, tangents[i]);
    treeZip(p, tangents[i], (x, t, path) => {
      if (!sameShape(x.shape, t.shape) || x.dtype !== t.dtype) {
        throw new Error(`jvp: the tangent of argument ${i}${path === "" ? "" : ` at ${path}`} is ${t.dtype}${shapeString(t.shape)}, the primal is ${x.dtype}${shapeString(x.shape)}`);
      }
      return t;
    });
  });
  const [out, pullback] = vjp(f, ...primals);
  const u = treeMap(out, (o) => zeros(o.shape, o.dtype));
  const [, transposed] = vjp((cot: R) => pullback(cot) as unknown as Tree, u);
  const [tangentOut] = transposed(tangents as unknown as Tree);
  return [out, tangentOut as R];
}

/** A tree of Jacobian blocks: the output's structure outside, the input's inside, each block `out.shape ++ in.shape`. */
export type JacobianTree = Tree | { readonly [key: string]: JacobianTree } | readonly JacobianTree[];

/** Nests blocks[j][i] (output leaf j, input leaf i) as output-structure outside, input-structure inside; one tensor each side gives the tensor. */
function nestBlocks(y: Tree, x: Tree, blocks: Tensor[][]): JacobianTree {
  const inner = blocks.map((row) => treeUnflatten(x, row));
  return treeUnflatten(y, inner as unknown as Tensor[]);
}

/** The unit vectors of an n-entry leaf, stacked: shape `[n, ...shape]`. */
function unitBasis(shape: readonly number[], dtype: Tensor["dtype"]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const eye = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return fromArray(eye, [n, ...shape], dtype);
}

/** The basis for one leaf of a tree, the other leaves zero: each leaf `[n, ...its shape]`. */
function leafBasis(like: Tree, which: number, n: number): Tree {
  let i = 0;
  return treeMap(like, (leaf) => (i++ === which ? unitBasis(leaf.shape, leaf.dtype) : zeros([n, ...leaf.shape], leaf.dtype)));
}

function checkJacobianArgs(transform: string, f: unknown, x: unknown): void {
  if (typeof f !== "function") throw new Error(`${transform}: the first argument must be a function, got ${describeValue(f)}`);
  leavesOf(transform, "the argument", x);
}

/**
 * The Jacobian of f by reverse mode (JAX's `jacrev`), one pullback per output entry, all at once under vmap.
 * For a tensor to tensor function, a tensor of shape `f(x).shape ++ x.shape`; over trees, f's output
 * structure outside and x's inside, each block shaped `out.shape ++ in.shape`.
 */
export function jacobian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function jacobian<X extends Tree>(f: (x: X) => Tree): (x: X) => JacobianTree;
export function jacobian(fn: (x: never) => unknown): (x: never) => unknown {
  const f = fn as unknown as (x: Tree) => Tree;
  return (x: Tree): JacobianTree => {
    checkJacobianArgs("jacobian", f, x);
    const [y, pullback] = vjp(f, x);
    const ys = leavesOf("jacobian", "the function's result", y);
    const xs = treeLeaves(x);
    const blocks = ys.map((yj, j) => {
      if (yj.size === 0) return xs.map((xi) => zeros([...yj.shape, ...xi.shape], xi.dtype));
      const rows = vmap((u: Tree) => pullback(u)[0])(leafBasis(y, j, yj.size));
      return treeLeaves(rows).map((r, i) => reshape(r, [...yj.shape, ...xs[i].shape]));
    });
    return nestBlocks(y, x, blocks);
  };
}

/** JAX's name for `jacobian`. */
export const jacrev = jacobian;

/**
 * The Jacobian of f by forward mode (JAX's `jacfwd`), one JVP per input entry, all at once under vmap:
 * cheaper than `jacobian` when the input is smaller than the output. Same layout as `jacobian`.
 */
export function jacfwd(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function jacfwd<X extends Tree>(f: (x: X) => Tree): (x: X) => JacobianTree;
export function jacfwd(fn: (x: never) => unknown): (x: never) => unknown {
  const f = fn as unknown as (x: Tree) => Tree;
  return (x: Tree): JacobianTree => {
    checkJacobianArgs("jacfwd", f, x);
    const xs = treeLeaves(x);
    const columns = xs.map((xi, i) => {
      const n = xi.size;
      if (n === 0) return undefined;
      const ts = vmap((t: Tree) => jvp(f, [x], [t])[1])(leafBasis(x, i, n));
      return treeLeaves(ts);
    });
    const y = f(x);
    const ys = leavesOf("jacfwd", "the function's result", y);
    const blocks = ys.map((yj, j) => xs.map((xi, i) => {
      const col = columns[i];
      if (col === undefined) return zeros([...yj.shape, ...xi.shape], yj.dtype);
      // col[j] is [n, ...yj.shape]: the input entry first; the Jacobian puts it last.
      return reshape(moveAxis(col[j], 0, yj.rank), [...yj.shape, ...xi.shape]);
    }));
    return nestBlocks(y, x, blocks);
  };
}

/** The Hessian of a scalar function: `jacobian(grad(f))`, over trees as `jacobian`. */
export function hessian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function hessian<X extends Tree>(f: (x: X) => Tensor): (x: X) => JacobianTree;
export function hessian(f: (x: never) => unknown): (x: never) => unknown {
  return jacobian(grad(f as unknown as (x: Tree) => Tensor) as (x: Tree) => Tree);
}
