import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { tensorOf } from "../helpers.ts";

const flat = (t: T.Tree) => T.treeLeaves(t).flatMap((l) => Array.from(l.data));

/** Steps through `batches` from `start`; everything a step produced, flattened for exact comparison. */
function runSteps(s: ReturnType<typeof nn.step>, opt: nn.Optimizer, start: T.Tree, batches: readonly nn.Batch[]) {
  let params = start, state = opt.init(start) as T.Tree;
  const losses: number[] = [];
  for (const b of batches) {
    const r = s(params, state, b);
    ({ params, optState: state } = r);
    losses.push(r.loss);
  }
  return { params: flat(params), state: flat(state), losses };
}

const backends: [T.Kernels, T.DType][] = [[T.referenceKernels, "float64"], [T.fastKernels, "float64"], [T.createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 }), "float32"]];

for (const [k, dtype] of backends) {
  test(`jitted training steps equal eager ones, number for number (${k.name} kernels)`, () => T.withKernels(k, () => {
    const arb = fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 4 }),
      batch: fc.integer({ min: 1, max: 8 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
      cost: fc.constantFrom<nn.CostName>("quadratic", "cross-entropy"),
    });
    fc.assert(
      fc.property(arb, ({ sizes, batch, seed, cost }) => {
        const net = nn.network(sizes, "scaled");
        const opt = nn.chain(nn.weightDecay(1, 100), nn.momentum(0.5, 0.9));
        const start = T.treeMap(net.init(T.key(seed)), (t) => T.cast(t, dtype));
        const batches = Array.from({ length: 4 }, (_, i) => ({
          x: T.cast(T.uniform(T.key(seed + 10 + i), [batch, sizes[0]]), dtype),
          y: T.cast(T.uniform(T.key(seed + 20 + i), [batch, sizes[sizes.length - 1]]), dtype),
        }));
        const runs = [false, true].map((jit) => runSteps(nn.step(net, nn.costs[cost], opt, { jit }), opt, start, batches));
        assert.deepEqual(runs[1], runs[0]);
      }),
      { numRuns: 15 },
    );
  }));
}

test("jit retraces for new shapes and leaves its inputs unchanged", () => {
  const f = T.jit((a: T.Tensor, b: T.Tensor) => T.sum(T.mul(T.sigmoid(T.matmul(a, b)), 2)));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (m, k, n) => {
      const a = T.uniform(T.key(m * 7 + k), [m, k]), b = T.uniform(T.key(n * 11 + k), [k, n]);
      const before = [Array.from(a.data), Array.from(b.data)];
      const eager = T.sum(T.mul(T.sigmoid(T.matmul(a, b)), 2)).data[0];
      assert.equal(f(a, b).data[0], eager);
      assert.equal(f(a, b).data[0], eager); // the replay
      assert.deepEqual([Array.from(a.data), Array.from(b.data)], before);
    }),
    { numRuns: 30 },
  );
});

test("replayed outputs are fresh values: an earlier result is not changed by a later call", () => {
  const f = T.jit((x: T.Tensor) => T.exp(x));
  const first = f(T.tensor([0, 1]));
  const second = f(T.tensor([2, 3]));
  const third = f(T.tensor([4, 5]));
  assert.deepEqual(Array.from(first.data), [1, Math.E]);
  assert.deepEqual(Array.from(second.data), [Math.exp(2), Math.exp(3)]);
  assert.deepEqual(Array.from(third.data), [Math.exp(4), Math.exp(5)]);
});

test("a function that reads numbers out while traced runs eagerly, so its results stay right", () => {
  const f = T.jit((x: T.Tensor) => T.mul(x, x.item() > 0 ? 1 : -1));
  assert.deepEqual(Array.from(f(T.tensor([3])).data), [3]);
  assert.deepEqual(Array.from(f(T.tensor([-2])).data), [2]);
  assert.deepEqual(Array.from(f(T.tensor([5])).data), [5]);
});

test("gradients through a jitted function's replay equal the eager ones", () => {
  fc.assert(
    fc.property(tensorOf([3, 4]), tensorOf([4, 2]), (x, w) => {
      const g = (p: T.Tensor) => T.valueAndGrad((q: T.Tensor) => T.sum(T.tanh(T.matmul(x, q))))(p)[1];
      const jg = T.jit(g);
      jg(w);
      assert.deepEqual(Array.from(jg(w).data), Array.from(g(w).data));
    }),
    { numRuns: 20 },
  );
});

