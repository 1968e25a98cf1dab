/**
 * JAX's conventions where tsgrad looks like JAX: valueAndGrad's [value, grads], argnums and hasAux, vmap's
 * in/out axes per argument and per leaf, jacobian (jacrev), jacfwd and hessian over trees.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import { assertClose } from "../helpers.ts";

type Tensor = T.Tensor;
const data = (t: Tensor) => Array.from(t.data);

test("valueAndGrad returns [value, grads] as JAX's value_and_grad; grad's argnums picks the argument", () => {
  const f = (x: Tensor, y: Tensor) => T.sum(T.mul(T.mul(x, x), y)); // Σ x²y
  const x = T.tensor([1, 2]), y = T.tensor([3, 5]);
  const [v, gx] = T.valueAndGrad(f)(x, y);
  assert.equal(v.item(), 1 * 3 + 4 * 5);
  assert.deepEqual(data(gx), [6, 20]); // 2xy
  assert.deepEqual(data(T.grad(f, { argnums: 1 })(x, y)), [1, 4]); // x²
  const [gx2, gy] = T.grad(f, { argnums: [0, 1] })(x, y);
  assert.deepEqual([data(gx2), data(gy)], [[6, 20], [1, 4]]);
  const [v2, [gy2, gx3]] = T.valueAndGrad(f, { argnums: [1, 0] })(x, y);
  assert.deepEqual([v2.item(), data(gy2), data(gx3)], [23, [1, 4], [6, 20]]);
});

test("hasAux: f returns [value, aux]; valueAndGrad gives [[value, aux], grads], grad gives [grads, aux]", () => {
  const f = (p: { w: Tensor }, x: Tensor) => {
    const out = T.mul(p.w, x);
    return [T.sum(T.square(out)), { out, note: "anything" }] as const;
  };
  const p = { w: T.tensor([2, -1]) }, x = T.tensor([3, 4]);
  const [[value, aux], g] = T.valueAndGrad(f, { hasAux: true })(p, x);
  assert.equal(value.item(), 36 + 16);
  assert.deepEqual(data(aux.out), [6, -4]);
  assert.equal(aux.note, "anything");
  assert.deepEqual(data(g.w), [36, -32]); // 2·w·x²
  const [g2, aux2] = T.grad(f, { hasAux: true })(p, x);
  assert.deepEqual(data(g2.w), [36, -32]);
  assert.deepEqual(data(aux2.out), [6, -4]);
  // hasAux composes: the gradient of the gradient, the aux carried through.
  const h = T.grad((w: Tensor) => T.sum(T.grad((u: Tensor) => [T.sum(T.pow(u, 3)), u] as const, { hasAux: true })(w)[0]))(T.tensor([2]));
  assert.deepEqual(data(h), [12]);
});

test("grad with argnums equals the gradient of the function of that argument alone (random polynomials)", () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 9, maxLength: 9 }), (xs) => {
      const a = T.tensor(xs.slice(0, 3)), b = T.tensor(xs.slice(3, 6)), c = T.tensor(xs.slice(6));
      const f = (u: Tensor, v: Tensor, w: Tensor) => T.sum(T.add(T.mul(T.mul(u, v), w), T.mul(T.tanh(v), T.exp(w))));
      const [ga, gb, gc] = T.grad(f, { argnums: [0, 1, 2] })(a, b, c);
      assertClose(data(ga), data(T.grad((u: Tensor) => f(u, b, c))(a)), 1e-12, 1e-14, "∂a");
      assertClose(data(gb), data(T.grad((v: Tensor) => f(a, v, c))(b)), 1e-12, 1e-14, "∂b");
      assertClose(data(gc), data(T.grad((w: Tensor) => f(a, b, w))(c)), 1e-12, 1e-14, "∂c");
    }),
    { numRuns: 30 },
  );
});

test("grad's options are checked by name (plain JavaScript)", () => {
  const f = (x: Tensor, y: Tensor) => T.sum(T.mul(x, y));
  const x = T.tensor([1]), y = T.tensor([2]);
  const g = T.grad as unknown as (f: unknown, o?: unknown) => (...a: unknown[]) => unknown;
  assert.throws(() => g(f, { argnums: 2 })(x, y), /^Error: grad: argnums names argument 2, but the function was called with 2 arguments$/);
  assert.throws(() => g(f, { argnum: 1 }), /^Error: grad: unknown option "argnum" \(the options are argnums and hasAux\)$/);
  assert.throws(() => g(f, { argnums: 1.5 }), /^Error: grad: argnums must be argument indices \(whole numbers from 0\), got the number 1.5$/);
  assert.throws(() => g(f, { argnums: [0, 0] }), /^Error: grad: argnums lists an argument twice \(0, 0\)$/);
  assert.throws(() => g(f, { argnums: [] }), /argnums is an empty list/);
  assert.throws(() => g(f, { hasAux: "yes" }), /^Error: grad: hasAux must be true or false, got the string "yes"$/);
  assert.throws(() => g(3), /^Error: grad: the first argument must be a function, got the number 3$/);
  assert.throws(() => g((u: Tensor) => T.sum(u), { hasAux: true })(x), /^Error: grad: with hasAux the function must return \[scalar tensor, aux\], got a Tensor/);
  assert.throws(() => g(f, { argnums: 1 })(x, 2), /^Error: grad: the differentiated argument 1 must be tensors in records and arrays, found the number 2 at the root/);
});

test("vmap: inAxes a number, per argument, or per leaf; outAxes moves the batch", () => {
  const x = T.tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
  // Map over columns (axis 1): three examples of length 2.
  assert.deepEqual(T.vmap((c: Tensor) => T.sum(c), 1)(x).toArray(), [5, 7, 9]);
  // Per leaf: p.w mapped over its axis 1, p.b not mapped.
  const f = (p: { w: Tensor; b: Tensor }) => T.add(T.mul(p.w, 10), p.b);
  const out = T.vmap(f, [{ w: 1, b: null }])({ w: x, b: T.tensor([100, 200]) });
  assert.deepEqual(out.toArray(), [[110, 240], [120, 250], [130, 260]]);
  // outAxes: the batch put last.
  const rows = T.vmap((r: Tensor) => T.mul(r, 2), 0, 1)(x);
  assert.deepEqual(rows.toArray(), [[2, 8], [4, 10], [6, 12]]);
  // outAxes per leaf of the result.
  const [a, b] = T.vmap((r: Tensor) => [T.mul(r, 1), T.sum(r)] as const, 0, [1, 0])(x);
  assert.deepEqual([a.toArray(), b.toArray()], [[[1, 4], [2, 5], [3, 6]], [6, 15]]);
  // A negative outAxes counts from the end, as numpy.
  assert.deepEqual(T.vmap((r: Tensor) => T.mul(r, 1), 0, -1)(x).toArray(), [[1, 4], [2, 5], [3, 6]]);
});

test("vmap with inAxes/outAxes equals the loop over examples (random shapes)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 }), (n, m, k, inAxis, outAxis) => {
      const shp = [m, k]; shp.splice(inAxis, 0, n); // n examples on axis inAxis
      const size = n * m * k;
      const x = T.fromArray(Array.from({ length: size }, (_, i) => Math.sin(i + 1)), shp);
      const f = (e: Tensor) => T.tanh(T.matmul(e, T.transpose(e)));
      const batched = T.vmap(f, inAxis, outAxis)(x);
      for (let i = 0; i < n; i++) {
        const example = T.reshape(T.slice(T.moveAxis(x, inAxis, 0), 0, i, i + 1), [m, k]);
        const want = data(f(example));
        const got = T.reshape(T.slice(T.moveAxis(batched, outAxis, 0), 0, i, i + 1), [m, m]);
        assertClose(data(got), want, 1e-12, 1e-14, `example ${i}`);
      }
    }),
    { numRuns: 40 },
  );
});

test("vmap's axes are checked by name", () => {
  const x = T.tensor([[1, 2]]);
  const v = T.vmap as unknown as (f: unknown, i?: unknown, o?: unknown) => (...a: unknown[]) => unknown;
  assert.throws(() => v((p: unknown) => p, [{ w: 0 }])({ w: x, b: x }), /^Error: vmap: argument 0's axes at the root have keys w, the value has b,w$/);
  assert.throws(() => v((p: unknown) => p, [[0, 0]])([x]), /^Error: vmap: argument 0's axes at the root are an array of 2, the value is an array/);
  assert.throws(() => v((p: Tensor) => p, 0, 3)(x), /^Error: vmap: the result has shape \[1x2\], with no axis 3 to put the batch on$/);
  assert.throws(() => v((p: Tensor) => p, "0")(x), /^Error: vmap: inAxes must be a number or an array with one entry per argument, got the string "0"$/);
  assert.throws(() => v((p: Tensor) => p, [0.5])(x), /^Error: vmap: argument 0's axis at the root must be a whole number or null, got 0.5$/);
});

test("jacobian (jacrev) and jacfwd over trees: output structure outside, input inside, blocks out.shape ++ in.shape", () => {
  // f({a, b}) = {s: a·b (scalar), v: [a0², b0 b1]}: every block known in closed form.
  const f = (p: { a: Tensor; b: Tensor }) => ({
    s: T.sum(T.mul(p.a, p.b)),
    v: T.concat([T.square(T.slice(p.a, 0, 0, 1)), T.mul(T.slice(p.b, 0, 0, 1), T.slice(p.b, 0, 1, 2))], 0),
  });
  const p = { a: T.tensor([2, 3]), b: T.tensor([5, 7]) };
  for (const jac of [T.jacobian, T.jacfwd, T.jacrev]) {
    const J = jac(f)(p) as { s: { a: Tensor; b: Tensor }; v: { a: Tensor; b: Tensor } };
    assert.deepEqual(J.s.a.toArray(), [5, 7]);
    assert.deepEqual(J.s.b.toArray(), [2, 3]);
    assert.deepEqual(J.v.a.toArray(), [[4, 0], [0, 0]]);
    assert.deepEqual(J.v.b.toArray(), [[0, 0], [7, 5]]);
  }
  // One tensor each side: a tensor, as before; jacfwd equals jacobian on a random map.
  const g = (x: Tensor) => T.tanh(T.matmul(T.reshape(x, [2, 3]), T.transpose(T.reshape(x, [2, 3]))));
  const x = T.tensor([0.1, -0.4, 0.7, 0.2, 0.5, -0.3]);
  const jr = T.jacobian(g)(x), jf = T.jacfwd(g)(x);
  assert.deepEqual(jr.shape, [2, 2, 6]);
  assert.deepEqual(jf.shape, [2, 2, 6]);
  assertClose(data(jf), data(jr), 1e-12, 1e-14, "jacfwd vs jacrev");
});

test("hessian over a tree of parameters: blocks ∂²f/∂a∂b", () => {
  // f = Σ a² b: ∂²/∂a² = diag(2b), ∂²/∂a∂b = diag(2a), ∂²/∂b² = 0.
  const f = (p: { a: Tensor; b: Tensor }) => T.sum(T.mul(T.square(p.a), p.b));
  const H = T.hessian(f)({ a: T.tensor([1, 2]), b: T.tensor([3, 4]) }) as { a: { a: Tensor; b: Tensor }; b: { a: Tensor; b: Tensor } };
  assert.deepEqual(H.a.a.toArray(), [[6, 0], [0, 8]]);
  assert.deepEqual(H.a.b.toArray(), [[2, 0], [0, 4]]);
  assert.deepEqual(H.b.a.toArray(), [[2, 0], [0, 4]]);
  assert.deepEqual(H.b.b.toArray(), [[0, 0], [0, 0]]);
});

test("names do not collide: no export of tsgrad, tsgrad/nn, tsgrad/datasets and tsgrad/node shares a name with another's different value", async () => {
  const entries: Record<string, Record<string, unknown>> = {
    core: T as unknown as Record<string, unknown>,
    nn: (await import("../../nn/index.ts")) as unknown as Record<string, unknown>,
    datasets: (await import("../../datasets/index.ts")) as unknown as Record<string, unknown>,
    node: (await import("../../node/index.ts")) as unknown as Record<string, unknown>,
  };
  const names = Object.keys(entries);
  const clashes: string[] = [];
  names.forEach((a, i) => names.slice(i + 1).forEach((b) => {
    for (const k of Object.keys(entries[a])) if (Object.hasOwn(entries[b], k) && entries[a][k] !== entries[b][k]) clashes.push(`${a}.${k} / ${b}.${k}`);
  }));
  assert.deepEqual(clashes, []);
});

test("core's functions and nn's layers import side by side: serial(dense(4), Tanh, dense(1)) or layers.tanh; checkGrads takes a function of tensors", async () => {
  const nn = await import("../../nn/index.ts");
  const { serial, dense, Tanh, layers } = nn;
  const a = serial(dense(4), Tanh, dense(1));
  const b = layers.serial(layers.dense(4), layers.tanh, layers.dense(1));
  const x = T.tensor([[0.5, -1]]);
  const pa = a.init(T.key(3), [2]).params, pb = b.init(T.key(3), [2]).params;
  assert.deepEqual(a.apply(pa, x).toArray(), b.apply(pb, x).toArray());
  // core's tanh beside the layer: a function of tensors, checked without a cast.
  T.checkGrads((u: Tensor, v: Tensor) => T.mul(T.tanh(u), v), [T.tensor([0.3, -0.2]), T.tensor([1.5, 2])], { order: 2 });
});

test("matmul as numpy's: vectors (a dropped axis), matrices, batches broadcast against each other, with gradients", () => {
  /** numpy's matmul by definition: loops over the broadcast batch, 1-D operands promoted and their axis dropped. */
  const reference = (a: number[], as: number[], b: number[], bs: number[]): { data: number[]; shape: number[] } => {
    const A = as.length === 1 ? [1, as[0]] : as, B = bs.length === 1 ? [bs[0], 1] : bs;
    const [m, k] = A.slice(-2), n = B[B.length - 1];
    const ab = A.slice(0, -2), bb = B.slice(0, -2);
    const rank = Math.max(ab.length, bb.length);
    const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
    const pa = pad(ab), pb = pad(bb), batch = pa.map((d, i) => Math.max(d, pb[i]));
    const count = batch.reduce((p, d) => p * d, 1);
    const data: number[] = [];
    for (let t = 0; t < count; t++) {
      const idx: number[] = []; let r = t;
      for (let i = rank - 1; i >= 0; i--) { idx.unshift(r % batch[i]); r = Math.floor(r / batch[i]); }
      const off = (p: number[], s: number[]) => idx.reduce((o, x, i) => o * p[i] + (p[i] === 1 ? 0 : x), 0) * s[0] * s[1];
      const oa = off(pa, [m, k]), ob = off(pb, [k, n]);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += a[oa + i * k + q] * b[ob + q * n + j];
        data.push(acc);
      }
    }
    const shape = [...batch, ...(as.length === 1 ? [] : [m]), ...(bs.length === 1 ? [] : [n])];
    return { data, shape };
  };
  const dims = fc.integer({ min: 1, max: 3 });
  const shapes = fc.tuple(dims, dims, dims, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }), fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }))
    .map(([m, k, n, ra, rb, ba, bb]) => {
      const as = ra === 1 ? [k] : ra === 2 ? [m, k] : [...ba, m, k];
      // Batch axes that broadcast: equal or 1 where both have one.
      const bbFixed = bb.map((d, i) => { const j = ba.length - bb.length + i; return j >= 0 && ba[j] !== d ? 1 : d; });
      const bs = rb === 1 ? [k] : rb === 2 ? [k, n] : [...bbFixed, k, n];
      return { as, bs };
    });
  fc.assert(fc.property(shapes, fc.integer({ min: 1, max: 1000 }), ({ as, bs }, seed) => {
    const a = T.normal(T.key(seed), as), b = T.normal(T.key(seed + 1), bs);
    const want = reference(Array.from(a.data), as, Array.from(b.data), bs);
    const got = T.matmul(a, b);
    assert.deepEqual(got.shape, want.shape, `${as} · ${bs}`);
    assertClose(data(got), want.data, 1e-12, 1e-13, `${as} · ${bs}`);
  }), { numRuns: 120 });
  // Gradients of the batched and vector forms equal central differences.
  T.checkGrads((x: Tensor, y: Tensor) => T.matmul(x, y), [T.normal(T.key(1), [2, 1, 2, 3]), T.normal(T.key(2), [3, 3, 2])], { order: 2 });
  T.checkGrads((x: Tensor, y: Tensor) => T.matmul(x, y), [T.normal(T.key(3), [3]), T.normal(T.key(4), [2, 3, 2])], { order: 2 });
  assert.equal(T.matmul(T.tensor([1, 2, 3]), T.tensor([4, 5, 6])).item(), 32);
  assert.throws(() => T.matmul(T.tensor([1, 2]), T.tensor([1, 2, 3])), /^Error: matmul: inner dimensions differ/);
  assert.throws(() => T.matmul(T.ones([2, 2, 3]), T.ones([3, 3, 1])), /^Error: matmul: shapes/);
});
