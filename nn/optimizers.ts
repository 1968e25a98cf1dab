/**
 * Optimizers as optax's one abstraction: a GradientTransformation is a pure pair `init(params) → state`,
 * `update(grads, state, params) → [updates, state]`, and `applyUpdates(params, updates)` adds the updates.
 * Pieces compose with `chain`: chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(0.001)).
 * `sgd`, `momentum` and `adam` are the usual chains, each with a fused step (`fused`) that `applyGradients`
 * (and so `step` and the CLI) takes: one pass per parameter tensor, the numbers these optimizers always gave.
 * Learning-rate schedules are functions of the step count, a tensor in the state, so a jitted step replays a
 * changing η without tracing again.
 */
import {
  adamMoment, adamStep, add, addScaled, cos, div, minimum, mul, pow, sqrt, sub, sum, square, treeLeaves, treeMap, treeUnflatten, treeZip, zeros, zerosLike,
  type Tensor, type Tree,
} from "../core/index.ts";

export interface GradientTransformation<S extends Tree = Tree> {
  init(params: Tree): S;
  /** The updates (shaped like grads) and the next state; `params` is needed by some (weight decay). */
  update<P extends Tree>(grads: P, state: S, params: P): [P, S];
  /**
   * params after one step in one pass, with the numbers `applyUpdates(params, update(…)[0])` gives up to
   * rounding (optional: the optimizers that have one kernel for it).
   */
  fused?<P extends Tree>(grads: P, state: S, params: P): [P, S];
}

/** The name these had before optax's: an optimizer is a gradient transformation whose updates are added to the parameters. */
export type Optimizer<S extends Tree = Tree> = GradientTransformation<S>;
/** The name weight decay's kind had before: a transformation in front of an optimizer. */
export type GradientTransform<S extends Tree = Tree> = GradientTransformation<S>;

/** A learning rate: a number, or a function of the step count (a single-number tensor: 0 at the first step) built from ops. */
export type LearningRate = number | ((count: Tensor) => Tensor | number);

const none: Tree = [];

function checkRate(name: string, value: unknown, what: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new Error(`${name}: ${what} must be a finite number ≥ 0, got ${String(value)}`);
}

function checkLearningRate(name: string, eta: unknown): void {
  if (typeof eta !== "function") checkRate(name, eta, "eta (a number, or a schedule: a function of the step count)");
}

/** params + updates, leaf by leaf (optax's apply_updates). */
export function applyUpdates<P extends Tree>(params: P, updates: P): P {
  return treeZip(params, updates, (p, u) => add(p, u));
}

/** One step of `tx` on params: its fused step where it has one, else its updates added. */
export function applyGradients<P extends Tree, S extends Tree>(tx: GradientTransformation<S>, grads: P, state: S, params: P): [P, S] {
  if (tx.fused !== undefined) return tx.fused(grads, state, params);
  const [updates, next] = tx.update(grads, state, params);
  return [applyUpdates(params, updates), next];
}

/** updates = factor · grads. */
export function scale(factor: number): GradientTransformation {
  if (typeof factor !== "number" || !Number.isFinite(factor)) throw new Error(`scale: factor must be a finite number, got ${String(factor)}`);
  return { init: () => none, update: (grads, state) => [treeMap(grads, (g) => mul(g, factor)), state] };
}

/** The step count as a tensor of the parameters' dtype (float64 for an empty tree). */
const countLike = (params: Tree): Tensor => zeros([], treeLeaves(params)[0]?.dtype ?? "float64");

/**
 * updates = −η · grads, η a number or a schedule of the step count (the state is then `{ count }`, counted here,
 * so a jitted step reads the new η each step).
 */
export function scaleByLearningRate(eta: LearningRate): GradientTransformation {
  checkLearningRate("scaleByLearningRate", eta);
  if (typeof eta === "number") return scale(-eta);
  return {
    init: (params) => ({ count: countLike(params) }),
    update(grads, state) {
      const { count } = state as { count: Tensor };
      const rate = eta(count);
      return [treeMap(grads, (g) => mul(g, typeof rate === "number" ? -rate : mul(rate, -1))), { count: add(count, 1) }] as [typeof grads, Tree];
    },
  };
}