test("donated steps, each fed the last one's outputs, equal eager steps number for number", () => {
  for (const [k, dtype] of backends) {
    T.withKernels(k, () => {
      const net = nn.network([6, 5, 3], "scaled");
      const opt = nn.momentum(0.5, 0.9);
      const start = T.treeMap(net.init(T.key(2)), (t) => T.cast(t, dtype));
      const batches = Array.from({ length: 6 }, (_, i) => ({ x: T.cast(T.uniform(T.key(30 + i), [4, 6]), dtype), y: T.cast(T.uniform(T.key(40 + i), [4, 3]), dtype) }));
      const finals = [{ jit: false }, { jit: true, donate: true }].map((options) => runSteps(nn.step(net, nn.quadratic, opt, options), opt, start, batches));
      assert.deepEqual(finals[1], finals[0], k.name);
    });
  }
});

test("when the backend has no room left for jit's buffers, jitted steps run eagerly and stay right", () => {
  for (const room of [4 * 1024, 64 * 1024]) {
    const k = T.createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: room });
    T.withKernels(k, () => {
      const net = nn.network([20, 30, 10], "scaled");
      const opt = nn.sgd(1);
      const start = T.treeMap(net.init(T.key(5)), (t) => T.cast(t, "float32"));
      const batch = { x: T.cast(T.uniform(T.key(6), [8, 20]), "float32"), y: T.cast(T.uniform(T.key(7), [8, 10]), "float32") };
      // A fresh step per round, as a schedule that changes η every epoch makes: old traces must give their room back or step aside.
      const run = (jit: boolean) => {
        let params = start, state = opt.init(start) as T.Tree;
        for (let round = 0; round < 6; round++) {
          const s = nn.step(net, nn.quadratic, opt, { jit, donate: jit });
          for (let i = 0; i < 3; i++) ({ params, optState: state } = s(params, state, batch));
          params = T.treeMap(params, (t) => new T.Tensor(t.shape, t.data.slice())); // what the loop keeps
        }
        return flat(params);
      };
      assert.deepEqual(run(true), run(false), `${room} bytes`);
    });
  }
});

test("a function that casts between precisions while traced runs eagerly, so its results stay right", () => {
  const f = T.jit((x: T.Tensor) => T.mul(T.cast(T.exp(x), "float32"), T.cast(T.tensor([2]), "float32")));
  for (const v of [0, 1, 2]) assert.deepEqual(Array.from(f(T.tensor([v])).data), [Math.fround(Math.fround(Math.exp(v)) * 2)]);
});

test("jit fuses each weight gradient with the sgd step that reads it (wasm), number for number", () => {
  const wasm = T.createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 4 << 20 });
  let fused = 0;
  const counting: T.Kernels = {
    ...wasm,
    matmulAxpy(...args) {
      fused++;
      wasm.matmulAxpy!(...args);
    },
  };
  T.withKernels(counting, () => {
    // Widths on all sides of the kernel's cases: rows of up to 16, 32, 128 and more numbers, up to 32 examples and more.
    const arb = fc.record({
      sizes: fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 140 }), fc.integer({ min: 1, max: 12 })),
      batch: fc.integer({ min: 1, max: 40 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(
      fc.property(arb, ({ sizes, batch, seed }) => {
        const net = nn.network(sizes, "scaled");
        const opt = nn.sgd(2);
        const start = T.treeMap(net.init(T.key(seed)), (t) => T.cast(t, "float32"));
        // Sparse inputs, like MNIST's: about half the pixels zero.
        const pixels = (i: number) => Array.from({ length: batch * sizes[0] }, (_, j) => ((j * 7 + i * 13 + seed) % 11 < 5 ? 0 : ((j + seed) % 97) / 97));
        const batches = Array.from({ length: 3 }, (_, i) => ({
          x: T.fromArray(pixels(i), [batch, sizes[0]], "float32"),
          y: T.cast(T.uniform(T.key(seed + 20 + i), [batch, sizes[2]]), "float32"),
        }));
        const runs = [{ jit: false }, { jit: true, donate: true }].map((options) => runSteps(nn.step(net, nn.quadratic, opt, options), opt, start, batches));
        assert.deepEqual(runs[1], runs[0]);
      }),
      { numRuns: 40 },
    );
  });
  assert.ok(fused > 0, "no fused call was made");
});

