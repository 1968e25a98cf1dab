/**
 * Optimizers as pure (init, update) pairs over parameter trees, and gradient transforms
 * (as in optax) that `chain` puts in front of one: chain(weightDecay(5, n), sgd(0.1)).
 */
import { adamMoment, adamStep, add, addScaled, div, mul, pow, sub, treeLeaves, treeMap, treeUnflatten, treeZip, zeros, zerosLike, type Tensor, type Tree } from "../core/index.ts";

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

export interface AdamOptions {
  readonly b1?: number;
  readonly b2?: number;
  readonly eps?: number;
}

/**
 * Adam as optax writes it: μ ← b1·μ + (1 − b1)·g, ν ← b2·ν + (1 − b2)·g², then with bias correction
 * μ̂ = μ/(1 − b1ᵗ), ν̂ = ν/(1 − b2ᵗ), w ← w − η·μ̂/(√ν̂ + eps). The state is the step count t (a tensor, so a
 * jitted step replays it), μ and ν. Defaults b1 0.9, b2 0.999, eps 1e-8.
 */
export function adam(eta: number, options: AdamOptions = {}): Optimizer<Tree> {
  checkRate("adam", eta, "eta");
  const b1 = options.b1 ?? 0.9, b2 = options.b2 ?? 0.999, eps = options.eps ?? 1e-8;
  for (const [name, b] of [["b1", b1], ["b2", b2]] as const) if (!(b >= 0 && b < 1)) throw new Error(`adam: ${name} must be in [0, 1), got ${b}`);
  if (!(eps > 0)) throw new Error(`adam: eps must be above 0, got ${eps}`);
  return {
    init: (params) => {
      const first = treeLeaves(params)[0];
      return { count: zeros([], first?.dtype ?? "float64"), mu: treeMap(params, zerosLike), nu: treeMap(params, zerosLike) };
    },
    update(grads, state, params) {
      const s = state as { count: Tensor; mu: Tree; nu: Tree };
      const count = add(s.count, 1);
      // Each in one pass (core's adamMoment and adamStep: the operations of b1·μ + (1 − b1)·g, … in order).
      const mu = treeZip(s.mu as typeof params, grads, (m, g) => adamMoment(m, g, b1, 1 - b1));
      const nu = treeZip(s.nu as typeof params, grads, (v, g) => adamMoment(v, g, b2, 1 - b2, true));
      // The bias corrections as tensors of the count: one trace serves every step.
      const c1 = div(-eta, sub(1, pow(b1, count))), c2 = div(1, sub(1, pow(b2, count)));
      // μ and ν have params' structure (made by treeZip from it): their leaves line up with params' leaves.
      const ms = treeLeaves(mu), vs = treeLeaves(nu);
      const updated = treeUnflatten(params, treeLeaves(params).map((w, i) => adamStep(w, ms[i], vs[i], c1, c2, eps)));
      return { params: updated, state: { count, mu, nu } };
    },
  };
}
