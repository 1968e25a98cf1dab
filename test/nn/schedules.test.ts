import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";

/** A history whose validation accuracies (in %) are `accs`. */
const historyOf = (accs: number[]): nn.EpochSummary[] =>
  accs.map((a, epoch) => ({ epoch, trainCost: 1, seconds: 0, monitors: { validation: { correct: a, total: 100, cost: 0 } } }));

/** The η scales and stop decisions a schedule gives after each prefix of a history. */
function run(s: nn.Schedule, accs: number[]): { scales: number[]; stopAt: number | undefined } {
  const scales: number[] = [];
  for (let n = 0; n <= accs.length; n++) {
    const d = s(historyOf(accs.slice(0, n)));
    if (d.stop) return { scales, stopAt: n };
    scales.push(d.etaScale);
  }
  return { scales, stopAt: undefined };
}

test("step decay multiplies η by the factor every N epochs", () => {
  assert.deepEqual(run(nn.stepDecay(2, 0.5), [1, 2, 3, 4, 5]).scales, [1, 1, 0.5, 0.5, 0.25, 0.25]);
});

test("exponential decay multiplies η by γ each epoch", () => {
  assert.deepEqual(run(nn.exponentialDecay(0.5), [1, 2, 3]).scales, [1, 0.5, 0.25, 0.125]);
});

test("halve-on-plateau halves η after N epochs without improvement and stops at η/128", () => {
  // Improves for 3 epochs, then never again: halvings every 2 epochs from there.
  const r = run(nn.halveOnPlateau(2), [50, 60, 70, ...new Array(20).fill(65)]);
  assert.deepEqual(r.scales, [1, 1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625, 0.0625, 0.03125, 0.03125, 0.015625, 0.015625]);
  assert.equal(r.stopAt, 17);
  // An improvement resets the count.
  assert.deepEqual(run(nn.halveOnPlateau(2), [50, 50, 60, 60]).scales, [1, 1, 1, 1, 1]);
});

test("early stopping stops N epochs after the best one, and combine multiplies scales", () => {
  assert.equal(run(nn.earlyStopping(3), [10, 30, 20, 25, 31, 5]).stopAt, undefined);
  assert.equal(run(nn.earlyStopping(3), [10, 30, 20, 25, 29, 28]).stopAt, 5);
  assert.deepEqual(run(nn.combine(nn.stepDecay(1, 0.5), nn.exponentialDecay(0.5)), [1, 2]).scales, [1, 0.25, 0.0625]);
});

test("the loop stops early and its best state holds the parameters of the best epoch", async () => {
  // A learnable task whose validation set is noise: accuracy peaks early by chance, then stalls.
  const s = new T.Stream(T.key(3));
  const make = (n: number, noise: boolean): nn.Examples => {
    const x = Array.from({ length: n * 4 }, () => s.nextFloat());
    const labels = Array.from({ length: n }, (_, i) => (noise ? s.nextInt(2) : x[i * 4] > 0.5 ? 1 : 0));
    return {
      size: n,
      gather: (idx) => ({
        x: T.fromArray(Array.from(idx).flatMap((i) => x.slice(i * 4, i * 4 + 4)), [idx.length, 4]),
        y: T.fromArray(Array.from(idx).flatMap((i) => (labels[i] === 1 ? [0, 1] : [1, 0])), [idx.length, 2]),
      }),
    };
  };
  const net = nn.network([4, 5, 2]);
  const paramsByEpoch: T.Tree[] = [];
  const outcome = await nn.train(
    { net, cost: nn.quadratic, optimizer: (scale) => nn.sgd(2 * scale), schedule: nn.earlyStopping(3), data: make(200, false), monitors: { validation: make(60, true) }, epochs: 50, batchSize: 10, key: T.key(1) },
    nn.initialState(net, nn.sgd(2), T.key(1)),
    { onEpoch: (_r, state) => void paramsByEpoch.push(state.params) },
  );
  assert.equal(outcome.kind, "stopped");
  const { history, best } = outcome.state;
  assert.ok(history.length < 50);
  const bestIndex = history.indexOf(nn.bestEpoch(history)!);
  assert.equal(best?.epoch, bestIndex);
  assert.equal(history.length - 1 - bestIndex, 3, "stopped 3 epochs after the best");
  assert.ok(nn.treesEqual(best!.params, paramsByEpoch[bestIndex]));
});
