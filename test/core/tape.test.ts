import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import type { Tensor } from "../../core/index.ts";
import { assertClose, assertGradMatches, shape, tensorOf } from "../helpers.ts";

test("fan-out accumulates: d/dx Σ(x·x + x) = 2x + 1", () => {
  fc.assert(
    fc.property(shape.chain((s) => tensorOf(s)), (x) => {
      const g = T.grad((p: Tensor) => T.sum(T.add(T.mul(p, p), p)))(x);
      assertClose(g.data, Array.from(x.data, (v) => 2 * v + 1));
    }),
    { numRuns: 30 },
  );
});

test("a tiny two-layer network's gradient over a parameter tree equals central differences", () => {
  const arb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })).chain(([batch, nin, hidden, nout]) =>
    fc.record({
      params: fc.record({
        l1: fc.record({ w: tensorOf([hidden, nin]), b: tensorOf([hidden]) }),
        l2: fc.tuple(tensorOf([nout, hidden]), tensorOf([nout])),
      }),
      x: tensorOf([batch, nin]),
      y: tensorOf([batch, nout], 0, 1),
    }),
  );
  fc.assert(
    fc.property(arb, ({ params, x, y }) => {
      type P = typeof params;
      const loss = (p: P) => {
        const h = T.tanh(T.add(T.matmulT(x, p.l1.w, false, true), p.l1.b));
        const o = T.sigmoid(T.add(T.matmulT(h, p.l2[0], false, true), p.l2[1]));
        return T.mean(T.sum(T.square(T.sub(o, y)), 1));
      };
      assertGradMatches(loss, params);
      const [value, grad] = T.valueAndGrad(loss)(params);
      assert.equal(value.item(), loss(params).item());
      assert.deepEqual(T.treeLeaves(grad).map((g) => g.shape), T.treeLeaves(params).map((p) => p.shape));
    }),
    { numRuns: 25 },
  );
});

test("a parameter that does not reach the output gets a zero gradient of its shape", () => {
  const g = T.grad((p: { a: Tensor; unused: Tensor }) => T.sum(T.square(p.a)))({ a: T.tensor([1, 2]), unused: T.ones([2, 3]) });
  assert.deepEqual(g.unused.shape, [2, 3]);
  assert.deepEqual(Array.from(g.unused.data), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(g.a.data), [2, 4]);
});

test("calling a transform twice gives the same gradient, and nested calls keep their tapes apart", () => {
  const x = T.tensor([0.5, -1.5, 2]);
  const f = (p: Tensor) => T.sum(T.exp(p));
  const g1 = T.grad(f)(x), g2 = T.grad(f)(x);
  assert.deepEqual(Array.from(g1.data), Array.from(g2.data));
  // An inner grad inside an outer function: the inner tape sees only its own parameter.
  const outer = T.valueAndGrad((p: Tensor) => {
    const inner = T.grad((q: Tensor) => T.sum(T.mul(q, q)))(T.tensor([3]));
    assert.deepEqual(Array.from(inner.data), [6]);
    return T.sum(T.mul(p, 2));
  })(x);
  assert.deepEqual(Array.from(outer[1].data), [2, 2, 2]);
  assert.equal(outer[0].item(), 2);
});

test("the same tensor twice in a parameter tree gets one gradient per leaf", () => {
  const t = T.tensor([1, 2]);
  const g = T.grad((p: readonly Tensor[]) => T.sum(T.mul(p[0], 3)))([t, t]);
  assert.deepEqual(Array.from(g[0].data), [3, 3]);
  assert.deepEqual(Array.from(g[1].data), [0, 0]);
});

test("ops never change their inputs", () => {
  fc.assert(
    fc.property(fc.tuple(tensorOf([3, 4]), tensorOf([4])), ([a, b]) => {
      const before = [Array.from(a.data), Array.from(b.data)];
      const y = T.sigmoid(T.add(T.mul(a, b), b));
      T.grad((p: Tensor[]) => T.sum(T.logSoftmax(T.mul(p[0], p[1]))))([a, b]);
      assert.deepEqual([Array.from(a.data), Array.from(b.data)], before);
      assert.deepEqual(y.shape, [3, 4]);
    }),
    { numRuns: 20 },
  );
});

test("a function that does not return a scalar is refused by name", () => {
  assert.throws(() => T.grad((p: Tensor) => T.mul(p, 2))(T.tensor([1, 2])), /^Error: grad: the function must return a scalar tensor, got a tensor of shape \[2\]/);
});

test("shape errors name the op and both shapes", () => {
  assert.throws(() => T.matmul(T.zeros([10, 784]), T.zeros([30, 784])), { message: "matmul: inner dimensions differ (10x784 · 30x784)" });
  assert.throws(() => T.add(T.zeros([2, 3]), T.zeros([4])), { message: "add: shapes do not broadcast ([2x3] and [4])" });
  assert.throws(() => T.reshape(T.zeros([2, 3]), [4]), /reshape: cannot view \[2x3\] as \[4\]/);
  assert.throws(() => T.sum(T.zeros([2, 3]), 2), /sum: axis 2 is out of range for \[2x3\]/);
});

test("softmax and log-softmax are stable for huge inputs", () => {
  const x = T.tensor([[1000, 0, -1000]]);
  assertClose(T.softmax(x).data, [1, Math.exp(-1000), 0]);
  assertClose(T.logSoftmax(x).data, [0, -1000, -2000]);
  assert.ok(Number.isFinite(T.sigmoid(T.tensor([-1000])).data[0]));
});
