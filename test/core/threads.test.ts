import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { cast, conv2d, createWasmKernels, fromArray, jit, key, maxPool2d, relu, square, sum, treeLeaves, treeMap, valueAndGrad, withKernels, type Tree, type WasmKernels } from "../../core/index.ts";
import { network, quadratic, sgd, step } from "../../nn/index.ts";
import { startHelperThread } from "../../node/index.ts";

const small = { arenaBytes: 4 << 20, persistentBytes: 4 << 20, residentBytes: 0 };

async function running(k: WasmKernels): Promise<void> {
  for (let i = 0; i < 500 && k.threads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(k.threads(), 2, "the helper thread did not start");
}

// MNIST-like operands: a sparse non-negative batch, dense weights and deltas.
const sparse = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => ((i * 7919 + seed * 104729) % 5 < 3 ? 0 : ((i * 31 + seed) % 255) / 255));
const dense = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37 + seed));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test("with a helper thread, the products and updates are computed in halves: the same numbers whether or not it runs, and the weight gradient and update equal one thread's bit for bit", async () => {
  const one = createWasmKernels(small);
  const neverStarted = createWasmKernels({ ...small, startHelper: () => {} }); // its halves all run on this thread
  const two = createWasmKernels({ ...small, startHelper: startHelperThread });
  await running(two);
  try {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 200, max: 800 }), fc.integer({ min: 17, max: 140 }), fc.integer({ min: 0, max: 1000 }), (m, k, n, seed) => {
        const x = sparse(m * k, seed), w = dense(k * n, seed), d = dense(m * n, seed + 1);
        const run = (kk: WasmKernels) => {
          const forward = new Float32Array(m * n), gradient = new Float32Array(k * n), updated = new Float32Array(k * n);
          kk.matmul(x, w, forward, m, k, n, false, false);
          kk.matmul(x, d, gradient, k, m, n, true, false);
          kk.axpy(-0.3, gradient, w, updated);
          return { forward, gradient, updated };
        };
        const a = run(one), b = run(neverStarted), c = run(two);
        assert.deepEqual(bits(c.forward), bits(b.forward));
        assert.deepEqual(bits(c.gradient), bits(b.gradient));
        assert.deepEqual(bits(c.updated), bits(b.updated));
        assert.deepEqual(bits(c.gradient), bits(a.gradient));
        assert.deepEqual(bits(c.updated), bits(a.updated));
        // The forward product sums two halves of the inner dimension: rounded differently, within float32
        // summation error (k roundings of at most 2^-24 of the sum of the terms' sizes, for either order).
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let size = 0;
          for (let p = 0; p < k; p++) size += Math.abs(x[i * k + p] * w[p * n + j]);
          const at = i * n + j;
          assert.ok(Math.abs(c.forward[at] - a.forward[at]) <= k * 2 ** -23 * size, `forward[${at}]: ${c.forward[at]} vs ${a.forward[at]}`);
        }
      }),
      { numRuns: 40 },
    );
    assert.equal(two.threads(), 2);
  } finally {
    two.close();
  }
  assert.equal(two.threads(), 1);
});

test("training steps on two threads are reproducible: the same parameters as with the helper never started, and after it is closed", async () => {
  const net = network([784, 30, 10]);
  const opt = sgd(3);
  const batches = Array.from({ length: 6 }, (_, b) => ({ x: sparse(10 * 784, b), y: Float32Array.from({ length: 100 }, (_, i) => (i % 10 === b ? 1 : 0)) }));
  const train = (k: WasmKernels, steps: number): Tree =>
    withKernels(k, () => {
      let params: Tree = treeMap(net.init(key(3)), (t) => cast(t, "float32"));
      let state: Tree = opt.init(params);
      const update = step(net, quadratic, opt, { donate: true });
      for (let i = 0; i < steps; i++) {
        const b = batches[i % batches.length];
        const r = update(params, state, { x: fromArray(b.x, [10, 784], "float32"), y: fromArray(b.y, [10, 10], "float32") });
        ({ params, optState: state } = r);
      }
      return treeMap(params, (t) => cast(t, "float32"));
    });
  const two = createWasmKernels({ ...small, startHelper: startHelperThread });
  await running(two);
  const threaded = train(two, 12);
  two.close();
  const closed = train(two, 12);
  const alone = train(createWasmKernels({ ...small, startHelper: () => {} }), 12);
  const leaves = (t: Tree) => treeLeaves(t).map((l) => bits(l.data as Float32Array));
  assert.deepEqual(leaves(threaded), leaves(alone));
  assert.deepEqual(leaves(closed), leaves(alone));
});

