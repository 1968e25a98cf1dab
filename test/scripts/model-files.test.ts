/** Model and checkpoint files of any size (safetensors), and inputs that are not what they should be: each one line, exit 2, at once. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { key } from "../../core/index.ts";
import { decodeCheckpoint, decodeModel, decodeSafetensors, encodeCheckpointSafetensors, encodeModelSafetensors, initialState, momentum, network, treesEqual } from "../../nn/index.ts";
import { right } from "fp-ts/lib/Either.js";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory(600, 100, 8, 11);
const run = ["--data", data, "--layers", "64,16,10", "--epochs", "2", "--seed", "3"];

function expectError(r: { code: number; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const concat = (chunks: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));

test("a model written as safetensors reads back to the same spec, parameters, options and history, for any layer sizes", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), (sizes, seed) => {
    const net = network(sizes);
    const params = net.init(key(seed));
    const model = { net, params, options: { eta: 3, cost: "quadratic" }, history: [{ epoch: 0, trainCost: 0.5, seconds: 1, evaluation: { correct: 3, total: 5, cost: 0.25 } }] };
    const decoded = decodeSafetensors(concat(encodeModelSafetensors(model)), "m");
    assert.equal(decoded._tag, "Right");
    const m = decodeModel(decoded._tag === "Right" ? decoded.right : undefined, "m");
    assert.equal(m._tag, "Right", m._tag === "Left" ? m.left.message : "");
    if (m._tag !== "Right") return;
    assert.deepEqual(m.right.net.spec, net.spec);
    assert.ok(treesEqual(m.right.params, params));
    assert.deepEqual(m.right.options, model.options);
    assert.deepEqual(m.right.history, model.history);
  }), { numRuns: 25 });
});

test("a checkpoint written as safetensors reads back exactly, optimizer state and best epoch included", () => {
  const net = network([6, 5, 3]);
  const opt = momentum(0.5, 0.9);
  const start = initialState(net, opt, key(4));
  const state = { ...start, epoch: 1, history: [{ epoch: 0, trainCost: 0.1, seconds: 0.2 }], best: { epoch: 0, params: net.init(key(9)) } };
  const bytes = concat(encodeCheckpointSafetensors({ spec: net.spec, options: { eta: "0.5" }, key: key(4), state }));
  const value = decodeSafetensors(bytes, "ck");
  assert.equal(value._tag, "Right");
  const c = decodeCheckpoint(value._tag === "Right" ? value.right : undefined, "ck", () => right(opt));
  assert.equal(c._tag, "Right", c._tag === "Left" ? c.left.message : "");
  if (c._tag !== "Right") return;
  assert.ok(treesEqual(c.right.state.params, state.params));
  assert.ok(treesEqual(c.right.state.optState, state.optState));
  assert.ok(treesEqual(c.right.state.best!.params, state.best.params));
  assert.deepEqual(c.right.key, key(4));
});

test("a damaged safetensors file is one error naming what is wrong", () => {
  const net = network([4, 3, 2]);
  const good = concat(encodeModelSafetensors({ net, params: net.init(key(1)), options: {}, history: [] }));
  const n = new DataView(good.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n))) as Record<string, { data_offsets: number[]; dtype: string }>;
  const withHeader = (h: unknown, body = good.subarray(8 + n)) => {
    const text = new TextEncoder().encode(JSON.stringify(h));
    const len = new Uint8Array(8);
    new DataView(len.buffer).setUint32(0, text.length, true);
    return concat([len, text, body]);
  };
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, good.length - 4), /bytes .* are outside the file's|belong to none|needs/],
    [concat([good, new Uint8Array(4)]), /4 bytes after the last tensor belong to none/],
    [withHeader({ ...header, "params.0.w": { ...header["params.0.w"], dtype: "I64" } }), /dtype I64; tsgrad reads F32 and F64/],
    [withHeader({ ...header, "params.0.w": { ...header["params.0.w"], data_offsets: [0, 8] } }), /needs \d+ bytes, its range holds 8/],
    [withHeader({ ...header, __metadata__: {} }), /without tsgrad's metadata/],
    [withHeader({ ...header, "params.7.w": header["params.0.w"] }), /names no tensor of the file's trees/],
    [new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 123]), /header says \d+ bytes, more than the file holds/],
  ];
  for (const [bytes, message] of cases) {
    const r = decodeSafetensors(bytes, "m.safetensors");
    assert.equal(r._tag, "Left", String(message));
    assert.match(r._tag === "Left" ? r.left.message : "", message);
  }
});

test("train --save and --checkpoint write .safetensors; evaluate, predict and --resume read them as they read JSON", async () => {
  const dir = tempDir();
  const st = join(dir, "m.safetensors"), js = join(dir, "m.json"), ck = join(dir, "ck.safetensors");
  const r = await runScript("train", [...run, "--save", st, "--checkpoint", ck]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await runScript("train", [...run, "--save", js])).code, 0);
  const [a, b] = await Promise.all([runScript("evaluate", [st, "--data", data]), runScript("evaluate", [js, "--data", data])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  // The header is the format's own: named tensors with dtype, shape and byte ranges.
  const bytes = readFileSync(st);
  const header = JSON.parse(bytes.subarray(8, 8 + bytes.readUInt32LE(0)).toString()) as Record<string, { dtype: string; shape: number[] }>;
  assert.deepEqual(header["params.0.w"], { ...header["params.0.w"], dtype: "F32", shape: [64, 16] });
  // Resuming from the safetensors checkpoint goes on to exactly the parameters of an unbroken run.
  const longer = join(dir, "longer.json"), unbroken = join(dir, "unbroken.json");
  assert.equal((await runScript("train", ["--resume", ck, "--epochs", "3", "--save", longer])).code, 0);
  assert.equal((await runScript("train", [...run.slice(0, -4), "--seed", "3", "--epochs", "3", "--save", unbroken])).code, 0);
  const params = (p: string) => JSON.stringify((JSON.parse(readFileSync(p, "utf8")) as { params: unknown }).params);
  assert.equal(params(longer), params(unbroken));
});

test("a network too large for a JSON file is refused before training, naming the .safetensors form", async () => {
  const dir = tempDir();
  const spec = join(dir, "wide.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 200000 }, "relu", { dense: 10 }, "softmax"] }));
  const t0 = performance.now();
  const r = await runScript("train", ["--data", data, "--spec", spec, "--epochs", "1", "--save", join(dir, "m.json")]);
  expectError(r, /^error: --save .*m\.json: 15,000,010 numbers are too many for a JSON file \(at most 10,000,000\); name it .*m\.safetensors to write it as safetensors$/m);
  assert.doesNotMatch(r.stdout, /Epoch/);
  assert.ok(performance.now() - t0 < 30000);
});

test("model weights beyond float32's range are refused by evaluate and predict", async () => {
  const dir = tempDir();
  const model = join(dir, "m.json");
  assert.equal((await runScript("train", [...run, "--save", model])).code, 0);
  const m = JSON.parse(readFileSync(model, "utf8")) as { params: { w: { data: number[] } }[] };
  m.params[0].w.data[5] = 1e39;
  writeFileSync(join(dir, "big.json"), JSON.stringify(m));
  expectError(await runScript("evaluate", [join(dir, "big.json"), "--data", data, "--backend", "js"]), /big\.json params field \[0\]\.w: data\[5\] is 1e\+39, beyond float32's range/);
  expectError(await runScript("predict", [join(dir, "big.json"), "examples/digit-7.png"]), /beyond float32's range/);
});

test("evaluate given a picture, a spec or a checkpoint says which kind of file it got, in one line", async () => {
  const dir = tempDir();
  const spec = join(dir, "spec.json"), ck = join(dir, "ck.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 10 }, "softmax"] }));
  assert.equal((await runScript("train", [...run, "--checkpoint", ck])).code, 0);
  expectError(await runScript("evaluate", ["examples/digit-7.png", "--data", data]), /^error: examples\/digit-7\.png: a PNG picture \(predict reads pictures.*\), not a model file$/m);
  expectError(await runScript("evaluate", [spec, "--data", data]), /^error: .*spec\.json: a network spec, not a trained model/m);
  expectError(await runScript("evaluate", [ck, "--data", data]), /^error: .*ck\.json: a training checkpoint, not a model file/m);
});

test("a FIFO or /dev/zero given as a model, a spec, a checkpoint or a picture is refused at once, never read", async () => {
  const dir = tempDir();
  const fifo = join(dir, "pipe");
  execFileSync("mkfifo", [fifo]);
  const model = join(dir, "m.json");
  // predict reads 28×28 digits: a model of 784 inputs.
  assert.equal((await runScript("train", ["--data", blobDirectory(300, 50, 28, 2), "--layers", "784,10,10", "--epochs", "1", "--save", model])).code, 0);
  const cases: [string, string[]][] = [
    ["evaluate", [fifo, "--data", data]],
    ["predict", [fifo, "examples/digit-7.png"]],
    ["predict", [model, fifo]],
    ["train", ["--data", data, "--spec", fifo]],
    ["train", ["--resume", fifo]],
    ...(existsSync("/dev/zero") ? [["evaluate", ["/dev/zero", "--data", data]] as [string, string[]], ["train", ["--data", data, "--spec", "/dev/zero"]] as [string, string[]]] : []),
  ];
  for (const [script, args] of cases) {
    const r = await runScript(script, args, { timeoutMs: 20000 });
    expectError(r, /not a regular file \(a FIFO, device or socket\)/);
  }
});

test("a checkpoint's key with an extra element is refused, not cut to two", async () => {
  const dir = tempDir();
  const ck = join(dir, "ck.json");
  assert.equal((await runScript("train", [...run, "--checkpoint", ck])).code, 0);
  const c = JSON.parse(readFileSync(ck, "utf8")) as { key: number[] };
  c.key.push(7);
  writeFileSync(ck, JSON.stringify(c));
  expectError(await runScript("train", ["--resume", ck, "--epochs", "3"]), /ck\.json field key: expected 2 elements, got 3/);
});
