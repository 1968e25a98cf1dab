import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";

const seed = fc.integer({ min: 0, max: 2 ** 31 });

test("the same key gives the same numbers; different keys and split keys differ", () => {
  fc.assert(
    fc.property(seed, seed, (s1, s2) => {
      fc.pre(s1 !== s2);
      const a = T.normal(T.key(s1), [50]), b = T.normal(T.key(s1), [50]), c = T.normal(T.key(s2), [50]);
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
      assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
      const [k1, k2] = T.split(T.key(s1));
      assert.notDeepEqual(Array.from(T.uniform(k1, [20]).data), Array.from(T.uniform(k2, [20]).data));
      assert.deepEqual(T.split(T.key(s1)), T.split(T.key(s1)));
    }),
    { numRuns: 30 },
  );
});

test("normal numbers have mean ≈ 0 and variance ≈ 1; uniform ones lie in [lo, hi)", () => {
  const x = Array.from(T.normal(T.key(7), [20000]).data);
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.04, `variance ${v}`);
  const u = T.uniform(T.key(8), [5000], -2, 3).data;
  assert.ok(u.every((y) => y >= -2 && y < 3));
});

test("a permutation holds each index exactly once", () => {
  fc.assert(
    fc.property(seed, fc.integer({ min: 0, max: 300 }), (s, n) => {
      const p = Array.from(T.permutation(T.key(s), n)).sort((a, b) => a - b);
      assert.deepEqual(p, Array.from({ length: n }, (_, i) => i));
    }),
    { numRuns: 30 },
  );
});

test("nextInt draws what rejection sampling with % gives, for any bound up to 2^32 (it divides instead)", () => {
  // The definition: reject x ≥ 2^32 − (2^32 mod n), then x mod n; a run's shuffles must not change.
  const byDefinition = (s: T.Stream, n: number) => {
    for (;;) {
      const x = s.nextUint32();
      if (x < 4294967296 - (4294967296 % n)) return x % n;
    }
  };
  const bound = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2 ** 32 }), fc.constantFrom(1, 2, 3, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32));
  fc.assert(
    fc.property(seed, fc.array(bound, { minLength: 1, maxLength: 50 }), (s, bounds) => {
      const a = new T.Stream(T.key(s)), b = new T.Stream(T.key(s));
      for (const n of bounds) assert.equal(a.nextInt(n), byDefinition(b, n), `n = ${n}`);
    }),
    { numRuns: 200 },
  );
});