test("without shared memory (a page that is not cross-origin isolated) a helper thread asked for is not started: one thread, the same numbers, and a note", () => {
  const scope = globalThis as { crossOriginIsolated?: boolean };
  const before = scope.crossOriginIsolated;
  scope.crossOriginIsolated = false;
  let started = false;
  let isolatedNot: WasmKernels;
  try {
    isolatedNot = createWasmKernels({ ...small, startHelper: () => void (started = true) });
  } finally {
    if (before === undefined) delete scope.crossOriginIsolated;
    else scope.crossOriginIsolated = before;
  }
  assert.equal(started, false);
  assert.equal(isolatedNot.threads(), 1);
  assert.match(isolatedNot.note ?? "", /shared memory is not available here .*cross-origin isolated.*one thread/);
  const one = createWasmKernels(small);
  assert.equal(one.note, undefined);
  const net = network([20, 12, 5]);
  const opt = sgd(1);
  const losses = [one, isolatedNot].map((k) => withKernels(k, () => {
    const s = step(net, quadratic, opt);
    let params: Tree = treeMap(net.init(key(4)), (t) => cast(t, "float32")), state: Tree = opt.init(params);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      const x = cast(fromArray(Array.from({ length: 60 }, (_, j) => ((i * 13 + j * 7) % 10) / 10), [3, 20]), "float32");
      const y = cast(fromArray(Array.from({ length: 15 }, (_, j) => (j % 5 === i % 5 ? 1 : 0)), [3, 5]), "float32");
      const r = s(params, state, { x, y });
      ({ params, optState: state } = r);
      out.push(r.loss);
    }
    return [...out, ...treeLeaves(params).flatMap((l) => Array.from(l.data))];
  }));
  assert.deepEqual(losses[1], losses[0]);
});

test("tall products (a convolution's patches times its filters, plain and with the filters transposed) split by rows on two threads: one thread's numbers, bit for bit", async () => {
  const one = createWasmKernels(small);
  const two = createWasmKernels({ ...small, startHelper: startHelperThread });
  await running(two);
  try {
    fc.assert(
      // m·n above 65,536: too tall for the split over the inner dimension (which rounds differently), so by rows.
      fc.property(fc.integer({ min: 1400, max: 3000 }), fc.integer({ min: 9, max: 120 }), fc.integer({ min: 48, max: 64 }), fc.integer({ min: 0, max: 1000 }), (m, k, n, seed) => {
        const cols = sparse(m * k, seed), w = dense(k * n, seed), wt = dense(n * k, seed + 2);
        const run = (kk: WasmKernels) => {
          const nn = new Float32Array(m * n), nt = new Float32Array(m * n);
          kk.matmul(cols, w, nn, m, k, n, false, false);
          kk.matmul(cols, wt, nt, m, k, n, false, true);
          return { nn, nt };
        };
        const a = run(one), b = run(two);
        assert.deepEqual(bits(b.nn), bits(a.nn));
        assert.deepEqual(bits(b.nt), bits(a.nt));
      }),
      { numRuns: 30 },
    );
  } finally {
    two.close();
  }
});

test("a conv-pool network's jitted gradient on two threads (windows split by images, pooling by planes, products by rows) is one thread's, bit for bit", async () => {
  const one = createWasmKernels(small);
  const two = createWasmKernels({ ...small, startHelper: startHelperThread });
  await running(two);
  try {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 1000 }), (batch, seed) => {
        const x = fromArray(Array.from(sparse(batch * 2 * 20 * 20, seed)), [batch, 2, 20, 20], "float32");
        const params = {
          w1: fromArray(Array.from(dense(12 * 2 * 5 * 5, seed)), [12, 2, 5, 5], "float32"), b1: fromArray(Array.from(dense(12, seed + 1)), [12], "float32"),
          w2: fromArray(Array.from(dense(24 * 12 * 3 * 3, seed + 2)), [24, 12, 3, 3], "float32"),
        };
        // Patches of at least 8,192 numbers and pooling over as many: split on two threads.
        const loss = (p: typeof params) => sum(square(maxPool2d(relu(conv2d(maxPool2d(relu(conv2d(x, p.w1, p.b1)), 2), p.w2)), 2)));
        const g = jit(valueAndGrad(loss));
        const a = withKernels(one, () => g(params)), b = withKernels(two, () => g(params));
        for (const [u, v] of treeLeaves(b[1]).map((leaf, i) => [leaf, treeLeaves(a[1])[i]] as const)) assert.deepEqual(bits(u.data as Float32Array), bits(v.data as Float32Array));
        assert.deepEqual(bits(b[0].data as Float32Array), bits(a[0].data as Float32Array));
      }),
      { numRuns: 12 },
    );
  } finally {
    two.close();
  }
});
