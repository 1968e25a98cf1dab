import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import { encodeIdx, parseIdx, toMnistDigit } from "../../datasets/index.ts";
import * as nn from "../../nn/index.ts";

/** Random bytes, or a valid file with a few bytes changed, cut short or lengthened. */
const validIdx = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
  .map(([n, r, c]) => encodeIdx([n, r, c], Uint8Array.from({ length: n * r * c }, (_, i) => i % 256)));
const mutated = fc.tuple(validIdx, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -8, max: 8 }))
  .map(([bytes, edits, resize]) => {
    const out = new Uint8Array(Math.max(0, bytes.length + resize));
    out.set(bytes.subarray(0, out.length));
    for (const [at, v] of edits) if (out.length > 0) out[at % out.length] = v;
    return out;
  });

test("the IDX reader never throws on random or damaged bytes: it returns a typed error or a consistent file", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
      const r = parseIdx(bytes, "fuzz.idx");
      if (r._tag === "Left") assert.match(r.left.message, /^fuzz\.idx: /);
      else assert.equal(r.right.data.length, r.right.dims.reduce((a, b) => a * b, 1));
    }),
    { numRuns: 500 },
  );
});

const net = nn.network([4, 3, 2]);
const validModel = nn.encodeModel({ net, params: net.init(T.key(1)), options: { eta: 3 }, history: [{ epoch: 0, trainCost: 0.1, seconds: 1, evaluation: { correct: 5, total: 10, cost: 0.2 } }] });

/** JSON-like values: the valid model with random parts replaced, or random JSON. */
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const mutatedModel = fc.tuple(fc.array(fc.tuple(fc.nat(), jsonValue), { minLength: 1, maxLength: 3 })).map(([edits]) => {
  const copy = JSON.parse(JSON.stringify(validModel)) as unknown;
  for (const [at, v] of edits) {
    // Walk to a random place in the tree and replace it.
    let node = copy as Record<string, unknown>;
    let k = at;
    for (;;) {
      const keys = typeof node === "object" && node !== null ? Object.keys(node) : [];
      if (keys.length === 0) break;
      const key = keys[k % keys.length];
      k = Math.floor(k / keys.length);
      const child = node[key];
      if (k === 0 || typeof child !== "object" || child === null) {
        node[key] = v;
        break;
      }
      node = child as Record<string, unknown>;
    }
  }
  return copy;
});

test("the model decoder never throws on random or damaged files: it returns a typed error naming the file", () => {
  assert.equal(nn.decodeModel(validModel, "m.json")._tag, "Right");
  fc.assert(
    fc.property(fc.oneof(jsonValue, mutatedModel), (value) => {
      const r = nn.decodeModel(value, "m.json");
      if (r._tag === "Left") assert.match(r.left.message, /^m\.json/);
      else assert.ok(T.treeLeaves(r.right.params).every((t) => t.data.every(Number.isFinite)));
    }),
    { numRuns: 300 },
  );
});

test("the digit normaliser never throws on random images", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (w, h, seed) => {
      const s = new T.Stream(T.key(Math.abs(seed)));
      const rgba = Uint8Array.from({ length: w * h * 4 }, () => s.nextInt(256));
      const r = toMnistDigit({ width: w, height: h, rgba });
      if (r._tag === "Right") {
        assert.equal(r.right.length, 784);
        assert.ok(r.right.every((v) => v >= 0 && v <= 1));
      }
    }),
    { numRuns: 100 },
  );
});

test("a model file asking for an enormous network is refused before anything is allocated", () => {
  const huge = { ...(validModel as Record<string, unknown>), spec: { input: 784, layers: [{ dense: 100_000_000 }, "sigmoid"] } };
  const r = nn.decodeModel(huge, "m.json");
  assert.equal(r._tag, "Left");
  assert.match(r._tag === "Left" ? r.left.message : "", /^m\.json: the network has 78500000000 parameters; at most 50000000 are supported$/);
});
