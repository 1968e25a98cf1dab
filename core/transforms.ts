/**
 * JAX-style transforms over parameter trees: `valueAndGrad`, `grad`, `vjp`, `jvp`, `jacobian`, `hessian`.
 * Each runs its function on fresh copies of its inputs (an `identity` op, so enclosing transforms see the
 * path) watched by a tape of its own; the backward pass runs as ordinary ops, so transforms nest to any
 * order. Forward mode is reverse mode transposed: the pullback is linear in its cotangent, so the JVP
 * along t is the VJP of the pullback, taken at any cotangent, applied to t (see README "Transforms").
 */
import { backward } from "./backward.ts";
import { identity } from "./ops/elementwise.ts";
import { reshape } from "./ops/shape.ts";
import { Tape, popTape, pushTape } from "./tape.ts";
import { Tensor, fromArray, full, sameShape, shapeString, zeros } from "./tensor.ts";
import { atPath, findNonTree, treeLeaves, treeMap, treeUnflatten, treeZip, type Tree } from "./tree.ts";
import { vmap } from "./vmap.ts";

export interface ValueAndGrad<P extends Tree> {
  /** f's value as a number (read on demand; not part of the result's tree, so jit and vmap skip it). */
  readonly value: number;
  /** f's value as the scalar tensor f returned (what a jitted or vmapped function should return rather than `value`). */
  readonly output: Tensor;
  readonly grad: P;
}

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

/** f's value and its gradient with respect to `params`, the gradient shaped like `params`. */
export function valueAndGrad<P extends Tree, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor,
): (params: P, ...args: A) => ValueAndGrad<P> {
  return (params, ...args) => {
    const { tape, trees, leaves } = traceInputs("grad", [params], () => "the parameters (the first argument)");
    const out = runOnTape(tape, () => f(trees[0] as P, ...args));
    if (!(out instanceof Tensor) || out.size !== 1) {
      const what = out instanceof Tensor ? `a tensor of shape ${shapeString(out.shape)}` : typeof out;
      throw new Error(`valueAndGrad: the function must return a scalar tensor, got ${what}`);
    }
    const grads = backward(tape, [out], [full(out.shape, 1, out.dtype)], leaves);
    const result = { output: out, grad: treeUnflatten(params, grads) };
    // Read only when asked, so a jitted caller that returns `output` does not bake the number in.
    Object.defineProperty(result, "value", { get: () => out.item(), enumerable: false });
    return result as ValueAndGrad<P>;
  };
}

/** The gradient of f with respect to `params`, shaped like `params`. */
export function grad<P extends Tree, A extends unknown[]>(f: (params: P, ...args: A) => Tensor): (params: P, ...args: A) => P {
  const vg = valueAndGrad(f);
  return (params, ...args) => vg(params, ...args).grad;
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

/** The Jacobian of a function of one tensor, by reverse mode: shape `f(x).shape ++ x.shape`. */
export function jacobian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x) => {
    if (!(x instanceof Tensor)) throw new Error("jacobian: the argument must be a tensor");
    const [y, pullback] = vjp(f, x);
    if (!(y instanceof Tensor)) throw new Error("jacobian: the function must return a tensor");
    const n = y.size;
    if (n === 0 || x.size === 0) return zeros([...y.shape, ...x.shape], x.dtype);
    // One pullback per output entry, all at once: the rows of the identity, mapped.
    const eye = new Array<number>(n * n).fill(0);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    const basis = fromArray(eye, [n, ...y.shape], y.dtype);
    const rows = vmap((u: Tensor) => pullback(u)[0])(basis);
    return reshape(rows, [...y.shape, ...x.shape]);
  };
}

/** The Hessian of a scalar function of one tensor: shape `x.shape ++ x.shape`. */
export function hessian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return jacobian(grad(f));
}
