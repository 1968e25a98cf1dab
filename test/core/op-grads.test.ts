/** Every op's derivatives, checked the way JAX's and autograd's op tests do: checkGrads at order 2 (3 where smooth), fwd and rev. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as ops from "../../core/ops/index.ts";
import { notOps, opCases, opOf } from "./op-catalogue.ts";

test("the catalogue covers every export of core/ops (an op added without a case fails here)", () => {
  const covered = new Set(opCases.map(opOf));
  const missing = Object.entries(ops).filter(([name, v]) => typeof v === "function" && !covered.has(name) && !Object.hasOwn(notOps, name)).map(([name]) => name);
  assert.deepEqual(missing, []);
  const unknown = [...covered].filter((name) => !Object.hasOwn(ops, name));
  assert.deepEqual(unknown, [], "every case names an export");
});

for (const k of [T.referenceKernels, T.fastKernels]) {
  for (const c of opCases.filter((c) => c.noGradCheck !== true)) {
    const order = c.smooth ? 3 : 2;
    test(`${c.name}: derivatives to order ${order} equal central differences, forward and reverse (${k.name} kernels)`, () => T.withKernels(k, () => {
      fc.assert(
        fc.property(c.inputs, fc.nat(1000), (xs, seed) => {
          T.checkGrads((...a) => c.f(...(a as T.Tensor[])), xs, { order, seed });
        }),
        { numRuns: 8, endOnFailure: true },
      );
    }));
  }
}

test("piecewise-constant ops have zero derivatives of every order", () => {
  const x = T.tensor([-1.5, 0.5, 2]);
  for (const f of [T.heaviside, T.sign, (t: T.Tensor) => T.stopGradient(T.exp(t)), (t: T.Tensor) => T.mul(T.dropoutMask(T.add(T.keyTensor(T.key(3)), T.sum(t)), [3], 0.5), 1)]) {
    assert.deepEqual(Array.from(T.grad((p: T.Tensor) => T.sum(f(p)))(x).data), [0, 0, 0]);
    assert.deepEqual(Array.from(T.hessian((p: T.Tensor) => T.sum(f(p)))(x).data), new Array(9).fill(0));
  }
});

test("stopGradient keeps the value and cuts the derivative, also inside a larger expression", () => {
  const x = T.tensor([0.5, 2]);
  const f = (p: T.Tensor) => T.sum(T.mul(p, T.stopGradient(p)));
  assert.deepEqual(Array.from(T.grad(f)(x).data), [0.5, 2]); // d/dx x·c = c, not 2x
  assert.deepEqual(Array.from(T.stopGradient(x).data), [0.5, 2]);
});

test("relu's second derivative is 0 (almost everywhere), abs's too", () => {
  const x = T.tensor([-1, 0.5, 2]);
  for (const f of [T.relu, T.abs]) {
    const h = T.hessian((p: T.Tensor) => T.sum(T.mul(f(p), p)))(x);
    // d²/dx² (f(x)·x) = 2 f'(x) + x f''(x), with f'' = 0 away from the kink.
    const fp = f === T.relu ? [0, 1, 1] : [-1, 1, 1];
    assert.deepEqual(Array.from(h.data), [2 * fp[0], 0, 0, 0, 2 * fp[1], 0, 0, 0, 2 * fp[2]]);
  }
});
