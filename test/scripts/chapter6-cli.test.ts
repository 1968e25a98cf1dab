/** Chapter 6 from the command line, on small generated 8×8 images: a conv spec with adam, dropout and shifted data; ensembles; bench --spec. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory(600, 200, 8, 3);
const dir = tempDir();
const spec = join(dir, "conv.json");
writeFileSync(spec, JSON.stringify({ input: [1, 8, 8], layers: [{ conv: 4, kernel: 3 }, { maxPool: 2 }, "relu", "flatten", { dense: 16, init: "he" }, "relu", { dropout: 0.25 }, { dense: 10, init: "scaled" }, "softmax"] }));

test("a conv spec trains with adam, dropout and --expand shift, saves a model that evaluate reads with the same accuracy, and three models vote", async () => {
  const models = [1, 2, 3].map((s) => join(dir, `m${s}.json`));
  const runs = await Promise.all(models.map((m, i) => runScript("train", ["--data", data, "--spec", spec, "--cost", "log-likelihood", "--optimizer", "adam", "--eta", "0.01", "--expand", "shift", "--epochs", "2", "--seed", String(i + 1), "--save", m])));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Epoch 1: \d+ \/ 200 /m);
  }
  const last = Number(/^Epoch 1: (\d+) \/ 200/m.exec(runs[0].stdout)?.[1]);
  assert.ok(last > 100, `learns: ${last} / 200`);
  const alone = await runScript("evaluate", ["--data", data, models[0]]);
  assert.match(alone.stdout, new RegExp(`^accuracy: ${last} / 200 `, "m"));
  const vote = await runScript("evaluate", ["--data", data, ...models]);
  assert.equal(vote.code, 0, vote.stderr);
  assert.match(vote.stdout, /^members on the test set:\n {2}\S+m1\.json {2}\d+ \/ 200 .*\n.*m2\.json.*\n.*m3\.json.*\nensemble \(majority vote of 3\): \d+ \/ 200 \(\d+\.\d\d%\)\n$/);
});

test("chapter 6's flag mistakes are one line: momentum with adam, a spec whose window does not fit, a spec for the wrong image size", async () => {
  const bad = async (args: string[], message: RegExp) => {
    const r = await runScript("train", ["--data", data, "--epochs", "1", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  await bad(["--spec", spec, "--optimizer", "adam", "--momentum", "0.9"], /^error: --momentum is for --optimizer sgd/m);
  await bad(["--optimizer", "rmsprop"], /--optimizer/);
  const tooBig = join(dir, "big.json");
  writeFileSync(tooBig, JSON.stringify({ input: [1, 8, 8], layers: [{ conv: 4, kernel: 3 }, { maxPool: 2 }, { conv: 4, kernel: 5 }, "flatten", { dense: 10 }] }));
  await bad(["--spec", tooBig], /big\.json: network spec: layer 3 \(\{"conv":4,"kernel":5\}\): a 5×5 window does not fit in a 3×3 image/);
  const wrong = join(dir, "wrong.json");
  writeFileSync(wrong, JSON.stringify({ input: [1, 28, 28], layers: [{ conv: 4, kernel: 5 }, "flatten", { dense: 10 }] }));
  await bad(["--spec", wrong], /input shape \[1, 28, 28\] holds 784 numbers; the data has 64 pixels per image/);
});

test("a conv network with dropout and adam resumes exactly: 1 epoch + checkpoint + resume to 2 = 2 straight epochs", async () => {
  const run = (extra: string[]) => runScript("train", ["--data", data, "--spec", spec, "--cost", "log-likelihood", "--optimizer", "adam", "--eta", "0.01", "--seed", "5", ...extra]);
  const straight = join(dir, "straight.json"), resumed = join(dir, "resumed.json"), ckpt = join(dir, "ckpt.json");
  assert.equal((await run(["--epochs", "2", "--save", straight])).code, 0);
  assert.equal((await run(["--epochs", "1", "--checkpoint", ckpt])).code, 0);
  const r = await runScript("train", ["--resume", ckpt, "--epochs", "2", "--save", resumed]);
  assert.equal(r.code, 0, r.stderr);
  const params = (f: string) => (JSON.parse(readFileSync(f, "utf8")) as { params: unknown }).params;
  assert.deepEqual(params(resumed), params(straight));
});
