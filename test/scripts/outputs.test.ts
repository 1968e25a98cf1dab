/** Files the scripts write (issue 12, items 1-4 and 8-9): nothing lost on a full disk, only regular files replaced, outputs checked first, resume as the user expects. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory(600, 100, 8, 3);
const base = ["--data", data, "--seed", "5"];
const run = [...base, "--layers", "64,16,10"];
const root = process.getuid?.() === 0;

/** Mounts a tmpfs of `size` at a new directory (root only), runs f, unmounts; skips with the reason otherwise. */
async function withTinyDisk(t: { skip(msg: string): void }, size: string, f: (dir: string) => Promise<void>): Promise<void> {
  if (!root) return t.skip("mounting a small tmpfs needs root");
  const dir = tempDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  } catch (e) {
    return t.skip(`cannot mount a tmpfs here (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    await f(dir);
  } finally {
    execFileSync("umount", [dir]);
  }
}

test("a full disk is an error naming the file, and the previous model stays as it was, with no temp file left", async (t) => {
  await withTinyDisk(t, "48k", async (dir) => {
    const model = join(dir, "m.json");
    writeFileSync(model, "{}\n");
    const r = await runScript("train", [...base, "--layers", "64,100,10", "--epochs", "1", "--save", model]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: cannot write ${model}: no space left on the device; the previous file, if any, is unchanged$`, "m"));
    assert.doesNotMatch(r.stderr, /saved the model/);
    assert.equal(readFileSync(model, "utf8"), "{}\n");
    assert.deepEqual(readdirSync(dir), ["m.json"]);
  });
});

test("a device or a FIFO is refused before training, and stays what it was", async () => {
  const dir = tempDir();
  const fifo = join(dir, "pipe");
  execFileSync("mkfifo", [fifo]);
  const r = await runScript("train", [...run, "--epochs", "1", "--save", fifo]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --save: .*pipe is not a regular file \(a device, FIFO or socket\); give the path of a file$/m);
  assert.doesNotMatch(r.stdout, /Epoch/);
  assert.ok(lstatSync(fifo).isFIFO());
  if (existsSync("/dev/full")) {
    const d = await runScript("train", [...run, "--epochs", "1", "--checkpoint", "/dev/full"]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /^error: --checkpoint: \/dev\/full is not a regular file/m);
    assert.ok(statSync("/dev/full").isCharacterDevice());
  }
});

test("a symlink is followed: the file it points to is replaced, the link stays a link", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "real"));
  writeFileSync(join(dir, "real", "m.json"), "old");
  symlinkSync(join(dir, "real", "m.json"), join(dir, "link.json"));
  const r = await runScript("train", [...run, "--epochs", "1", "--save", join(dir, "link.json")]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lstatSync(join(dir, "link.json")).isSymbolicLink());
  assert.ok(JSON.parse(readFileSync(join(dir, "real", "m.json"), "utf8")).params !== undefined);
  assert.deepEqual(readdirSync(join(dir, "real")), ["m.json"]);
});

