/** Hand-made and hostile files (issue 12, items 11, 12, 14-18): each is one clear error line and exit 2. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { readIdxFile } from "../../node/index.ts";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory(600, 100, 8, 7);
const base = ["--data", data, "--layers", "64,16,10"];
const run = [...base, "--epochs", "1"];

function expectError(r: { code: number; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

test("unknown keys in a spec, a model or a checkpoint are errors naming the key", async () => {
  const dir = tempDir();
  const spec = join(dir, "spec.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 16, inti: "scaled" }, "sigmoid", { dense: 10 }, "sigmoid"] }));
  expectError(await runScript("train", ["--data", data, "--spec", spec, "--epochs", "1"]), /^error: .*layers\[0\]: unknown key "inti" \(known: dense, init\)/m);

  const model = join(dir, "m.json"), ck = join(dir, "ck.json");
  assert.equal((await runScript("train", [...run, "--save", model, "--checkpoint", ck])).code, 0);
  const m = JSON.parse(readFileSync(model, "utf8"));
  m.training.note = "hi";
  writeFileSync(join(dir, "m2.json"), JSON.stringify(m));
  expectError(await runScript("evaluate", [join(dir, "m2.json"), "--data", data]), /^error: .*m2\.json field training: unknown key "note"/m);
  const c = JSON.parse(readFileSync(ck, "utf8"));
  c.seed = 3;
  writeFileSync(ck, JSON.stringify(c));
  expectError(await runScript("train", ["--resume", ck, "--epochs", "2"]), /^error: .*ck\.json: unknown key "seed"/m);
});

test("JSON nested 200,000 deep is one line, not a stack overflow", async () => {
  const dir = tempDir();
  const deep = `${"[".repeat(200000)}${"]".repeat(200000)}`;
  writeFileSync(join(dir, "spec.json"), `{"input": 64, "layers": ${deep}}`);
  expectError(await runScript("train", ["--data", data, "--spec", join(dir, "spec.json"), "--epochs", "1"]), /^error: .*nested more than 64 levels deep/m);
  writeFileSync(join(dir, "m.json"), deep);
  expectError(await runScript("evaluate", [join(dir, "m.json"), "--data", data]), /^error: .*nested more than 64 levels deep/m);
});

test("a model whose cost is \"__proto__\" or \"toString\" is refused by name", async () => {
  const dir = tempDir();
  const model = join(dir, "m.json");
  assert.equal((await runScript("train", [...run, "--save", model])).code, 0);
  for (const name of ["toString", "__proto__"]) {
    const m = JSON.parse(readFileSync(model, "utf8"));
    m.training.options.cost = name;
    writeFileSync(join(dir, "bad.json"), JSON.stringify(m));
    expectError(await runScript("evaluate", [join(dir, "bad.json"), "--data", data]), new RegExp(`^error: .*training\\.options\\.cost is "${name}", not one of quadratic, cross-entropy, log-likelihood$`, "m"));
  }
});

test("too few training images for the split, and --train-size beyond the data, are refused naming the sizes", async () => {
  const tiny = blobDirectory(5, 10, 8, 1);
  expectError(await runScript("train", ["--data", tiny, "--layers", "64,16,10", "--epochs", "1"]), /^error: the training file has 5 images: too few to keep a sixth for validation/m);
  expectError(await runScript("train", [...run, "--train-size", "100000"]), /^error: --train-size 100000 is more than the 500 training images there are \(600 less 100 for validation\)$/m);
  const sweep = await runScript("sweep", ["--data", data, "--layers", "64,16,10", "--epochs", "1", "--eta", "1", "3", "--train-size", "100000", "--out", tempDir()]);
  expectError(sweep, /^error: --train-size 100000 is more than/m);
  assert.doesNotMatch(sweep.stderr, /run 1\//, "refused before any run");
});

test("a temp file left by a killed writer is swept on the next write to the same path", async () => {
  const dir = tempDir();
  const model = join(dir, "m.json");
  writeFileSync(join(dir, ".m.json.4194999.tmp"), "x".repeat(1000)); // above any pid_max, so no process has this pid
  writeFileSync(join(dir, ".other.json.4194999.tmp"), "not ours to judge");
  assert.equal((await runScript("train", [...run, "--save", model])).code, 0);
  assert.deepEqual(readdirSync(dir).sort(), [".other.json.4194999.tmp", "m.json"]);
});

test("a gzip that inflates without bound stops at the cap with one line; a picture too large is refused before decoding", async () => {
  const dir = tempDir();
  // 8 MiB of zeros gzip to a few kB; with a 1 MiB cap the loader must stop, not allocate all of it.
  writeFileSync(join(dir, "bomb-idx3-ubyte.gz"), gzipSync(new Uint8Array(8 * 2 ** 20)));
  const r = readIdxFile(dir, "bomb-idx3-ubyte", 3, 2 ** 20);
  assert.ok(r._tag === "Left");
  assert.match(r.left.message, /bomb-idx3-ubyte\.gz: inflates to more than 1 MiB; not an IDX file this loader reads$/);
  // A PNG header claiming 20000×20000 pixels (no image data follows: nothing may try to decode it).
  const header = Buffer.alloc(33);
  Buffer.from("89504e470d0a1a0a", "hex").copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "latin1");
  header.writeUInt32BE(20000, 16);
  header.writeUInt32BE(20000, 20);
  header[24] = 8;
  header[25] = 6;
  writeFileSync(join(dir, "huge.png"), header);
  const model = join(dir, "m.json");
  assert.equal((await runScript("train", ["--train-size", "100", "--epochs", "1", "--save", model])).code, 0);
  expectError(await runScript("predict", [model, join(dir, "huge.png")]), /^error: .*huge\.png: 20000×20000 pixels is more than the 40 million predict reads; scale the picture down$/m);
});

test("hand-edited checkpoints are cross-checked: batch, epoch against history, correct against total, float32 range", async () => {
  const dir = tempDir();
  const ck = join(dir, "ck.json");
  assert.equal((await runScript("train", [...run, "--checkpoint", ck])).code, 0);
  const edits: [string, (c: { [k: string]: any }) => void, RegExp][] = [
    ["batch", (c) => (c.batch = 99999), /ck-batch\.json field batch: 99999 is beyond the 50 mini-batches of an epoch$/m],
    ["epoch", (c) => (c.epoch = 5), /ck-epoch\.json field epoch: 5 epochs done, but the history holds 1$/m],
    ["correct", (c) => (c.history[0].evaluation.correct = 101), /ck-correct\.json field history\[0\]\.evaluation: expected a score with correct ≤ total/m],
    ["overflow", (c) => (c.params[0].w.data[3] = 1e39), /ck-overflow\.json params field \[0\]\.w: data\[3\] is 1e\+39, beyond float32's range/m],
  ];
  for (const [name, edit, message] of edits) {
    const c = JSON.parse(readFileSync(ck, "utf8"));
    edit(c);
    const file = join(dir, `ck-${name}.json`);
    writeFileSync(file, JSON.stringify(c));
    const r = await runScript("train", ["--resume", file, "--epochs", "3"]); // (the checkpoint's own flags)
    expectError(r, message);
    assert.doesNotMatch(r.stderr, /diverged/);
  }
});

test("a run that fails with finite numbers is caught: weights blown up stop with exit 3; accuracy stuck at chance warns with the fix", async () => {
  const dir = tempDir();
  const r = await runScript("train", [...base, "--epochs", "3", "--eta", "1e30", "--save", join(dir, "m.json")]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^error: training diverged: at epoch 0 a weight reached \S+ \(beyond ±1e\+6\); try a smaller --eta$/m);
  assert.deepEqual(readdirSync(dir), [], "nothing saved");
  const spec = join(dir, "relu.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 16 }, "relu", { dense: 10 }, "relu"] }));
  const stuck = await runScript("train", ["--data", data, "--spec", spec, "--epochs", "2", "--eta", "50", "--cost", "log-likelihood"]);
  assert.equal(stuck.code, 0, stuck.stderr);
  assert.match(stuck.stderr, /^warning: --cost log-likelihood expects probabilities, but .*relu\.json does not end with "softmax"$/m);
  assert.match(stuck.stderr, /^warning: accuracy is at chance \(\d+\.\d+%\) after 2 epochs: the network is not learning; try a smaller --eta/m);
});

test("the at-chance warning names the cause it sees: N(0, 1) weights under a ReLU, saturated sigmoids, a quadratic cost on a softmax", async () => {
  const dir = tempDir();
  const warn = async (layers: unknown[], flags: string[]) => {
    const spec = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(spec, JSON.stringify({ input: 64, layers }));
    const r = await runScript("train", ["--data", data, "--spec", spec, "--epochs", "2", ...flags]);
    assert.equal(r.code, 0, r.stderr);
    return /^warning: accuracy is at chance.*$/m.exec(r.stderr)?.[0] ?? `(no warning) ${r.stderr}`;
  };
  assert.match(await warn([{ dense: 400, init: "normal" }, "relu", { dense: 400, init: "normal" }, "relu", { dense: 10 }, "softmax"], ["--cost", "log-likelihood", "--eta", "0.1"]),
    /not learning; layer 1 \(\{"dense":400,"init":"normal"\}\) draws N\(0, 1\) weights under a ReLU/);
  assert.match(await warn([{ dense: 16, init: "normal" }, "sigmoid", { dense: 10, init: "normal" }, "sigmoid"], ["--eta", "1000"]),
    /not learning; \d+% of the sigmoid outputs after layer \d \(\{"dense":\d+,"init":"normal"\}\) are pinned near 0 or 1/);
});
