/** The transforms compose and mean their mathematics: micrograd's engine tests, jvp, jacobian, hessian. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { assertClose } from "../helpers.ts";

type Tensor = T.Tensor;
const cube = (x: Tensor) => T.sum(T.mul(T.mul(x, x), x));
const data = (t: Tensor) => Array.from(t.data);

test("grad of grad: d²/dx² Σx³ at 2 is 12", () => {
  assert.deepEqual(data(T.grad((x: Tensor) => T.sum(T.grad(cube)(x)))(T.tensor([2]))), [12]);
});

test("the second derivative of tanh at 0.5 is −0.726862, and higher orders go on", () => {
  const d1 = (f: (x: Tensor) => Tensor) => (x: Tensor) => T.grad((y: Tensor) => T.sum(f(y)))(x);
  const d2 = d1(d1(T.tanh)), d3 = d1(d2);
  const t = Math.tanh(0.5);
  assertClose(data(d2(T.tensor([0.5]))), [-2 * t * (1 - t * t)], 1e-14);
  assertClose(data(d3(T.tensor([0.5]))), [(1 - t * t) * (6 * t * t - 2)], 1e-13);
  assert.equal(Number(d2(T.tensor([0.5])).data[0].toFixed(6)), -0.726862);
  // The same for sigmoid and exp, whose second derivatives fail in tfjs (tensorflow/tfjs#3252).
  const s = 1 / (1 + Math.exp(-0.5));
  assertClose(data(d1(d1(T.sigmoid))(T.tensor([0.5]))), [s * (1 - s) * (1 - 2 * s)], 1e-14);
  assertClose(data(d1(d1(d1(T.exp)))(T.tensor([0.5]))), [Math.exp(0.5)], 1e-14);
});

test("a Hessian-vector product of an MLP loss by grad of ⟨grad, v⟩ equals finite differences of grad", () => {
  const x = T.uniform(T.key(1), [5, 4]), y = T.uniform(T.key(2), [5, 3]);
  const loss = (w: Tensor) => nn.quadratic(T.sigmoid(T.matmul(T.tanh(T.matmul(x, T.reshape(w, [4, 6]))), T.reshape(T.tensor(new Array(18).fill(0).map((_, i) => Math.sin(i))), [6, 3]))), y);
  const w = T.normal(T.key(3), [24]), v = T.normal(T.key(4), [24]);
  const hvp = T.grad((p: Tensor) => T.sum(T.mul(T.grad(loss)(p), v)))(w);
  const eps = 1e-5;
  const fd = T.mul(T.sub(T.grad(loss)(T.add(w, T.mul(v, eps))), T.grad(loss)(T.sub(w, T.mul(v, eps)))), 1 / (2 * eps));
  assert.ok(data(hvp).some((h) => Math.abs(h) > 1e-3), "the product is not zero");
  assertClose(data(hvp), data(fd), 1e-6, 1e-9, "hvp");
  // The same product by forward over reverse, and by the Hessian itself.
  const [, fwd] = T.jvp((p: Tensor) => T.grad(loss)(p), [w], [v]);
  assertClose(data(fwd as Tensor), data(hvp), 1e-10, 1e-13, "jvp of grad");
  assertClose(data(T.matmul(T.hessian(loss)(w), T.reshape(v, [24, 1]))), data(hvp), 1e-10, 1e-13, "hessian · v");
});

test("differentiating through valueAndGrad's output (first order) gives 12 for 3x² at 2... and its value", () => {
  const g = T.grad((x: Tensor) => T.valueAndGrad(cube)(x)[0])(T.tensor([2]));
  assert.deepEqual(data(g), [12]);
  const [value, dx] = T.valueAndGrad(cube)(T.tensor([2]));
  assert.equal(value.item(), 8);
  assert.deepEqual(data(dx), [12]);
});

test("a number among the parameters is a clear error, not NaN", () => {
  const f = (p: { w: Tensor; lr: Tensor }) => T.sum(T.mul(p.w, p.lr));
  const params = { w: T.tensor([1, 2]), lr: 0.1 } as unknown as { w: Tensor; lr: Tensor };
  assert.throws(() => T.grad(f)(params), /grad: the parameters \(the first argument\) must be tensors in records and arrays, found the number 0.1 at lr/);
  assert.throws(() => T.jit((x: Tensor, g: unknown) => x)(T.tensor([1]), () => 1), /jit: argument 1 is a function/);
});

test("micrograd's test_sanity_check: y = -20, dy/dx = 46 (PyTorch's numbers)", () => {
  const [value, grad] = T.valueAndGrad((x: Tensor) => {
    const z = T.add(T.add(T.mul(x, 2), 2), x);
    const q = T.add(T.relu(z), T.mul(z, x));
    const h = T.relu(T.mul(z, z));
    return T.sum(T.add(T.add(h, q), T.mul(q, x)));
  })(T.tensor([-4]));
  assert.equal(value.item(), -20);
  assert.deepEqual(data(grad), [46]);
});

test("micrograd's test_more_ops: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773 (PyTorch's numbers)", () => {
  const [value, grad] = T.valueAndGrad(({ a, b }: { a: Tensor; b: Tensor }) => {
    let c = T.add(a, b);
    let d = T.add(T.mul(a, b), T.pow(b, 3));
    c = T.add(c, T.add(c, 1));
    c = T.add(c, T.add(T.add(1, c), T.neg(a)));
    d = T.add(d, T.add(T.mul(d, 2), T.relu(T.add(b, a))));
    d = T.add(d, T.add(T.mul(3, d), T.relu(T.sub(b, a))));
    const e = T.sub(c, d);
    const f = T.pow(e, 2);
    let g = T.div(f, 2);
    g = T.add(g, T.div(10, f));
    return T.sum(g);
  })({ a: T.tensor([-4]), b: T.tensor([2]) });
  assertClose([value.item()], [24.70408163265306], 1e-12);
  assertClose(data(grad.a), [138.83381924198252], 1e-12);
  assertClose(data(grad.b), [645.5772594752186], 1e-12);
});

test("vjp returns the output and a pullback that can be called again, one cotangent per primal", () => {
  const [out, pullback] = T.vjp((a: Tensor, b: Tensor) => ({ s: T.mul(a, b), t: T.sum(a) }), T.tensor([1, 2]), T.tensor([3, 4]));
  assert.deepEqual(data(out.s), [3, 8]);
  const [ga, gb] = pullback({ s: T.tensor([1, 1]), t: T.tensor(2) });
  assert.deepEqual([data(ga), data(gb)], [[5, 6], [1, 2]]);
  const [ga2] = pullback({ s: T.tensor([0, 1]), t: T.tensor(0) });
  assert.deepEqual(data(ga2), [0, 4]);
  assert.throws(() => pullback({ s: T.tensor([1]), t: T.tensor(0) } as never), /vjp: the cotangent at s is float64\[1\], the output is float64\[2\]/);
});

test("jvp equals finite differences along the tangent, and jacobian's rows are the pullbacks of the unit vectors", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const m = T.normal(T.key(seed), [3, 2]);
      const f = (x: Tensor) => T.tanh(T.matmul(m, T.reshape(T.exp(x), [2, 1])));
      const x = T.normal(T.key(seed + 1), [2]), t = T.normal(T.key(seed + 2), [2]);
      const [y, ty] = T.jvp(f, [x], [t]);
      assert.deepEqual(data(y as Tensor), data(f(x)));
      const eps = 1e-6;
      const fd = T.mul(T.sub(f(T.add(x, T.mul(t, eps))), f(T.sub(x, T.mul(t, eps)))), 1 / (2 * eps));
      assertClose(data(ty as Tensor), data(fd), 1e-6, 1e-9, "jvp");
      const j = T.jacobian(f)(x);
      assert.deepEqual(j.shape, [3, 1, 2]);
      assertClose(data(T.matmul(T.reshape(j, [3, 2]), T.reshape(t, [2, 1]))), data(ty as Tensor), 1e-12, 1e-14, "J·t");
    }),
    { numRuns: 20 },
  );
});

test("hessian of a quadratic form is its symmetric matrix", () => {
  const a = T.tensor([[2, 1, 0], [1, 3, -1], [0, -1, 4]]);
  const q = (x: Tensor) => T.mul(T.sum(T.mul(T.reshape(x, [1, 3]), T.transpose(T.matmul(a, T.reshape(x, [3, 1]))))), 0.5);
  assert.deepEqual(T.hessian(q)(T.tensor([0.3, -1, 2])).toArray(), a.toArray());
});
