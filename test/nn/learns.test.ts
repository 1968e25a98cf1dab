import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";

const xor = { x: T.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y: T.tensor([[1, 0], [0, 1], [0, 1], [1, 0]]) };

function trainXor(opt: nn.Optimizer, cost: nn.Cost, steps: number): number {
  const net = nn.network([2, 8, 2]);
  let params = net.init(T.key(42));
  let state = opt.init(params);
  const s = nn.step(net, cost, opt);
  for (let i = 0; i < steps; i++) ({ params, optState: state } = s(params, state, xor));
  const predicted = T.argmaxRows(net.apply(params, xor.x));
  const truth = T.argmaxRows(xor.y);
  return predicted.filter((p, i) => p === truth[i]).length / truth.length;
}

test("a tiny network learns XOR to 100% with sgd", () => {
  assert.equal(trainXor(nn.sgd(3), nn.quadratic, 2000), 1);
});

test("a tiny network learns XOR to 100% with momentum and cross-entropy", () => {
  assert.equal(trainXor(nn.momentum(0.5, 0.9), nn.crossEntropy, 500), 1);
});

test("a user-defined cost trains with no gradient code (Huber, δ = 0.5)", () => {
  // (Mean absolute error, whose gradient never shrinks, stalls on XOR for some seeds; Huber does not.)
  const huber: nn.Cost = (a, y) => {
    const err = T.abs(T.sub(a, y));
    const small = T.clip(err, 0, 0.5);
    return T.mean(T.sum(T.sub(T.mul(T.square(small), 0.5), T.mul(T.sub(small, err), 0.5)), 1));
  };
  assert.equal(trainXor(nn.sgd(3), huber, 3000), 1);
});

test("a run's history keeps numbers only, so memory stays flat however many epochs (500 here)", async () => {
  const net = nn.network([2, 4, 2], "scaled");
  const examples = (n: number): nn.Examples => ({
    size: n,
    gather: (idx) => ({ x: T.tensor(Array.from(idx, (i) => [i % 2, (i >> 1) % 2])), y: T.tensor(Array.from(idx, (i) => ((i % 2) ^ ((i >> 1) % 2) ? [0, 1] : [1, 0]))) }),
  });
  const setup = { net, cost: nn.quadratic, optimizer: nn.sgd(1), data: examples(4), evalData: examples(2000), monitors: { training: examples(4) }, epochs: 500, batchSize: 4, key: T.key(1) };
  const before = process.memoryUsage().arrayBuffers;
  const out = await nn.train(setup, nn.initialState(net, setup.optimizer, T.key(1)));
  assert.equal(out.state.history.length, 500);
  // Only numbers, at any depth: no per-example predictions, no confusion matrices.
  const numbersOnly = (v: unknown): boolean => typeof v === "number" || (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v) && Object.values(v).every(numbersOnly));
  out.state.history.forEach((h, i) => assert.ok(numbersOnly(h), `history[${i}] holds more than numbers: ${Object.keys(h.evaluation ?? {})}`));
  // 500 epochs of a 2,000-example set's predictions would be 4 MB of arrays kept alive.
  assert.ok(process.memoryUsage().arrayBuffers - before < 4e6, `${process.memoryUsage().arrayBuffers - before} bytes of arrays more`);
});