for (const [k] of backends) {
  test(`jit traces once per kind of arguments and replays after, and runs eagerly under a transform (counted, ${k.name} kernels)`, () => T.withKernels(k, () => {
    const f = T.jit((a: T.Tensor, scale: number) => T.sum(T.mul(T.sigmoid(a), scale)));
    const a = T.uniform(T.key(1), [3, 4]), b = T.uniform(T.key(2), [3, 4]);
    f(a, 2);
    assert.deepEqual(T.jitCounts(f), { traces: 1, replays: 0, eager: 0 });
    f(b, 2); // the same kinds of arguments: a replay
    f(a, 2);
    assert.deepEqual(T.jitCounts(f), { traces: 1, replays: 2, eager: 0 });
    f(T.uniform(T.key(3), [5, 4]), 2); // a new shape traces
    f(a, 3); // a new static value traces
    assert.deepEqual(T.jitCounts(f), { traces: 3, replays: 2, eager: 0 });
    f(T.uniform(T.key(4), [5, 4]), 2); // the [5, 4] trace again
    assert.equal(T.jitCounts(f)?.replays, 3);
    T.grad((x: T.Tensor) => f(x, 2))(a); // under grad: eager, so the tape sees every op
    T.vmap((x: T.Tensor) => f(x, 2))(T.uniform(T.key(5), [2, 3, 4]));
    assert.deepEqual(T.jitCounts(f), { traces: 3, replays: 3, eager: 2 });
    assert.equal(T.jitCounts((x: number) => x), undefined, "only jitted functions have counts");
  }));
}

// The jit rows of the transforms' table (moved from transforms.test.ts, where they sat beside grad and vmap).
type Tensor = T.Tensor;
const data = (t: Tensor) => Array.from(t.data);

test("jit under grad: grad(jit(f)) at new points gives new gradients", () => {
  const jf = T.jit((w: Tensor) => T.sum(T.square(w)));
  assert.deepEqual([[1, 2], [2, 3], [3, 4]].map((p) => data(T.grad(jf)(T.tensor(p)))), [[2, 4], [4, 6], [6, 8]]);
});

test("jit with a number argument traces anew for each value", () => {
  const jm = T.jit((x: Tensor, a: number) => T.mul(x, a));
  assert.deepEqual(data(jm(T.tensor([1, 2]), 2)), [2, 4]);
  assert.deepEqual(data(jm(T.tensor([1, 2]), 3)), [3, 6]);
  assert.deepEqual(data(jm(T.tensor([1, 2]), 2)), [2, 4]);
});

test("jit is not fooled by aliasing at trace time, nor by an argument that is also a captured constant", () => {
  const ja = T.jit((p: { a: Tensor; b: Tensor }) => T.add(T.mul(p.a, 2), T.mul(p.b, 3)));
  const z = T.ones([2]);
  assert.deepEqual(data(ja({ a: z, b: z })), [5, 5]);
  assert.deepEqual(data(ja({ a: T.tensor([1, 1]), b: T.tensor([10, 10]) })), [32, 32]);
  const c = T.tensor([1]);
  const jc = T.jit((x: Tensor) => T.add(x, c));
  assert.deepEqual(data(jc(c)), [2]);
  assert.deepEqual(data(jc(T.tensor([5]))), [6]);
});

test("nn.step (jit on) on a network whose two biases start as one shared zeros equals the eager step", () => {
  const net = nn.network([3, 4, 4, 2], "scaled");
  const shared = T.zeros([4]);
  let sharedCount = 0;
  const start = T.treeMap(net.init(T.key(7)), (l, path) => (path.endsWith(".b") && l.size === 4 ? (sharedCount++, shared) : l));
  assert.equal(sharedCount, 2);
  const opt = nn.momentum(0.5, 0.9);
  const run = (jit: boolean, donate: boolean) => {
    const s = nn.step(net, nn.quadratic, opt, { jit, donate });
    let params: T.Tree = start, state = opt.init(start);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = s(params, state, { x: T.uniform(T.key(10 + i), [3, 3]), y: T.uniform(T.key(20 + i), [3, 2]) });
      ({ params, optState: state } = r);
      losses.push(r.loss);
      if (donate) ({ params, state } = { params: copy(params), state: copy(state) });
    }
    return { losses, params: T.treeLeaves(params).flatMap(data) };
  };
  const copy = (t: T.Tree) => T.treeMap(t, (l) => new T.Tensor(l.shape, l.data.slice()));
  const eager = run(false, false);
  assert.deepEqual(run(true, false), eager);
  assert.deepEqual(run(true, true), eager);
});
