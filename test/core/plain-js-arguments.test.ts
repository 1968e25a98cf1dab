/**
 * What plain JavaScript can pass that TypeScript would refuse: each is an error naming the function, the
 * argument and what it got, never a NaN, a coerced number or a crash deep inside (issue 26, item 4).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";

// As a JavaScript caller would: no types.
const js = <F extends (...a: never[]) => unknown>(f: F) => f as unknown as (...a: unknown[]) => unknown;

test("binary ops take tensors and numbers only: arrays, strings, null and undefined are errors, not NaN or coercions", () => {
  const x = T.tensor([1, 2]);
  assert.throws(() => js(T.mul)(x, [1, 2]), /^Error: mul: operand 2 must be a Tensor or a number, got an array \(make it one with tensor\(…\)\)$/);
  assert.throws(() => js(T.add)(x, undefined), /^Error: add: operand 2 must be a Tensor or a number, got undefined$/);
  assert.throws(() => js(T.mul)(x, "3"), /^Error: mul: operand 2 must be a Tensor or a number, got the string "3"$/);
  assert.throws(() => js(T.add)(null, x), /^Error: add: operand 1 must be a Tensor or a number, got null$/);
  assert.throws(() => js(T.where)([1], x, x), /where: the condition must be a Tensor, got an array/);
  assert.deepEqual(Array.from(T.mul(x, 3).data), [3, 6]); // a number is still a scalar
});

test("ops and the functions in front of them name a non-tensor argument", () => {
  assert.throws(() => js(T.sigmoid)(3), /^Error: sigmoid: argument 1 must be a Tensor, got the number 3$/);
  assert.throws(() => js(T.sum)([1, 2, 3]), /^Error: sum: argument 1 must be a Tensor, got an array \(make it one with tensor\(…\)\)$/);
  assert.throws(() => js(T.matmul)(T.tensor([[1]]), { data: [1] }), /^Error: matmul: argument 2 must be a Tensor, got an Object$/);
  assert.throws(() => js(T.reshape)("x", [1]), /reshape: argument 1 must be a Tensor, got the string "x"/);
  assert.throws(() => js(T.softmax)(undefined), /softmax: argument 1 must be a Tensor, got undefined/);
});

test("tensor() takes typed arrays, and says where nested arrays go wrong", () => {
  const t = T.tensor(new Float32Array([1, 2, 3]), "float32");
  assert.deepEqual([t.shape, t.dtype, Array.from(t.data)], [[3], "float32", [1, 2, 3]]);
  assert.deepEqual(Array.from(T.tensor(Int16Array.from([-1, 5])).data), [-1, 5]);
  assert.throws(() => js(T.tensor)([1, "2"]), /^Error: tensor: expected a number at \[1\], got the string "2"$/);
  assert.throws(() => js(T.tensor)({ a: 1 }), /^Error: tensor: expected a number, nested arrays of numbers or a typed array, got an Object$/);
  assert.throws(() => js(T.tensor)([[1, 2], [3]]), /^Error: tensor: ragged nested array: \[1\] has 1 entries where \[0\] has 2$/);
  assert.throws(() => js(T.tensor)([[1, 2], 3]), /^Error: tensor: ragged nested array: \[1\] is the number 3 where an array of 2 was expected$/);
  assert.throws(() => js(T.tensor)([1, 2], "int8"), /tensor: dtype must be "float32" or "float64", got the string "int8"/);
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  assert.throws(() => js(T.tensor)(deep), /tensor: arrays nested more than 32 deep/);
});

test("printing shows NaN and ±Infinity, and summarises a large tensor as numpy does", () => {
  assert.equal(T.tensor([1, NaN, Infinity, -Infinity]).toString(), "Tensor[4]([1, NaN, Infinity, -Infinity])");
  assert.equal(T.tensor([[1, 2], [3, 4]]).toString(), "Tensor[2x2]([[1, 2], [3, 4]])");
  assert.equal(T.scalar(2.5).toString(), "Tensor[scalar](2.5)");
  const big = T.fromArray(Array.from({ length: 10_000 }, (_, i) => i), [100, 100]).toString();
  assert.ok(big.length < 300, `${big.length} characters`);
  assert.equal(big, "Tensor[100x100]([[0, 1, 2, …, 97, 98, 99], [100, 101, 102, …, 197, 198, 199], [200, 201, 202, …, 297, 298, 299], …, [9700, 9701, 9702, …, 9797, 9798, 9799], [9800, 9801, 9802, …, 9897, 9898, 9899], [9900, 9901, 9902, …, 9997, 9998, 9999]])");
});

test("random functions check their key, shape and counts", () => {
  const k = T.key(0);
  assert.throws(() => js(T.normal)(k, 3), /^Error: normal: the shape must be an array of whole numbers ≥ 0, e\.g\. \[3\] or \[2, 3\], got the number 3$/);
  assert.throws(() => js(T.normal)(k, [2, 1.5]), /normal: the shape must be an array of whole numbers ≥ 0.*\[2,1\.5\]/);
  assert.throws(() => js(T.uniform)(k, [2], 1, 0), /uniform: expected finite bounds lo ≤ hi, got the number 1 and the number 0/);
  assert.throws(() => js(T.permutation)(k, NaN), /^Error: permutation: n must be a whole number ≥ 0, got the number NaN$/);
  assert.throws(() => js(T.permutation)(42, 3), /permutation: expected a key \(from key\(seed\), split or foldIn\), got the number 42/);
  assert.throws(() => js(T.split)(k, -1), /split: the number of keys must be a whole number ≥ 0, got the number -1/);
  assert.throws(() => js(T.foldIn)(k, 0.5), /foldIn: n must be a whole number, got the number 0.5/);
});

test("a tree that contains itself is an error saying so, not a stack overflow", () => {
  const a: Record<string, unknown> = { w: T.tensor([1]) };
  a.self = a;
  assert.throws(() => js(T.treeLeaves)(a), /^Error: treeLeaves: the tree is nested more than 1000 deep: does an object contain itself\?$/);
  assert.throws(() => js(T.treeMap)(a, (t: T.Tensor) => t), /treeMap: the tree is nested more than 1000 deep \(at self\.self\.self/);
  assert.throws(() => T.grad((p: { w: T.Tensor }) => T.sum(p.w))(a as unknown as { w: T.Tensor }), /nested more than 1000 deep|a cycle/);
});

test("a Left prints its message as JSON (an Error's message is otherwise left out), and a huge image is refused at once", async () => {
  const { decodeSpec } = await import("../../nn/index.ts");
  const { toMnistDigit } = await import("../../datasets/index.ts");
  assert.equal(JSON.stringify(decodeSpec({ input: -1 })), '{"_tag":"Left","left":{"message":"network spec field input: expected a whole number ≥ 1, got -1"}}');
  const t0 = Date.now();
  const r = toMnistDigit({ width: 1e9, height: 1, rgba: new Uint8Array(4) });
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(r._tag === "Left" ? r.left.message : "", "image of 1000000000 × 1 needs 4000000000 RGBA bytes, got 4");
  assert.equal(JSON.stringify(js(toMnistDigit)({ width: 2, height: 2, rgba: [1, 2] })), '{"_tag":"Left","left":{"message":"image must be {width, height, rgba} with rgba a Uint8Array or Uint8ClampedArray of width × height × 4 bytes"}}');
});

test("compile decodes a spec from plain JavaScript: an unknown layer or init is named at once, not met inside init", async () => {
  const { compile } = await import("../../nn/index.ts");
  assert.throws(() => js(compile)({ input: 4, layers: [{ dense: 3 }, "gelu"] }), /network spec field layers\[1\]: expected .* got "gelu"/);
  assert.throws(() => js(compile)({ input: 4, layers: [{ dense: 3, init: "xavier" }] }), /network spec field layers\[0\]\.init: expected "normal", "scaled" or "he", got "xavier"/);
});

test("axes and scalars are checked for their kind too", () => {
  const x = T.tensor([[1, 2], [3, 4]]);
  assert.throws(() => js(T.mean)(x, "0"), /^Error: mean: axis must be a whole number or an array of them, got the string "0"$/);
  assert.throws(() => T.sum(x, 1.5), /^Error: sum: axis must be a whole number, got the number 1\.5$/);
  assert.throws(() => T.sum(x, 5), /^Error: sum: axis 5 is out of range for \[2x2\]$/);
  assert.throws(() => js(T.slice)(x, "1", 0, 1), /^Error: slice: axis must be a whole number, got the string "1"$/);
  assert.throws(() => js(T.scalar)("3"), /^Error: scalar: expected a number, got the string "3"$/);
  assert.deepEqual(Array.from(T.sum(x, -1).data), [3, 7]);
});
