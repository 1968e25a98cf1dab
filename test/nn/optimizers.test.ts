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
  const { params: next } = opt.update(zero, opt.init(params), params);
  // (1 − ηλ/n) w = (1 − 0.05) w
  assert.deepEqual(Array.from(next.w.data), [2 * 0.95, -4 * 0.95]);
  assert.deepEqual(Array.from(next.b.data), [3]);
});

test("momentum accumulates velocity: two equal gradients move the second step 1 + μ times as far", () => {
  const p0 = { w: T.tensor([[1]]) };
  const g = { w: T.tensor([[1]]) };
  const opt = nn.momentum(0.1, 0.5);
  const r1 = opt.update(g, opt.init(p0), p0);
  const r2 = opt.update(g, r1.state, r1.params);
  assert.ok(Math.abs(r1.params.w.item() - 0.9) < 1e-15);
  assert.ok(Math.abs(r2.params.w.item() - (0.9 - 0.15)) < 1e-15);
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
      ({ params, state } = opt.update({ w: T.tensor(g) }, state, params));
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
      w = w.map((wi, i) => wi - (eta * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps));
    }
    assertClose((params as { w: T.Tensor }).w.data, w, 1e-10, 1e-12, "adam");
  }), { numRuns: 40 });
  const chained = nn.chain(nn.weightDecay(1, 10), nn.adam(0.1));
  const p = { w: T.tensor([[1, 2]]) };
  const r = chained.update({ w: T.tensor([[0, 0]]) }, chained.init(p), p);
  // The decayed gradient is (λ/n)·w = 0.1·w; adam's first step moves each weight by about η against its sign.
  assertClose((r.params as typeof p).w.data, [0.9, 1.9], 1e-6, 1e-6, "chain(weightDecay, adam)");
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
    const jitted = T.jit((g: T.Tree, s: T.Tree, p: T.Tree) => opt.update(g, s, p));
    for (let step = 0; step < 4; step++) {
      const grads = T.treeMap(params, (t, path) => T.cast(T.normal(T.key(10 + step + path.length), t.shape), dtype));
      const r1: { params: T.Tree; state: T.Tree } = step % 2 === 0 ? opt.update(grads, a, pa) : (jitted(grads, a, pa) as { params: T.Tree; state: T.Tree });
      const r2 = old(grads, b, pb);
      for (const [x, y] of [[r1.params, r2.params], [(r1.state as typeof a).mu, r2.state.mu], [(r1.state as typeof a).nu, r2.state.nu]] as const) {
        T.treeLeaves(x).forEach((t, i) => assert.ok(Array.from(t.data).every((v, j) => Object.is(v, T.treeLeaves(y)[i].data[j])), `${k.name} step ${step}`));
      }
      pa = r1.params; a = r1.state as typeof a; pb = r2.params; b = r2.state;
    }
  });
});
