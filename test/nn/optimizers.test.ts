/** nn/optimizers.ts: each optimizer against its formulas (optax's Adam, network2's weight decay, momentum). */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { assertClose } from "../helpers.ts";

test("weight decay shrinks weights but not biases (network2's rule)", () => {
  const params = { w: T.tensor([[2, -4]]), b: T.tensor([3]) };
  const zero = { w: T.zeros([1, 2]), b: T.zeros([1]) };
  const opt = nn.chain(nn.weightDecay(5, 10), nn.sgd(0.1));
  const [next] = nn.applyGradients(opt, zero, opt.init(params), params);
  // (1 − ηλ/n) w = (1 − 0.05) w
  assert.deepEqual(Array.from(next.w.data), [2 * 0.95, -4 * 0.95]);
  assert.deepEqual(Array.from(next.b.data), [3]);
});

test("momentum accumulates velocity: two equal gradients move the second step 1 + μ times as far", () => {
  const p0 = { w: T.tensor([[1]]) };
  const g = { w: T.tensor([[1]]) };
  const opt = nn.momentum(0.1, 0.5);
  const [p1, s1] = nn.applyGradients(opt, g, opt.init(p0), p0);
  const [p2] = nn.applyGradients(opt, g, s1, p1);
  assert.ok(Math.abs(p1.w.item() - 0.9) < 1e-15);
  assert.ok(Math.abs(p2.w.item() - (0.9 - 0.15)) < 1e-15);
});

test("adam equals optax's formulas step by step (bias-corrected moments), through chain with weight decay too", () => {
  fc.assert(fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 5 }), (g0, steps) => {
    const eta = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const opt = nn.adam(eta);
    let params: T.Tree = { w: T.tensor([0.5, -0.25, 1]) };
    let state = opt.init(params);
    let m = [0, 0, 0], v = [0, 0, 0], w = [0.5, -0.25, 1];
    for (let t = 1; t <= steps; t++) {
      const g = g0.map((x) => x * t);
      [params, state] = nn.applyGradients(opt, { w: T.tensor(g) } as T.Tree, state, params);
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
      w = w.map((wi, i) => wi - (eta * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps));
    }
    assertClose((params as { w: T.Tensor }).w.data, w, 1e-10, 1e-12, "adam");
  }), { numRuns: 40 });
  const chained = nn.chain(nn.weightDecay(1, 10), nn.adam(0.1));
  const p = { w: T.tensor([[1, 2]]) };
  const [rp] = nn.applyGradients(chained, { w: T.tensor([[0, 0]]) }, chained.init(p), p);
  // The decayed gradient is (λ/n)·w = 0.1·w; adam's first step moves each weight by about η against its sign.
  assertClose(rp.w.data, [0.9, 1.9], 1e-6, 1e-6, "chain(weightDecay, adam)");
});

