/**
 * Chapter 6's pieces in nn: image specs and their shape errors, dropout (random only in training, the same for
 * a key, new under jit for each key), the shifted training set, and a small
 * convolutional network whose gradient equals central differences and which learns.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { shiftedGather, SHIFTS, type Dataset } from "../../datasets/index.ts";

const specError = (v: unknown) => {
  const r = nn.decodeSpec(v);
  return r._tag === "Left" ? r.left.message : "no error";
};
const book = { input: [1, 28, 28], layers: [{ conv: 20, kernel: 5 }, { maxPool: 2 }, "relu", { conv: 40, kernel: 5 }, { maxPool: 2 }, "relu", "flatten", { dense: 100 }, "relu", { dropout: 0.5 }, { dense: 10 }, "softmax"] };

test("the issue's chapter-6 spec is accepted as written, with its shapes and parameter count", () => {
  const r = nn.specShapes(nn.decodeSpec(book)._tag === "Right" ? (book as nn.NetworkSpec) : (assert.fail("rejected") as never));
  assert.ok(r._tag === "Right");
  assert.deepEqual(r.right.shapes.slice(0, 7), [[20, 24, 24], [20, 12, 12], [20, 12, 12], [40, 8, 8], [40, 4, 4], [40, 4, 4], [640]]);
  assert.equal(r.right.parameters, 20 * 25 + 20 + 40 * 20 * 25 + 40 + 640 * 100 + 100 + 100 * 10 + 10);
  const net = nn.compile(book as nn.NetworkSpec);
  assert.equal(net.inputSize, 784);
  assert.equal(net.outputSize, 10);
  assert.equal(net.stochastic, true);
  const params = net.init(T.key(1));
  const out = net.apply(params, T.uniform(T.key(2), [3, 784]));
  assert.deepEqual(out.shape, [3, 10]);
});

test("spec mistakes are one line naming the layer and the shapes", () => {
  assert.match(specError({ input: [1, 6, 6], layers: [{ maxPool: 3 }, { conv: 4, kernel: 5 }, "flatten", { dense: 10 }] }),
    /^network spec: layer 2 \(\{"conv":4,"kernel":5\}\): a 5×5 window does not fit in a 2×2 image \(input \[1x1x2x2\], padding "valid"\)$/);
  assert.match(specError({ input: [1, 28, 28], layers: [{ conv: 20, kernel: 5 }, { maxPool: 2 }, { dense: 100 }, { dense: 10 }] }),
    /^network spec: layer 3 \(\{"dense":100\}\): dense needs a flat input, got \[20, 12, 12\]: put "flatten" before it$/);
  assert.match(specError({ ...book, layers: [...book.layers.slice(0, 9), { dropout: 1.5 }, ...book.layers.slice(10)] }),
    /^network spec field layers\[9\]: expected a rate from 0 up to \(not including\) 1, got 1\.5$/);
  assert.match(specError({ input: 784, layers: [{ conv: 20, kernel: 5 }, "flatten", { dense: 10 }] }), /layer 1 .*conv needs an input of \[channels, height, width\], got \[784\] \(give "input" as a shape/);
  assert.match(specError({ input: [1, 28, 28], layers: [{ conv: 20, kernel: 5 }] }), /the output is \[20, 24, 24\], not one number per class/);
  assert.match(specError({ input: [1, 28, 28], layers: [{ conv: 20, kernel: 5, padding: "full" }] }), /layers\[0\]\.padding: expected "valid" or "same"/);
  assert.match(specError({ input: [1, 28, 28], layers: [{ conv: 20, kernel: 5, strides: 2 }] }), /layers\[0\]: unknown key "strides"/);
});

test("dropout: identity in evaluation; in training the same key gives the same mask, zeros at about the rate, the rest scaled by 1/(1 − rate)", () => {
  const layer = nn.dropout(0.3);
  const x = T.ones([50, 40]);
  assert.equal(layer.apply([], x), x);
  const k = T.keyTensor(T.key(7));
  const a = layer.apply([], x, { key: k }), b = layer.apply([], x, { key: k }), c = layer.apply([], x, { key: T.keyTensor(T.key(8)) });
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
  const zeros = Array.from(a.data).filter((v) => v === 0).length / a.size;
  assert.ok(Math.abs(zeros - 0.3) < 0.03, `fraction dropped ${zeros}`);
  assert.ok(Array.from(a.data).every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-12));
  // Two layers sharing one key (serial salts them) draw different masks.
  const net = nn.serial(nn.dropout(0.5), nn.dropout(0.5));
  const one = nn.dropout(0.5).apply([], x, { key: k, salt: 1 }), both = net.apply([[], []], x, { key: k });
  assert.notDeepEqual(Array.from(one.data), Array.from(both.data));
});

test("under jit, each step's key gives its own mask (never the traced one again), and the numbers equal the eager ones", () => {
  const f = T.jit((x: T.Tensor, key: T.Tensor) => T.mul(x, T.dropoutMask(key, x.shape, 0.5)));
  const x = T.ones([8, 8]);
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const key = T.keyTensor(T.key(i));
    const got = Array.from(f(x, key).data);
    assert.deepEqual(got, Array.from(T.mul(x, T.dropoutMask(key, x.shape, 0.5)).data), `step ${i}`);
    seen.add(got.join());
  }
  assert.equal(seen.size, 5);
});

test("the shifted training set: example i of 5n is image i mod n moved by SHIFTS[⌊i/n⌋], zeros where it left the edge", () => {
  const side = 4, count = 3;
  const images = Uint8Array.from({ length: count * side * side }, (_, i) => (i * 37) % 251);
  const ds: Dataset = { count, features: side * side, classes: 10, images, labels: Uint8Array.from([3, 1, 4]) };
  const all = shiftedGather(ds, side, Int32Array.from({ length: count * SHIFTS.length }, (_, i) => i));
  for (let i = 0; i < count * SHIFTS.length; i++) {
    const image = i % count, [dy, dx] = SHIFTS[Math.floor(i / count)];
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      const fr = r - dy, fc2 = c - dx;
      const want = fr >= 0 && fr < side && fc2 >= 0 && fc2 < side ? images[image * 16 + fr * side + fc2] / 255 : 0;
      assert.equal(all.x.data[i * 16 + r * side + c], want, `example ${i} pixel (${r}, ${c})`);
    }
    assert.equal(all.y.data[i * 10 + ds.labels[image]], 1);
  }
  assert.throws(() => shiftedGather(ds, side, [15]), /index 15 is outside the 15 expanded examples/);
});

test("a small convolutional network: its gradient equals central differences, and it learns", () => {
  const spec = { input: [1, 6, 6], layers: [{ conv: 3, kernel: 3 }, { maxPool: 2 }, "relu", "flatten", { dense: 4, init: "he" }, "softmax"] } as nn.NetworkSpec;
  const net = nn.compile(spec);
  const params = net.init(T.key(3));
  const x = T.uniform(T.key(4), [5, 36]);
  const y = T.tensor(Array.from({ length: 5 }, (_, i) => [0, 1, 2, 3].map((c) => (c === i % 4 ? 1 : 0))));
  T.checkGrads((p: T.Tree) => nn.logLikelihood(net.apply(p, x), y), [params], { order: 1, modes: ["rev"] });
  const update = nn.step(net, nn.logLikelihood, nn.adam(0.01));
  let p: T.Tree = params, s = nn.adam(0.01).init(params);
  const first = nn.logLikelihood(net.apply(p, x), y).item();
  for (let i = 0; i < 200; i++) ({ params: p, optState: s } = update(p, s, { x, y }));
  const last = nn.logLikelihood(net.apply(p, x), y).item();
  assert.ok(last < first / 5, `cost ${first} → ${last}`);
});

test("every spec in examples/specs decodes, compiles and maps 784 pixels to 10 outputs", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const files = readdirSync("examples/specs").filter((f) => f.endsWith(".json"));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const r = nn.decodeSpec(JSON.parse(readFileSync(`examples/specs/${f}`, "utf8")));
    assert.ok(r._tag === "Right", `${f}: ${r._tag === "Left" ? r.left.message : ""}`);
    const net = nn.compile(r.right);
    assert.deepEqual([net.inputSize, net.outputSize], [784, 10], f);
  }
});
