import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";

const errorOf = (value: unknown): string => {
  const r = nn.decodeSpec(value);
  assert.equal(r._tag, "Left", `expected ${JSON.stringify(value)} to be rejected`);
  return r._tag === "Left" ? r.left.message : "";
};

test("a valid spec compiles to the seed's shapes", () => {
  const r = nn.decodeSpec({ input: 784, layers: [{ dense: 30 }, "sigmoid", { dense: 10, init: "scaled" }, "softmax"] });
  assert.equal(r._tag, "Right");
  if (r._tag !== "Right") return;
  const net = nn.compile(r.right);
  assert.equal(net.outputSize, 10);
  const params = net.init(T.key(0));
  assert.deepEqual(T.treeLeaves(params).map((p) => p.shape), [[30], [784, 30], [10], [30, 10]]);
  const y = net.apply(params, T.zeros([5, 784]));
  assert.deepEqual(y.shape, [5, 10]);
});

test("invalid specs are rejected with a message naming the bad field", () => {
  assert.match(errorOf({ input: 784, layers: [{ dense: 30 }, "sigmoidd"] }), /field layers\[1\]: expected \{"dense": units\}.*one of "sigmoid".*got "sigmoidd"/);
  assert.match(errorOf({ input: 784, layers: [{ dense: 0 }] }), /field layers\[0\]\.dense: expected a whole number ≥ 1, got 0/);
  assert.match(errorOf({ input: 784, layers: [{ dense: -3 }, "sigmoid"] }), /layers\[0\]\.dense/);
  assert.match(errorOf({ input: 0, layers: [] }), /field input: expected a whole number ≥ 1, got 0/);
  assert.match(errorOf({ input: 78.4, layers: [] }), /field input/);
  assert.match(errorOf({ layers: [] }), /field input: expected a whole number ≥ 1, got nothing/);
  assert.match(errorOf({ input: 784, layers: "dense" }), /field layers: expected an array of layers/);
  assert.match(errorOf({ input: 784, layers: [{ dense: 10, init: "zeros" }] }), /layers\[0\]/);
});

test("network(sizes) is the seed's Network(sizes): dense + sigmoid per layer, weights in×out", () => {
  const net = nn.network([784, 30, 10]);
  assert.deepEqual(net.spec.layers, [{ dense: 30, init: "normal" }, "sigmoid", { dense: 10, init: "normal" }, "sigmoid"]);
  const [l1] = net.init(T.key(1)) as readonly { w: T.Tensor }[];
  assert.deepEqual(l1.w.shape, [784, 30]);
});

test("scaled initialisation has weights of variance 1/n_in", () => {
  const [l1] = nn.network([400, 50, 10], "scaled").init(T.key(3)) as readonly { w: T.Tensor }[];
  const w = Array.from(l1.w.data);
  const v = w.reduce((a, b) => a + b * b, 0) / w.length;
  assert.ok(Math.abs(v * 400 - 1) < 0.05, `variance·n_in = ${v * 400}`);
});

test("a spec's dense layer without init draws fan-in scaled weights; the seed's network keeps N(0, 1) bit for bit", () => {
  const variance = (t: T.Tensor) => Array.from(t.data).reduce((a, b) => a + b * b, 0) / t.size;
  const spec = nn.compile({ input: 400, layers: [{ dense: 50 }, "relu", { dense: 10 }, "softmax"] });
  const [l1] = spec.init(T.key(3)) as readonly { w: T.Tensor }[];
  assert.ok(Math.abs(variance(l1.w) * 400 - 1) < 0.05, `variance·n_in = ${variance(l1.w) * 400}`);
  // The seed's: w and b drawn N(0, 1) from the layer's key, exactly as an explicit "normal" layer draws them.
  const seed = nn.network([400, 50, 10]).init(T.key(3)) as readonly { w: T.Tensor; b: T.Tensor }[];
  const explicit = nn.compile({ input: 400, layers: [{ dense: 50, init: "normal" }, "sigmoid", { dense: 10, init: "normal" }, "sigmoid"] }).init(T.key(3)) as readonly { w: T.Tensor; b: T.Tensor }[];
  assert.ok(nn.treesEqual(seed, explicit));
  assert.ok(Math.abs(variance(seed[0].w) - 1) < 0.05);
});
