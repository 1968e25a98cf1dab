/** The checker the op catalogue relies on can fail: a wrong first- or second-order VJP makes checkGrads throw (autograd's test_tests.py). */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";

/** An op computing x^k from raw data, whose VJP is `vjp` (so a test can plant a wrong one). */
function power(name: string, k: number, vjp: (g: T.Tensor, x: T.Tensor) => T.Tensor): (x: T.Tensor) => T.Tensor {
  const op: (inputs: readonly [T.Tensor], params: undefined) => T.Tensor = T.defineOp<readonly [T.Tensor]>({
    name,
    forward: ([x]) => T.fromArray(Array.from(x.data, (v) => v ** k), x.shape, x.dtype),
    vjp: [(g, [x]) => vjp(g, x)],
    batch: ([x]): T.Tensor => op([x], undefined),
  });
  return (x) => op([x], undefined);
}

const x = [T.tensor([0.3, -0.7, 1.2])];
const sumOf = (f: (x: T.Tensor) => T.Tensor) => (...a: readonly T.Tree[]) => T.sum(f(a[0] as T.Tensor));

test("checkGrads passes a right op to order 2 in both modes", () => {
  const cube = power("cube", 3, (g, x) => T.mul(g, T.mul(T.square(x), 3)));
  T.checkGrads(sumOf(cube), x, { order: 2 });
});

test("a wrong first-order VJP fails checkGrads in reverse mode and in forward mode", () => {
  const wrong = power("square-with-x-not-2x", 2, (g, x) => T.mul(g, x));
  assert.throws(() => T.checkGrads(sumOf(wrong), x, { order: 1, modes: ["rev"] }), /checkGrads: reverse mode at order 1/);
  assert.throws(() => T.checkGrads(sumOf(wrong), x, { order: 1, modes: ["fwd"] }), /checkGrads: forward mode at order 1/);
});

test("a VJP right at order 1 but whose own derivative is wrong passes order 1 and fails order 2", () => {
  // x² whose VJP is right in value (2x) but built from an op whose derivative is wrong (d/dx of 2x given as 3).
  const twiceWrong: (inputs: readonly [T.Tensor], params: undefined) => T.Tensor = T.defineOp<readonly [T.Tensor]>({
    name: "twice-with-wrong-derivative",
    forward: ([v]) => T.fromArray(Array.from(v.data, (a) => 2 * a), v.shape, v.dtype),
    vjp: [(g) => T.mul(g, 3)],
    batch: ([v]): T.Tensor => twiceWrong([v], undefined),
  });
  const square = power("square-second-order-wrong", 2, (g, v) => T.mul(g, twiceWrong([v], undefined)));
  T.checkGrads(sumOf(square), x, { order: 1 });
  assert.throws(() => T.checkGrads(sumOf(square), x, { order: 2, modes: ["rev"] }), /checkGrads: reverse mode at order 2/);
  assert.throws(() => T.checkGrads(sumOf(square), x, { order: 2, modes: ["fwd"] }), /checkGrads: forward mode at order 2/);
});