test("adam's one-pass update gives the numbers of the op sequence it replaced, bit for bit, on every backend and under jit", () => {
  // The sequence as nn's adam wrote it before (optax's scale_by_adam, then the step).
  const composite = (eta: number, b1: number, b2: number, eps: number) => (grads: T.Tree, state: { count: T.Tensor; mu: T.Tree; nu: T.Tree }, params: T.Tree) => {
    const count = T.add(state.count, 1);
    const mu = T.treeZip(state.mu, grads, (m, g) => T.add(T.mul(m, b1), T.mul(g, 1 - b1)));
    const nu = T.treeZip(state.nu, grads, (v, g) => T.add(T.mul(v, b2), T.mul(T.square(g), 1 - b2)));
    const c1 = T.div(-eta, T.sub(1, T.pow(b1, count))), c2 = T.div(1, T.sub(1, T.pow(b2, count)));
    const step = T.treeZip(mu, nu, (m, v) => T.div(T.mul(m, c1), T.add(T.sqrt(T.mul(v, c2)), eps)));
    return { params: T.treeZip(params, step, T.add), state: { count, mu, nu } };
  };
  for (const [k, dtype] of [[T.referenceKernels, "float64"], [T.fastKernels, "float32"], [T.createWasmKernels(), "float32"]] as const) T.withKernels(k, () => {
    const opt = nn.adam(0.01);
    const old = composite(0.01, 0.9, 0.999, 1e-8);
    const params: T.Tree = { w: T.cast(T.normal(T.key(1), [70, 9]), dtype), b: T.cast(T.normal(T.key(2), [9]), dtype) };
    let a = opt.init(params) as { count: T.Tensor; mu: T.Tree; nu: T.Tree }, b = a, pa: T.Tree = params, pb: T.Tree = params;
    const apply = (g: T.Tree, s: T.Tree, p: T.Tree) => { const [params, state] = nn.applyGradients(opt, g, s, p); return { params, state }; };
    const jitted = T.jit(apply);
    for (let step = 0; step < 4; step++) {
      const grads = T.treeMap(params, (t, path) => T.cast(T.normal(T.key(10 + step + path.length), t.shape), dtype));
      const r1: { params: T.Tree; state: T.Tree } = step % 2 === 0 ? apply(grads, a, pa) : jitted(grads, a, pa);
      const r2 = old(grads, b, pb);
      for (const [x, y] of [[r1.params, r2.params], [(r1.state as typeof a).mu, r2.state.mu], [(r1.state as typeof a).nu, r2.state.nu]] as const) {
        T.treeLeaves(x).forEach((t, i) => assert.ok(Array.from(t.data).every((v, j) => Object.is(v, T.treeLeaves(y)[i].data[j])), `${k.name} step ${step}`));
      }
      pa = r1.params; a = r1.state as typeof a; pb = r2.params; b = r2.state;
    }
  });
});

test("optax's abstraction: update gives [updates, state]; applyUpdates adds them; the fused step gives the same numbers up to rounding", () => {
  const params = { w: T.tensor([[0.5, -1], [2, 0.25]]), b: T.tensor([0.1, -0.2]) };
  const grads = { w: T.tensor([[0.3, -0.7], [1.5, 0]]), b: T.tensor([-2, 0.5]) };
  const opts: nn.GradientTransformation[] = [nn.sgd(0.1), nn.momentum(0.1, 0.9), nn.adam(0.01), nn.chain(nn.weightDecay(1, 10), nn.sgd(0.5)), nn.chain(nn.clipByGlobalNorm(1), nn.adam(0.1))];
  for (const opt of opts) {
    let s1: T.Tree = opt.init(params), s2: T.Tree = s1, p1: T.Tree = params, p2: T.Tree = params;
    for (let t = 0; t < 3; t++) {
      const [u, next]: [T.Tree, T.Tree] = opt.update(grads as T.Tree, s1, p1);
      p1 = nn.applyUpdates(p1, u);
      s1 = next;
      [p2, s2] = nn.applyGradients(opt, grads, s2, p2);
    }
    T.treeLeaves(p1).forEach((leaf, i) => assertClose(leaf.data, T.treeLeaves(p2)[i].data, 1e-12, 1e-14, "unfused vs fused"));
  }
  // sgd's updates are −η·g.
  const [sgdUpdates] = nn.sgd(0.1).update(grads, nn.sgd(0.1).init(params), params);
  assertClose(sgdUpdates.b.data, [0.2, -0.05], 1e-15);
});

