/** Tensors whose memory is reused (jit's donated outputs, the batch gatherer's batches) fail loudly when read late, and nothing of tsgrad's reads them late. */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { batchGatherer, type Dataset } from "../../datasets/index.ts";

const wasm = T.createWasmKernels({ arenaBytes: 1 << 22, persistentBytes: 1 << 22 });

function withPoisoning<R>(f: () => R): R {
  T.poisonReused(true);
  try {
    return f();
  } finally {
    T.poisonReused(false);
  }
}

for (const k of [T.referenceKernels, T.fastKernels, wasm]) {
  test(`a donated jit call's output is poisoned when the call after next reuses its memory (${k.name} kernels)`, () => T.withKernels(k, () => withPoisoning(() => {
    const dtype = k === wasm ? "float32" : "float64";
    const f = T.jit((x: T.Tensor) => T.add(T.mul(x, 2), 1), { donate: true });
    const traced = f(T.cast(T.tensor([1, 2, 3]), dtype)); // the trace: ordinary tensors
    const first = f(traced); // replays hand out their buffers, two sets in turn
    const second = f(first);
    assert.deepEqual(Array.from(second.data), [15, 23, 31], "read while valid");
    f(second); // writes the buffers `first` lives in
    assert.throws(() => first.data, /a tensor from a donated jit call was read after its memory was reused/);
    assert.deepEqual(Array.from(second.data), [15, 23, 31], "the last call's input is still valid");
    assert.deepEqual(Array.from(traced.data), [3, 5, 7], "the trace's own output is never reused");
  })));
}

test("the batch gatherer's batch is poisoned when the one after next is gathered (wasm)", () => T.withKernels(wasm, () => withPoisoning(() => {
  const ds: Dataset = { count: 4, features: 2, classes: 2, images: Uint8Array.from([0, 255, 255, 0, 51, 102, 0, 0]), labels: Uint8Array.from([1, 0, 1, 0]) };
  const next = batchGatherer(ds, "float32");
  const a = next([0, 1]);
  next([2, 3]);
  assert.deepEqual(Array.from(a.x.data), [0, 1, 1, 0], "valid until the one after next");
  next([1, 2]);
  assert.throws(() => a.x.data, /a tensor from batchGatherer was read after its memory was reused/);
  assert.throws(() => a.y.data);
})));

test("nn's training loop never reads a reused tensor: with poisoning on it trains to the same numbers", async () => {
  // The loop awaits between batches: the kernels are set for the whole test, not by withKernels.
  const previous = T.setKernels(wasm);
  try {
  const images = Uint8Array.from({ length: 64 * 16 }, (_, i) => (i * 53) % 256);
  const labels = Uint8Array.from({ length: 64 }, (_, i) => i % 3);
  const ds: Dataset = { count: 64, features: 16, classes: 3, images, labels };
  const data: nn.Examples = { size: 64, gather: (i) => batchGatherer(ds, "float32")(i), reusingGather: () => batchGatherer(ds, "float32") };
  const net = nn.network([16, 8, 3], "scaled");
  const run = async () => {
    const setup = { net, cost: nn.quadratic, optimizer: nn.momentum(0.5, 0.9), data, evalData: data, epochs: 3, batchSize: 4, key: T.key(2) };
    const start = nn.initialState({ ...net, init: (key) => T.treeMap(net.init(key), (t) => T.cast(t, "float32")) }, setup.optimizer, T.key(2));
    const seen: number[] = [];
    const out = await nn.train(setup, start, { onBatch: (_d, _t, cost, params) => seen.push(cost, T.treeLeaves(params)[0].data[0]) });
    return { seen, params: T.treeLeaves(out.state.params).flatMap((l) => Array.from(l.data)) };
  };
  const plain = await run();
  const poisoned = await (async () => {
    T.poisonReused(true);
    try {
      return await run();
    } finally {
      T.poisonReused(false);
    }
  })();
  assert.deepEqual(poisoned, plain);
  } finally {
    T.setKernels(previous);
  }
});

test("withKernels refuses an async function (it would go on after its first await on other kernels, silently)", async () => {
  assert.throws(() => T.withKernels(wasm, async () => 1), /withKernels: f returned a promise/);
  assert.equal(T.withKernels(wasm, () => T.kernels()), wasm);
});
