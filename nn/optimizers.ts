/**
 * Optimizers as pure (init, update) pairs over parameter trees, and gradient transforms
 * (as in optax) that `chain` puts in front of one: chain(weightDecay(5, n), sgd(0.1)).
 */
import { add, addScaled, mul, sub, treeMap, treeZip, zerosLike, type Tensor, type Tree } from "../core/index.ts";

export interface Optimizer<S extends Tree = Tree> {
  init(params: Tree): S;
  update<P extends Tree>(grads: P, state: S, params: P): { readonly params: P; readonly state: S };
}

/** Rewrites gradients before an optimizer sees them (weight decay, clipping, …). */
export interface GradientTransform<S extends Tree = Tree> {
  init(params: Tree): S;
  transform<P extends Tree>(grads: P, state: S, params: P): { readonly grads: P; readonly state: S };
}

type NoState = readonly [];
const none: NoState = [];

function checkRate(name: string, value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: ${what} must be a finite number ≥ 0, got ${value}`);
}

/** The seed's rule: w ← w − η ∂C/∂w (the cost is already averaged over the mini-batch). */
export function sgd(eta: number): Optimizer<NoState> {
  checkRate("sgd", eta, "eta");
  return {
    init: () => none,
    update: (grads, state, params) => ({ params: treeZip(params, grads, (p, g) => addScaled(p, g, -eta)), state }),
  };
}

/** Momentum SGD: v ← μv − η∇C, w ← w + v. The state is the velocity tree. */
export function momentum(eta: number, mu: number): Optimizer<Tree> {
  checkRate("momentum", eta, "eta");
  if (!(mu >= 0 && mu < 1)) throw new Error(`momentum: mu must be in [0, 1), got ${mu}`);
  return {
    init: (params) => treeMap(params, zerosLike),
    update(grads, state, params) {
      const v = treeZip(state as typeof params, grads, (vi, g) => sub(mul(vi, mu), mul(g, eta)));
      return { params: treeZip(params, v, add), state: v };
    },
  };
}

/** Which leaves count as weights: by default matrices, so biases (vectors) are not decayed. */
export type LeafFilter = (leaf: Tensor, path: string) => boolean;
export const matricesOnly: LeafFilter = (leaf) => leaf.rank >= 2;

/**
 * network2's L2 regularisation, C + λ/2n Σw²: adds (λ/n)·w to each weight's gradient, so that with
 * sgd(η) the step is w ← (1 − ηλ/n)w − η∇C. `n` is the training-set size.
 */
export function weightDecay(lambda: number, n: number, decays: LeafFilter = matricesOnly): GradientTransform<NoState> {
  checkRate("weightDecay", lambda, "lambda");
  if (!Number.isInteger(n) || n < 1) throw new Error(`weightDecay: n (training-set size) must be a whole number ≥ 1, got ${n}`);
  const factor = lambda / n;
  return {
    init: () => none,
    transform: (grads, state, params) => ({
      grads: treeZip(grads, params, (g, p, path) => (decays(p, path) ? add(g, mul(p, factor)) : g)),
      state,
    }),
  };
}

/** Gradient transforms applied in order, then the optimizer; the state is one entry per piece. */
export function chain(...pieces: [...GradientTransform[], Optimizer]): Optimizer<readonly Tree[]> {
  const transforms = pieces.slice(0, -1) as GradientTransform[];
  const optimizer = pieces[pieces.length - 1] as Optimizer;
  return {
    init: (params) => [...transforms.map((t) => t.init(params)), optimizer.init(params)],
    update(grads, state, params) {
      const next: Tree[] = [];
      let g = grads;
      transforms.forEach((t, i) => {
        const r = t.transform(g, state[i], params);
        g = r.grads;
        next.push(r.state);
      });
      const r = optimizer.update(g, state[transforms.length], params);
      next.push(r.state);
      return { params: r.params, state: next };
    },
  };
}