/** Scales the gradients so their global norm (all leaves as one vector) is at most maxNorm (optax's clip_by_global_norm). */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  if (typeof maxNorm !== "number" || !(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipByGlobalNorm: maxNorm must be a finite number above 0, got ${String(maxNorm)}`);
  return {
    init: () => none,
    update(grads, state) {
      const leaves = treeLeaves(grads);
      if (leaves.length === 0) return [grads, state];
      const norm = sqrt(leaves.map((g) => sum(square(g))).reduce((a, b) => add(a, b)));
      // maxNorm / norm is +∞ at norm 0 (factor 1) and NaN for a NaN norm (which then shows).
      const factor = minimum(div(maxNorm, norm), 1);
      return [treeMap(grads, (g) => mul(g, factor)), state];
    },
  };
}

/** Which leaves count as weights: by default matrices, so biases (vectors) are not decayed. */
export type LeafFilter = (leaf: Tensor, path: string) => boolean;
export const matricesOnly: LeafFilter = (leaf) => leaf.rank >= 2;
/** Every leaf. */
export const allLeaves: LeafFilter = () => true;

/** updates = grads + rate · params on the leaves `decays` picks (optax's add_decayed_weights; default: matrices only). */
export function addDecayedWeights(rate: number, decays: LeafFilter = matricesOnly): GradientTransformation {
  checkRate("addDecayedWeights", rate, "rate");
  return {
    init: () => none,
    update: (grads, state, params) => [treeZip(grads, params, (g, p, path) => (decays(p, path) ? add(g, mul(p, rate)) : g)), state],
  };
}

/**
 * network2's L2 regularisation, C + λ/2n Σw²: adds (λ/n)·w to each weight's gradient, so that with
 * sgd(η) the step is w ← (1 − ηλ/n)w − η∇C. `n` is the training-set size.
 */
export function weightDecay(lambda: number, n: number, decays: LeafFilter = matricesOnly): GradientTransformation {
  checkRate("weightDecay", lambda, "lambda");
  if (!Number.isInteger(n) || n < 1) throw new Error(`weightDecay: n (training-set size) must be a whole number ≥ 1, got ${n}`);
  return addDecayedWeights(lambda / n, decays);
}

/**
 * Transformations applied in order; the state is one entry per piece. Where the last piece has a fused step,
 * the chain has one too (the others' updates, then that step).
 */
export function chain(...pieces: GradientTransformation[]): GradientTransformation<readonly Tree[]> {
  if (pieces.length === 0) throw new Error("chain: give at least one transformation");
  pieces.forEach((p, i) => {
    if (typeof p !== "object" || p === null || typeof p.init !== "function" || typeof p.update !== "function") {
      throw new Error(`chain: piece ${i} is not a gradient transformation (an object with init and update)`);
    }
  });
  const run = <P extends Tree>(grads: P, state: readonly Tree[], params: P, upTo: number): [P, Tree[]] => {
    const next: Tree[] = [];
    let g = grads;
    for (let i = 0; i < upTo; i++) {
      const [u, s] = pieces[i].update(g, state[i], params);
      g = u;
      next.push(s);
    }
    return [g, next];
  };
  const last = pieces[pieces.length - 1];
  const lastFused = last.fused;
  return {
    init: (params) => pieces.map((p) => p.init(params)),
    update: (grads, state, params) => run(grads, state, params, pieces.length),
    fused: lastFused === undefined ? undefined : (grads, state, params) => {
      const [g, next] = run(grads, state, params, pieces.length - 1);
      const [p, s] = lastFused(g, state[pieces.length - 1], params);
      return [p, [...next, s]];
    },
  };
}

/** The seed's rule: w ← w − η ∂C/∂w (the cost is already averaged over the mini-batch). */
export function sgd(eta: LearningRate): GradientTransformation {
  checkLearningRate("sgd", eta);
  if (typeof eta !== "number") return scaleByLearningRate(eta);
  return {
    init: () => none,
    update: (grads, state) => [treeMap(grads, (g) => mul(g, -eta)), state],
    // w + (−η)·g in one pass (the numbers the seed's network has always trained with).
    fused: (grads, state, params) => [treeZip(params, grads, (p, g) => addScaled(p, g, -eta)), state],
  };
}

/** Momentum SGD: v ← μv − η∇C, w ← w + v. The state is the velocity tree; the updates are v. */
export function momentum(eta: number, mu: number): GradientTransformation {
  checkRate("momentum", eta, "eta");
  if (!(mu >= 0 && mu < 1)) throw new Error(`momentum: mu must be in [0, 1), got ${mu}`);
  return {
    init: (params) => treeMap(params, zerosLike),
    update(grads, state) {
      const v = treeZip(state as typeof grads, grads, (vi, g) => sub(mul(vi, mu), mul(g, eta)));
      return [v, v];
    },
  };
}

export interface AdamOptions {
  readonly b1?: number;
  readonly b2?: number;
  readonly eps?: number;
}

type AdamState = { readonly count: Tensor; readonly mu: Tree; readonly nu: Tree };

function adamSettings(name: string, options: AdamOptions): { b1: number; b2: number; eps: number } {
  const b1 = options.b1 ?? 0.9, b2 = options.b2 ?? 0.999, eps = options.eps ?? 1e-8;
  for (const [what, b] of [["b1", b1], ["b2", b2]] as const) if (!(b >= 0 && b < 1)) throw new Error(`${name}: ${what} must be in [0, 1), got ${b}`);
  if (!(eps > 0)) throw new Error(`${name}: eps must be above 0, got ${eps}`);
  return { b1, b2, eps };
}

/** The moments' next values and the bias corrections' denominators, as tensors of the count (one trace serves every step). */
function adamMoments<P extends Tree>(grads: P, state: AdamState, b1: number, b2: number) {
  const count = add(state.count, 1);
  // Each in one pass (core's adamMoment: the operations of b1·μ + (1 − b1)·g, … in order).
  const mu = treeZip(state.mu as P, grads, (m, g) => adamMoment(m, g, b1, 1 - b1));
  const nu = treeZip(state.nu as P, grads, (v, g) => adamMoment(v, g, b2, 1 - b2, true));
  return { count, mu, nu, d1: sub(1, pow(b1, count)), d2: sub(1, pow(b2, count)) };
}

const adamInit = (params: Tree): AdamState => ({ count: countLike(params), mu: treeMap(params, zerosLike), nu: treeMap(params, zerosLike) });

/**
 * optax's scale_by_adam: μ ← b1·μ + (1 − b1)·g, ν ← b2·ν + (1 − b2)·g², updates μ̂/(√ν̂ + eps) with
 * μ̂ = μ/(1 − b1ᵗ), ν̂ = ν/(1 − b2ᵗ). The state is `{ count, mu, nu }`. Follow it with scaleByLearningRate.
 */
export function scaleByAdam(options: AdamOptions = {}): GradientTransformation {
  const { b1, b2, eps } = adamSettings("scaleByAdam", options);
  return {
    init: adamInit,
    update(grads, state) {
      const m = adamMoments(grads, state as AdamState, b1, b2);
      const c1 = div(1, m.d1), c2 = div(1, m.d2);
      const ms = treeLeaves(m.mu), vs = treeLeaves(m.nu);
      const updates = treeUnflatten(grads, ms.map((mi, i) => div(mul(mi, c1), add(sqrt(mul(vs[i], c2)), eps))));
      return [updates, { count: m.count, mu: m.mu, nu: m.nu }];
    },
  };
}

/**
 * Adam: chain(scaleByAdam(options), scaleByLearningRate(eta)), with its state `{ count, mu, nu }` and, for a
 * number η, a fused step: w − η·μ̂/(√ν̂ + eps) in one pass per tensor (core's adamStep). Defaults b1 0.9,
 * b2 0.999, eps 1e-8.
 */
export function adam(eta: LearningRate, options: AdamOptions = {}): GradientTransformation {
  checkLearningRate("adam", eta);
  const settings = adamSettings("adam", options);
  if (typeof eta !== "number") return chain(scaleByAdam(options), scaleByLearningRate(eta)) as GradientTransformation;
  const { b1, b2, eps } = settings;
  const scaled = scaleByAdam(options);
  return {
    init: adamInit,
    update(grads, state, params) {
      const [u, s] = scaled.update(grads, state, params);
      return [treeMap(u, (x) => mul(x, -eta)), s];
    },
    fused(grads, state, params) {
      const m = adamMoments(grads, state as AdamState, b1, b2);
      const c1 = div(-eta, m.d1), c2 = div(1, m.d2);
      // μ and ν have params' structure (made by treeZip from it): their leaves line up with params' leaves.
      const ms = treeLeaves(m.mu), vs = treeLeaves(m.nu);
      const updated = treeUnflatten(params, treeLeaves(params).map((w, i) => adamStep(w, ms[i], vs[i], c1, c2, eps)));
      return [updated, { count: m.count, mu: m.mu, nu: m.nu }];
    },
  };
}

/** η constant (optax's constant_schedule). */
export function constantSchedule(value: number): (count: Tensor) => number {
  checkRate("constantSchedule", value, "value");
  return () => value;
}

/** η₀ · rateᶜᵒᵘⁿᵗ/ˢᵗᵉᵖˢ (optax's exponential_decay, not staircase). */
export function exponentialDecaySchedule(init: number, decayRate: number, transitionSteps: number): (count: Tensor) => Tensor {
  checkRate("exponentialDecaySchedule", init, "init");
  checkRate("exponentialDecaySchedule", decayRate, "decayRate");
  if (!(transitionSteps > 0)) throw new Error(`exponentialDecaySchedule: transitionSteps must be above 0, got ${transitionSteps}`);
  return (count) => mul(pow(decayRate, div(count, transitionSteps)), init);
}

/** η₀ · ((1 − α)·½(1 + cos(π·min(count, steps)/steps)) + α) (optax's cosine_decay_schedule). */
export function cosineDecaySchedule(init: number, decaySteps: number, alpha = 0): (count: Tensor) => Tensor {
  checkRate("cosineDecaySchedule", init, "init");
  if (!(Number.isInteger(decaySteps) && decaySteps > 0)) throw new Error(`cosineDecaySchedule: decaySteps must be a whole number above 0, got ${decaySteps}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`cosineDecaySchedule: alpha must be in [0, 1], got ${alpha}`);
  return (count) => {
    const t = div(minimum(count, decaySteps), decaySteps);
    const cosine = mul(add(cos(mul(t, Math.PI)), 1), 0.5);
    return mul(add(mul(cosine, 1 - alpha), alpha), init);
  };
}

/** From `init` to `end` linearly over `steps` steps, then `end` (optax's linear_schedule). */
export function linearSchedule(init: number, end: number, steps: number): (count: Tensor) => Tensor {
  checkRate("linearSchedule", init, "init");
  checkRate("linearSchedule", end, "end");
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`linearSchedule: steps must be a whole number above 0, got ${steps}`);
  return (count) => add(mul(div(minimum(count, steps), steps), end - init), init);
}
