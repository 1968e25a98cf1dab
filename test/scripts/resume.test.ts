import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir, type Run } from "../fixtures.ts";

const data = blobDirectory(1200, 200, 8, 3);
const run = ["--data", data, "--layers", "64,16,10", "--momentum", "0.5", "--lambda", "0.5", "--seed", "5"];
const paramsOf = (file: string) => JSON.parse(readFileSync(file, "utf8")).params;

test("1 epoch + checkpoint + resume to 2 ends with exactly the parameters of 2 straight epochs", async () => {
  const out = tempDir();
  const straight = await runScript("train", [...run, "--epochs", "2", "--save", join(out, "straight.json")]);
  assert.equal(straight.code, 0, straight.stderr);
  const first = await runScript("train", [...run, "--epochs", "1", "--checkpoint", join(out, "ck.json")]);
  assert.equal(first.code, 0, first.stderr);
  const resumed = await runScript("train", ["--resume", join(out, "ck.json"), "--epochs", "2", "--save", join(out, "resumed.json")]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(paramsOf(join(out, "resumed.json")), paramsOf(join(out, "straight.json")));
  // The resumed run prints the whole history, as the straight one did.
  const epochs = (r: Run) => r.stdout.split("\n").filter((l) => l.startsWith("Epoch")).map((l) => l.replace(/, \d+\.\d+ s$/, ""));
  assert.deepEqual(epochs(resumed), epochs(straight));
});

test("a checkpoint's model is written out by resuming to the epochs it has done with --save; without --save that is refused", async () => {
  const out = tempDir();
  const straight = await runScript("train", [...run, "--epochs", "1", "--save", join(out, "straight.json"), "--checkpoint", join(out, "ck.json")]);
  assert.equal(straight.code, 0, straight.stderr);
  const exported = await runScript("train", ["--resume", join(out, "ck.json"), "--epochs", "1", "--save", join(out, "exported.json")]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual(paramsOf(join(out, "exported.json")), paramsOf(join(out, "straight.json")));
  const refused = await runScript("train", ["--resume", join(out, "ck.json"), "--epochs", "1"]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /already trained 1 epochs; give --epochs above 1 to go on \(or --epochs 1 with --save to write its model\)/);
});

test("resuming refuses to change the run's flags and names the flag", async () => {
  const out = tempDir();
  await runScript("train", [...run, "--epochs", "1", "--checkpoint", join(out, "ck.json")]);
  const r = await runScript("train", ["--resume", join(out, "ck.json"), "--epochs", "2", "--eta", "0.1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --eta cannot change when resuming/);
});

test("Ctrl-C finishes the mini-batch, writes a checkpoint, exits 130, and the checkpoint resumes to the uninterrupted result", async () => {
  const out = tempDir();
  const checkpoint = join(out, "ck.json");
  const args = [...run, "--epochs", "120", "--batch-size", "2"]; // long enough that the signal lands mid-run on any machine
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/train.ts", ...args, "--checkpoint", checkpoint], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("Epoch 0:") && !child.killed) child.kill("SIGINT");
    });
    child.on("exit", (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted at epoch \d+(, batch \d+)?; resume with: npm run train -- --resume /);
  assert.ok(existsSync(checkpoint));
  assert.doesNotMatch(stdout, /^Epoch 119:/m, "it stopped early");

  const [resumed, straight] = await Promise.all([
    runScript("train", ["--resume", checkpoint, "--save", join(out, "resumed.json")]),
    runScript("train", [...args, "--save", join(out, "straight.json")]),
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(straight.code, 0, straight.stderr);
  assert.deepEqual(paramsOf(join(out, "resumed.json")), paramsOf(join(out, "straight.json")));
});

test("a diverging run stops with exit 3, says so, and writes no model or checkpoint", async () => {
  const out = tempDir();
  const r = await runScript("train", ["--data", data, "--layers", "64,16,10", "--epochs", "3", "--eta", "1e300", "--save", join(out, "m.json"), "--checkpoint", join(out, "ck.json")]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^error: training diverged at epoch 0, batch \d+ \(cost=NaN\); try a smaller --eta$/m);
  assert.ok(!existsSync(join(out, "m.json")) && !existsSync(join(out, "ck.json")));
});

test("the same flags and seed save bit-identical parameters", async () => {
  const out = tempDir();
  await Promise.all(["a", "b"].map((n) => runScript("train", [...run, "--epochs", "2", "--save", join(out, `${n}.json`)])));
  assert.deepEqual(paramsOf(join(out, "a.json")), paramsOf(join(out, "b.json")));
});
