/** Shared test helpers: arbitraries for shapes and tensors, and a gradient-check assertion. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkGrad, fromArray, type Tensor, type Tree } from "../core/index.ts";

export const dim = fc.integer({ min: 1, max: 4 });
export const shape = fc.array(dim, { minLength: 0, maxLength: 3 });
export const matrixShape = fc.tuple(dim, dim);

/** A tensor of the given shape with entries in [lo, hi] kept at least `gap` from every point in `avoid`. */
export function tensorOf(shp: readonly number[], lo = -2, hi = 2, avoid: readonly number[] = [], gap = 1e-3): fc.Arbitrary<Tensor> {
  const n = shp.reduce((a, b) => a * b, 1);
  const value = fc.double({ min: lo, max: hi, noNaN: true }).filter((v) => avoid.every((a) => Math.abs(v - a) > gap));
  return fc.array(value, { minLength: n, maxLength: n }).map((xs) => fromArray(xs, shp));
}

/** Asserts the autodiff gradient of f equals central differences. */
export function assertGradMatches<P extends Tree>(f: (p: P) => Tensor, params: P, rtol = 1e-6): void {
  const r = checkGrad(f, params, { rtol, atol: 1e-7 });
  assert.ok(r.ok, `gradient mismatch: ${JSON.stringify(r.worst)} (max relative error ${r.maxRelError})`);
}

/** Entrywise closeness with a relative tolerance and an absolute floor. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-9, atol = 1e-12, what = "value"): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: ${a} vs ${e}`);
  }
}