test("chain(scaleByAdam(), scaleByLearningRate(η)) equals adam(η); scale and addDecayedWeights are their formulas", () => {
  const params = { w: T.tensor([0.5, -0.25, 1]) };
  const pieces = nn.chain(nn.scaleByAdam(), nn.scaleByLearningRate(0.01));
  const whole = nn.adam(0.01);
  let a: T.Tree = params, b: T.Tree = params, sa = pieces.init(params), sb = whole.init(params);
  for (let t = 1; t <= 4; t++) {
    const g = { w: T.tensor([0.3 * t, -1, 2 / t]) };
    [a, sa] = nn.applyGradients(pieces, g, sa, a as typeof params);
    [b, sb] = nn.applyGradients(whole, g, sb, b as typeof params);
  }
  assertClose((a as typeof params).w.data, (b as typeof params).w.data, 1e-12, 1e-14, "adam as a chain");
  const [scaled] = nn.scale(-2).update(params, [], params);
  assert.deepEqual(Array.from(scaled.w.data), [-1, 0.5, -2]);
  const [decayed] = nn.addDecayedWeights(0.5, nn.allLeaves).update(params, [], params);
  assert.deepEqual(Array.from(decayed.w.data), [0.75, -0.375, 1.5]);
});

test("clipByGlobalNorm scales every leaf by maxNorm / ‖g‖ when the norm is above maxNorm, and leaves it alone below", () => {
  const g = { a: T.tensor([3, 0]), b: T.tensor([[4]]) }; // global norm 5
  const [clipped] = nn.clipByGlobalNorm(1).update(g, [], g);
  assertClose([...clipped.a.data, ...clipped.b.data], [0.6, 0, 0.8], 1e-15);
  const [kept] = nn.clipByGlobalNorm(10).update(g, [], g);
  assert.deepEqual([...kept.a.data, ...kept.b.data], [3, 0, 4]);
  const zero = { a: T.zeros([2]) };
  assert.deepEqual(Array.from(nn.clipByGlobalNorm(1).update(zero, [], zero)[0].a.data), [0, 0]);
});

test("a schedule of the step count changes η every step under jit, traced once (no stale replay)", () => {
  const opt = nn.sgd(nn.exponentialDecaySchedule(1, 0.5, 1)); // η = 0.5^t
  const stepFn = T.jit((g: T.Tree, s: T.Tree, p: T.Tree) => nn.applyGradients(opt, g, s, p));
  let params: T.Tree = { w: T.tensor([0]) }, state = opt.init(params);
  const g = { w: T.tensor([1]) };
  const seen: number[] = [];
  for (let t = 0; t < 5; t++) {
    const before = (params as { w: T.Tensor }).w.item();
    [params, state] = stepFn(g, state, params) as [T.Tree, T.Tree];
    seen.push(before - (params as { w: T.Tensor }).w.item());
  }
  assertClose(seen, [1, 0.5, 0.25, 0.125, 0.0625], 1e-15, 0, "η per step");
  assert.deepEqual(T.jitCounts(stepFn), { traces: 1, replays: 4, eager: 0 });
  // The other schedules are their formulas at a few counts.
  const at = (f: (c: T.Tensor) => T.Tensor | number, c: number) => { const r = f(T.tensor(c)); return typeof r === "number" ? r : r.item(); };
  assertClose([0, 5, 10, 20].map((c) => at(nn.cosineDecaySchedule(2, 10, 0.1), c)), [2, 2 * (0.9 * 0.5 + 0.1), 0.2, 0.2], 1e-14);
  assertClose([0, 5, 10, 20].map((c) => at(nn.linearSchedule(1, 0, 10), c)), [1, 0.5, 0, 0], 1e-15);
  assert.equal(at(nn.constantSchedule(0.3), 7), 0.3);
});

test("optimizer pieces check their arguments by name", () => {
  assert.throws(() => nn.sgd("0.1" as unknown as number), /^Error: sgd: eta \(a number, or a schedule: a function of the step count\) must be a finite number ≥ 0, got 0.1$/);
  assert.throws(() => nn.clipByGlobalNorm(0), /^Error: clipByGlobalNorm: maxNorm must be a finite number above 0, got 0$/);
  assert.throws(() => nn.chain(), /^Error: chain: give at least one transformation$/);
  assert.throws(() => nn.chain(nn.sgd(1), {} as nn.GradientTransformation), /^Error: chain: piece 1 is not a gradient transformation/);
});
