/** JAX-style transforms: `grad(f)` and `valueAndGrad(f)` differentiate f with respect to its first argument, a parameter tree. */
import { Tape, popTape, pushTape } from "./tape.ts";
import { Tensor, shapeString } from "./tensor.ts";
import { treeLeaves, treeMap, treeUnflatten, type Tree } from "./tree.ts";

export interface ValueAndGrad<P extends Tree> {
  /** f's value as a number. */
  readonly value: number;
  /** f's value as the scalar tensor f returned (what a jitted function should return rather than `value`). */
  readonly output: Tensor;
  readonly grad: P;
}

/** f's value and its gradient with respect to `params`, the gradient shaped like `params`. */
export function valueAndGrad<P extends Tree, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor,
): (params: P, ...args: A) => ValueAndGrad<P> {
  return (params, ...args) => {
    const tape = new Tape();
    // Fresh wrappers (sharing the immutable data) give each leaf its own identity on this tape,
    // so a tensor used twice in the tree, or captured elsewhere as a constant, is not confused.
    const traced = treeMap(params, (leaf) => {
      const t = new Tensor(leaf.shape, leaf.data);
      tape.watch(t);
      return t;
    });
    pushTape(tape);
    let out: Tensor;
    try {
      out = f(traced, ...args);
    } finally {
      popTape(tape);
    }
    if (!(out instanceof Tensor) || out.size !== 1) {
      const what = out instanceof Tensor ? `a tensor of shape ${shapeString(out.shape)}` : typeof out;
      throw new Error(`valueAndGrad: the function must return a scalar tensor, got ${what}`);
    }
    const grads = tape.backward(out, treeLeaves(traced));
    const output = out;
    return {
      // Read only when asked, so a jitted caller that returns `output` does not bake the number in.
      get value() {
        return output.item();
      },
      output,
      grad: treeUnflatten(params, grads),
    };
  };
}

/** The gradient of f with respect to `params`, shaped like `params`. */
export function grad<P extends Tree, A extends unknown[]>(f: (params: P, ...args: A) => Tensor): (params: P, ...args: A) => P {
  const vg = valueAndGrad(f);
  return (params, ...args) => vg(params, ...args).grad;
}
