import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PNG } from "pngjs";
import { encodeIdx } from "../../datasets/index.ts";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory(300, 100, 8, 9);
const work = tempDir();
const model = join(work, "model.json");

/** A data directory like `data` with one file replaced. */
function dataWith(name: string, bytes: Uint8Array | undefined): string {
  const dir = join(work, `data-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  for (const f of readdirSync(data)) copyFileSync(join(data, f), join(dir, f));
  if (bytes === undefined) copyFileSync(join(data, "t10k-labels-idx1-ubyte"), join(dir, "t10k-labels-idx1-ubyte")); // no change
  else writeFileSync(join(dir, name), bytes);
  return dir;
}

function modelWith(change: (m: Record<string, unknown>) => unknown): string {
  const m = JSON.parse(readFileSync(model, "utf8")) as Record<string, unknown>;
  const file = join(work, `model-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof change(m) === "string" ? (change(m) as string) : JSON.stringify(change(m)));
  return file;
}

function jsonFile(value: unknown): string {
  const file = join(work, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function png(file: string, width: number, height: number, pixel: (x: number, y: number) => number): string {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = pixel(x, y), i = 4 * (y * width + x);
    img.data[i] = img.data[i + 1] = img.data[i + 2] = v;
    img.data[i + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(img));
  return file;
}

test("every bad input gives one error line naming it, exit 2, no stack trace, no file written", async () => {
  const model784 = join(work, "mnist-model.json");
  const made = await Promise.all([
    runScript("train", ["--data", data, "--layers", "64,16,10", "--epochs", "1", "--save", model]),
    runScript("train", ["--train-size", "300", "--layers", "784,10,10", "--epochs", "1", "--save", model784]),
  ]);
  made.forEach((m) => assert.equal(m.code, 0, m.stderr));
  const trainLabels = encodeIdx([300], new Uint8Array(300));
  const out = join(work, "should-not-exist.json");
  const cases: [string, string[], RegExp][] = [
    ["truncated IDX", ["train", "--data", dataWith("train-images-idx3-ubyte", encodeIdx([300, 8, 8], new Uint8Array(300 * 64)).subarray(0, 1000)), "--layers", "64,16,10", "--save", out], /train-images-idx3-ubyte: is truncated: dimensions 300x8x8 need 19216 bytes, file has 1000$/],
    ["wrong magic", ["train", "--data", dataWith("t10k-images-idx3-ubyte", Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0])), "--layers", "64,16,10", "--save", out], /t10k-images-idx3-ubyte: not an IDX file \(magic number starts 0x50 0x4b/],
    ["count mismatch", ["train", "--data", dataWith("train-labels-idx1-ubyte", encodeIdx([299], new Uint8Array(299))), "--layers", "64,16,10", "--save", out], /train-labels-idx1-ubyte: 299 labels for 300 images/],
    ["label out of range", ["train", "--data", dataWith("train-labels-idx1-ubyte", trainLabels.map((v, i) => (i === 20 ? 12 : v))), "--layers", "64,16,10", "--save", out], /label 12 at index 12 is outside the 10 classes 0-9$/],
    ["missing file", ["train", "--data", join(work, "nowhere"), "--save", out], /nowhere: no such directory$/],
    ["model not JSON", ["evaluate", modelWith(() => "{not json"), "--data", data], /model-\w+\.json: not valid JSON/],
    ["model wrong version", ["evaluate", modelWith((m) => ({ ...m, version: 7 })), "--data", data], /field version: expected 1 \(this tsgrad reads version 1 model files\), got 7$/],
    ["model wrong format", ["evaluate", modelWith((m) => ({ ...m, format: "keras" })), "--data", data], /field format: expected "tsgrad-model", got "keras"$/],
    ["model wrong shapes", ["evaluate", modelWith((m) => ({ ...m, spec: { input: 64, layers: [{ dense: 17 }, "sigmoid", { dense: 10 }, "sigmoid"] } })), "--data", data], /params field \[0\]\.b: expected shape \[17\], got \[16\]$/],
    ["model with Infinity weight", ["evaluate", modelWith((m) => JSON.stringify(m).replace(/("data":\[)[-0-9.e]+/, "$11e999")), "--data", data], /params field \[0\]\.b: data\[0\] is null, not a finite number$|data\[0\] is .*not a finite number/],
    ["model with null weight", ["evaluate", modelWith((m) => JSON.stringify(m).replace(/("data":\[)[-0-9.e]+/, "$1null")), "--data", data], /not a finite number$/],
    ["model missing", ["evaluate", join(work, "absent.json"), "--data", data], /absent\.json: no such file$/],
    ["model for other data", ["evaluate", model], /the model takes 64 inputs, the data has 784 pixels per image$/],
    ["evaluate without model", ["evaluate"], /missing the model file/],
    ["predict: not a PNG", ["predict", model784, join(data, "train-labels-idx1-ubyte")], /train-labels-idx1-ubyte: not a PNG or JPEG picture$/],
    ["predict: blank PNG", ["predict", model784, png(join(work, "blank.png"), 30, 30, () => 255)], /blank\.png: image has no visible digit/],
    ["predict: missing image", ["predict", model784, join(work, "none.png")], /none\.png: no such file$/],
    ["predict: model for other inputs", ["predict", model, join(work, "blank.png")], /the model takes 64 inputs; predict reads 28×28 digits \(784\)$/],
    ["spec: unknown layer", ["train", "--data", data, "--spec", jsonFile({ input: 64, layers: [{ dense: 16 }, "relux"] })], /spec-\w+\.json: network spec field layers\[1\]: expected \{"dense": units\}.*got "relux"$/],
    ["spec: wrong input size", ["train", "--data", data, "--spec", jsonFile({ input: 784, layers: [{ dense: 10 }] })], /spec-\w+\.json: the network's first size must be the data's 64 pixels per image, got 784$/],
    ["spec: not JSON", ["train", "--data", data, "--spec", modelWith(() => "[1,")], /not valid JSON/],
    ["spec with --layers", ["train", "--data", data, "--spec", join(work, "x.json"), "--layers", "64,10"], /^error: --spec and --layers cannot be combined/],
    ["resume: checkpoint is a model", ["train", "--resume", model], /field format: expected "tsgrad-checkpoint", got "tsgrad-model"$/],
  ];
  const results = await Promise.all(cases.map(([, [script, ...args]]) => runScript(script, args)));
  results.forEach((r, i) => {
    const [what, , pattern] = cases[i];
    assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
    assert.match(lines[0], /^error: /, what);
    assert.match(lines[0], pattern, what);
  });
  assert.ok(!readdirSync(work).includes("should-not-exist.json"));
});

test("inputs that used to end in a stack trace are one line: bench's flags and specs, a million-layer spec, a picture of 360,000 dots", async () => {
  const dir = tempDir();
  const oneLine = (r: { code: number; stderr: string }, message: RegExp) => {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  };
  oneLine(await runScript("bench", ["--threads", "2", "--backend", "js"]), /^error: --threads 2 needs --backend wasm/m);
  oneLine(await runScript("bench", ["--layers", "100,10"]), /^error: --layers 100,10: the first size must be MNIST's 784 pixels$/m);
  oneLine(await runScript("bench", ["--layers", "784,30,11"]), /^error: --layers 784,30,11: the last size must be MNIST's 10 classes$/m);
  oneLine(await runScript("bench", ["--child", "spec"]), /^error: --child spec needs --spec FILE$/m);
  const specs: [unknown, RegExp][] = [
    [{ input: 64, layers: [{ dense: 10 }, "softmax"] }, /takes 64 numbers per example; bench measures on MNIST's 784 pixels/],
    [{ input: 784, layers: [{ dense: 11 }, "softmax"] }, /gives 11 outputs; bench measures on MNIST's 10 classes/],
    [{ input: 784, layers: [{ dense: 100000 }, { dense: 1000 }, { dense: 10 }] }, /parameters; at most/],
    [{ input: 784, layers: [{ dense: 10, init: "zero" }] }, /layers\[0\]\.init/],
  ];
  for (const [spec, message] of specs) {
    const path = join(dir, `spec${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(spec));
    oneLine(await runScript("bench", ["--spec", path, "--limit", "1", "--rounds", "1"]), message);
  }
  const million = join(dir, "million.json");
  writeFileSync(million, JSON.stringify({ input: 64, layers: [...Array(1_000_000).fill("relu"), { dense: 10 }] }));
  oneLine(await runScript("train", ["--data", data, "--spec", million, "--epochs", "1"]), /field layers: 1000001 layers; at most 10000 are supported/);
  // A picture of 360,000 separate dots (each its own piece of ink): read, not a stack overflow.
  const dots = new PNG({ width: 1200, height: 1200 });
  for (let y = 0; y < 1200; y++) for (let x = 0; x < 1200; x++) {
    const v = x % 2 === 0 && y % 2 === 0 ? 0 : 255;
    dots.data.set([v, v, v, 255], 4 * (y * 1200 + x));
  }
  const picture = join(dir, "dots.png");
  writeFileSync(picture, PNG.sync.write(dots));
  const model784 = join(dir, "m.json");
  assert.equal((await runScript("train", ["--data", blobDirectory(300, 50, 28, 3), "--layers", "784,10,10", "--epochs", "1", "--save", model784])).code, 0);
  const r = await runScript("predict", [model784, picture]);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, r.stderr);
  assert.ok(r.code === 0 || r.code === 2, r.stderr);
});

test("bench --peers without the peer scripts says where they come from; the C yardstick takes one hidden layer", async () => {
  const { execFile } = await import("node:child_process");
  const bench = (args: string[], peers: string) => new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "scripts/bench.ts", ...args], { env: { ...process.env, TSGRAD_PEERS: peers } }, (err, _out, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stderr }));
  });
  const empty = tempDir();
  for (const [peer, script] of [["numpy", "mnist_numpy.py"], ["c", "sparse_sgd.c"]]) {
    const r = await bench(["--peers", peer, "--epochs", "1"], empty);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: --peers ${peer}: the peer script ${script.replace(".", "\\.")} is not in .*; the peers are not part of tsgrad's package: they live in its development workspace \\(shared\\/peers beside the checkout\\), or set TSGRAD_PEERS`, "m"));
  }
  writeFileSync(join(empty, "sparse_sgd.c"), "/* stands in for the yardstick: never built, the flags are refused first */\n");
  const deep = await bench(["--peers", "c", "--layers", "784,30,30,10", "--epochs", "1"], empty);
  assert.equal(deep.code, 2, deep.stderr);
  assert.match(deep.stderr, /^error: --peers c: sparse_sgd\.c has one hidden layer; --layers 784,30,30,10 has 2$/m);
});