test("outputs are checked before training: a missing directory, a directory, two outputs naming one file", async () => {
  const dir = tempDir();
  const cases: [string[], RegExp][] = [
    [["--save", join(dir, "missing", "m.json")], /^error: --save: directory .*missing does not exist$/m],
    [["--plot", dir], /^error: --plot: .* is a directory$/m],
    [["--save", join(dir, "a.json"), "--checkpoint", join(dir, "a.json")], /^error: --save and --checkpoint name the same file/m],
  ];
  for (const [args, message] of cases) {
    const r = await runScript("train", [...run, "--epochs", "3", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /Epoch/, "failed before training");
  }
  writeFileSync(join(dir, "file"), "");
  const sweep = (out: string) => runScript("sweep", ["--data", data, "--layers", "64,16,10", "--epochs", "1", "--eta", "1", "3", "--out", out]);
  for (const x of [await sweep(join(dir, "file", "sub")), await sweep(join(dir, "file"))]) {
    assert.equal(x.code, 2, x.stderr);
    assert.match(x.stderr, /^error: --out: /m);
    assert.doesNotMatch(x.stderr, /run 1\//, "failed before any run");
  }
});

test("a checkpoint cannot name files to write: options other than run settings are refused", async () => {
  const dir = tempDir();
  const ck = join(dir, "ck.json");
  assert.equal((await runScript("train", [...run, "--epochs", "1", "--checkpoint", ck])).code, 0);
  const c = JSON.parse(readFileSync(ck, "utf8"));
  c.options.save = join(dir, "victim.json");
  writeFileSync(ck, JSON.stringify(c));
  const r = await runScript("train", ["--resume", ck, "--epochs", "2"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: .*ck\.json: options\.save is not a run setting/m);
  assert.ok(!existsSync(join(dir, "victim.json")));
});

test("resuming: the original command plus --resume is accepted and goes on writing the checkpoint; a changed value is refused with both values", async () => {
  const dir = tempDir();
  const ck = join(dir, "ck.json");
  const straight = await runScript("train", [...run, "--epochs", "2", "--eta", "2", "--save", join(dir, "straight.json")]);
  assert.equal(straight.code, 0, straight.stderr);
  assert.equal((await runScript("train", [...run, "--epochs", "1", "--eta", "2", "--checkpoint", ck])).code, 0);
  const resumed = await runScript("train", [...run, "--epochs", "2", "--eta", "2.0", "--batch-size", "10", "--resume", ck, "--save", join(dir, "resumed.json")]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const params = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8")).params;
  assert.deepEqual(params("resumed.json"), params("straight.json"));
  assert.equal(JSON.parse(readFileSync(ck, "utf8")).epoch, 2, "the resumed run wrote the checkpoint it resumed from");
  const changed = await runScript("train", [...run, "--epochs", "3", "--eta", "0.5", "--resume", ck]);
  assert.equal(changed.code, 2);
  assert.match(changed.stderr, /^error: --eta cannot change when resuming: the checkpoint has 2, the command line 0\.5$/m);
});

test("--save-best writes the epoch best on validation and says which; --log appends one JSON record per epoch", async () => {
  const dir = tempDir();
  const best = join(dir, "best.json"), last = join(dir, "last.json"), log = join(dir, "run.jsonl");
  const r = await runScript("train", [...run, "--epochs", "4", "--eta", "8", "--save", last, "--save-best", best, "--log", log]);
  assert.equal(r.code, 0, r.stderr);
  const records = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((x) => x.epoch), [0, 1, 2, 3]);
  for (const x of records) assert.ok(x.eta === 8 && x.trainCost > 0 && x.seconds >= 0 && x.test.total === 100 && x.validation.total === 100, JSON.stringify(x));
  const top = records.reduce((a, b) => (b.validation.correct > a.validation.correct ? b : a));
  assert.match(r.stderr, new RegExp(`saved the model of epoch ${top.epoch} \\(the best on validation: ${top.validation.correct} / 100\\) to ${best}`));
  assert.match(r.stderr, new RegExp(`saved the model of epoch 3 \\(the last\\) to ${last}`));
  const e = await runScript("evaluate", [best, "--data", data, "--set", "validation"]);
  assert.match(e.stdout, new RegExp(`^accuracy: ${top.validation.correct} / 100 `, "m"));
});

test("two outputs naming one file through a symlinked folder are refused, and so is an output over an input", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "real"));
  symlinkSync(join(dir, "real"), join(dir, "alias"));
  const r = await runScript("train", [...run, "--epochs", "1", "--save", join(dir, "real", "m.json"), "--plot", join(dir, "alias", "m.json")]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: --save and --plot name the same file/m);
  assert.doesNotMatch(r.stdout, /Epoch/);
  assert.deepEqual(readdirSync(join(dir, "real")), []);
  const spec = join(dir, "s.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 10 }, "softmax"] }));
  const over = await runScript("train", ["--data", data, "--spec", spec, "--epochs", "1", "--save", join(dir, "alias", "..", "s.json")]);
  assert.equal(over.code, 2, over.stderr);
  assert.match(over.stderr, /^error: --save would overwrite the --spec file .*s\.json; give the output its own name$/m);
  assert.equal(JSON.parse(readFileSync(spec, "utf8")).input, 64);
});

test("--log on a full disk keeps only whole records and says so in one line", async (t) => {
  await withTinyDisk(t, "4k", async (dir) => {
    const log = join(dir, "log.jsonl");
    const r = await runScript("train", [...run, "--epochs", "200", "--train-size", "100", "--log", log]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: cannot write ${log}: no space left on the device; the file keeps its records before this one$`, "m"));
    const text = readFileSync(log, "utf8");
    assert.ok(text.endsWith("\n"), "ends at a whole record");
    const records = text.trim().split("\n").map((l) => JSON.parse(l) as { epoch: number });
    records.forEach((rec, i) => assert.equal(rec.epoch, i));
  });
});

test("an output name too long for its temp file, or an output under /proc or /sys, is refused before training", async () => {
  const dir = tempDir();
  const long = join(dir, `${"m".repeat(250)}.json`);
  const r = await runScript("train", [...run, "--epochs", "1", "--save", long]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: --save: the name m+\.json is too long \(255 bytes; at most \d+ with the temporary file written beside it\)$/m);
  assert.doesNotMatch(r.stdout, /Epoch/);
  for (const [flag, path] of [["--save", "/proc/tsgrad-m.json"], ["--log", "/proc/self/tsgrad.jsonl"], ["--plot", "/sys/tsgrad.svg"], ["--checkpoint", "/sys/kernel/tsgrad.json"]]) {
    if (!existsSync(join(path, ".."))) continue;
    const k = await runScript("train", [...run, "--epochs", "1", flag, path]);
    assert.equal(k.code, 2, `${flag} ${path}: ${k.stderr}`);
    assert.match(k.stderr, new RegExp(`^error: ${flag}: .*(kernel's \\w+ file system|not writable|does not exist)`, "m"));
    assert.doesNotMatch(k.stdout, /Epoch/);
  }
});
