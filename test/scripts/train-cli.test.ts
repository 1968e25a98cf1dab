import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

const data = blobDirectory();
const small = ["--data", data, "--layers", "64,16,10", "--batch-size", "10", "--eta", "3"];

test("train prints the seed's epoch lines and a summary, saves a model that evaluate reads back", async () => {
  const out = tempDir();
  const model = join(out, "model.json"), plot = join(out, "curves.svg");
  const r = await runScript("train", [...small, "--epochs", "3", "--save", model, "--plot", plot]);
  assert.equal(r.code, 0, r.stderr);
  const epochs = r.stdout.split("\n").filter((l) => l.startsWith("Epoch"));
  assert.equal(epochs.length, 3);
  // The seed's line first, then the epoch's mean training cost and seconds.
  epochs.forEach((l, i) => assert.match(l, new RegExp(`^Epoch ${i}: \\d+ / 200   training cost \\d+\\.\\d{6}, \\d+\\.\\d{2} s$`)));
  const last = Number(/^Epoch 2: (\d+)/.exec(epochs[2])![1]);
  assert.ok(last >= 150, `the blob set is easy: ${last} / 200`);
  assert.match(r.stdout, /^best: \d+\.\d\d% \(\d+ \/ 200\) at epoch \d on the test set; 3 epochs in [\d.]+ s/m);
  assert.ok(existsSync(model) && existsSync(plot));
  assert.doesNotMatch(r.stderr, /epoch \d \[/, "no progress bar when stderr is not a terminal");

  const e = await runScript("evaluate", [model, "--data", data]);
  assert.equal(e.code, 0, e.stderr);
  // The saved parameters reproduce the accuracy the run printed last.
  assert.match(e.stdout, new RegExp(`^accuracy: ${last} / 200 `, "m"));
  assert.match(e.stdout, /confusion matrix/);
});

test("--spec trains a network declared in a JSON file (relu hidden layer, softmax output)", async () => {
  const out = tempDir();
  const spec = join(out, "net.json");
  writeFileSync(spec, JSON.stringify({ input: 64, layers: [{ dense: 16, init: "scaled" }, "relu", { dense: 10 }, "softmax"] }));
  const model = join(out, "model.json");
  const r = await runScript("train", ["--data", data, "--spec", spec, "--cost", "log-likelihood", "--eta", "0.1", "--epochs", "2", "--save", model]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Number(/^Epoch 1: (\d+)/m.exec(r.stdout)![1]) >= 150, r.stdout);
  assert.deepEqual(JSON.parse(readFileSync(model, "utf8")).spec.layers, [{ dense: 16, init: "scaled" }, "relu", { dense: 10 }, "softmax"]);
});

test("the same flags and seed print the same results", async () => {
  const [a, b] = await Promise.all([1, 2].map(() => runScript("train", [...small, "--epochs", "2", "--seed", "7"])));
  const lines = (s: string) => s.split("\n").filter((l) => l.startsWith("Epoch")).map(withoutSeconds);
  assert.deepEqual(lines(a.stdout), lines(b.stdout));
});

test("--threads 2 trains with a helper thread, reproducibly, and ends with the process", async () => {
  // Batches of 100 on 64-32-10, so the products are large enough to be split between the threads.
  const args = ["--data", data, "--layers", "64,32,10", "--batch-size", "100", "--epochs", "2", "--seed", "7", "--threads", "2"];
  const runs = await Promise.all([1, 2].map(() => runScript("train", args)));
  runs.forEach((r) => assert.equal(r.code, 0, r.stderr));
  const lines = (s: string) => s.split("\n").filter((l) => l.startsWith("Epoch")).map(withoutSeconds);
  assert.equal(lines(runs[0].stdout).length, 2);
  assert.deepEqual(lines(runs[0].stdout), lines(runs[1].stdout));
});

/** An epoch line without its seconds, which differ from run to run. */
function withoutSeconds(line: string): string {
  return line.replace(/, \d+\.\d+ s$/, "");
}

const badFlags: [string[], RegExp][] = [
  [["--bogus"], /^error: unknown flag --bogus/],
  [["--eta", "abc"], /^error: --eta: expected a finite number > 0, got "abc"$/],
  [["--eta", "0"], /^error: --eta: expected a finite number > 0, got "0"$/],
  [["--eta=-1"], /^error: --eta: expected a finite number > 0, got "-1"$/],
  [["--epochs", "2.5"], /^error: --epochs: expected a whole number ≥ 1, got "2.5"$/],
  [["--batch-size", "Infinity"], /^error: --batch-size: expected a whole number ≥ 1/],
  [["--layers", "64,x,10"], /^error: --layers: expected at least two comma-separated whole numbers/],
  [["--layers", "60,16,10"], /^error: --layers: the first size must be the data's 64 pixels per image, got 60$/],
  [["--layers", "64,16,9"], /^error: --layers: the last size must be the data's 10 classes, got 9$/],
  [["--cost", "hinge"], /^error: --cost: expected one of quadratic, cross-entropy, log-likelihood, got "hinge"$/],
  [["--momentum", "1"], /^error: --momentum: expected a number in \[0, 1\)/],
  [["--data", "/no/such/dir"], /^error: \/no\/such\/dir: no such directory$/],
  [["--save", "/no/such/dir/m.json"], /^error: --save: directory \/no\/such\/dir does not exist$/],
  [["--threads", "3"], /^error: --threads: expected one of 1, 2, got "3"$/],
  [["--threads", "2", "--backend", "js"], /^error: --threads 2 needs --backend wasm \(the js kernels run on one thread\)$/],
];

test("bad flags give one error line naming the flag, exit code 2, no stack trace, no file", async () => {
  const out = tempDir();
  const results = await Promise.all(
    badFlags.map(([args]) => {
      // Valid defaults for this data, except where the case gives its own value.
      const given = new Set(args.map((a) => a.split("=")[0]));
      const base = [["--data", data], ["--layers", "64,16,10"], ["--epochs", "1"]].filter(([flag]) => !given.has(flag)).flat();
      return runScript("train", [...base, ...args, "--plot", join(out, "x.svg")]);
    }),
  );
  results.forEach((r, i) => {
    const [args, pattern] = badFlags[i];
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr.trim(), pattern, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  });
  assert.deepEqual(readdirSync(out), []);
});

test("the printout's small things: '1 epoch', and --help that fits any network", async () => {
  const one = await runScript("train", [...small, "--epochs", "1"]);
  assert.match(one.stdout, /; 1 epoch in [\d.]+ s/);
  const help = await runScript("train", ["--help"]);
  assert.doesNotMatch(help.stdout, /Trains a sigmoid network/);
  assert.match(help.stdout, /or any --spec/);
});

test("piped output: no chart unless --chart; --quiet prints only the epoch lines and the summary", async () => {
  const model = join(tempDir(), "m.json");
  const piped = await runScript("train", [...small, "--epochs", "3", "--monitor", "training", "--save", model]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout, /accuracy per epoch|┤/);
  assert.match(piped.stdout, /^  training: accuracy/m);
  assert.match(piped.stderr, /saved the model/);
  const charted = await runScript("train", [...small, "--epochs", "3", "--chart"]);
  assert.match(charted.stdout, /accuracy per epoch \(epochs 0-2\):\n.*┤/);
  const quiet = await runScript("train", [...small, "--epochs", "3", "--monitor", "training", "--save", model, "--quiet"]);
  assert.equal(quiet.code, 0, quiet.stderr);
  const lines = quiet.stdout.trim().split("\n");
  assert.equal(lines.length, 4, quiet.stdout);
  lines.slice(0, 3).forEach((l, i) => assert.match(l, new RegExp(`^Epoch ${i}: `)));
  assert.match(lines[3], /^best: /);
  assert.equal(quiet.stderr, "");
});

test("no escape codes on a terminal under NO_COLOR or TERM=dumb", async (t) => {
  const { ansiAllowed } = await import("../../scripts/cli/progress.ts");
  assert.equal(ansiAllowed({ TERM: "xterm" }), true);
  assert.equal(ansiAllowed({ TERM: "xterm", NO_COLOR: "1" }), false);
  assert.equal(ansiAllowed({ TERM: "xterm", NO_COLOR: "" }), true);
  assert.equal(ansiAllowed({ TERM: "dumb" }), false);
  // On a real terminal (script(1) gives the run one): the bar's escape codes appear, and not under NO_COLOR.
  const { execFileSync } = await import("node:child_process");
  const run = (env: Record<string, string>) => execFileSync("script", ["-qec", `node --import tsx scripts/train.ts ${small.join(" ")} --epochs 2`, "/dev/null"], { env: { ...process.env, ...env }, encoding: "latin1" });
  let plain: string;
  try {
    plain = run({ TERM: "xterm", NO_COLOR: "1" });
  } catch (e) {
    return t.skip(`script(1) cannot give a terminal here (${(e as Error).message.split("\n")[0]})`);
  }
  assert.doesNotMatch(plain, /\x1b\[/, "no escape codes under NO_COLOR");
  assert.match(plain, /Epoch 1: /);
  assert.doesNotMatch(run({ TERM: "dumb" }), /\x1b\[/, "none under TERM=dumb");
  assert.match(run({ TERM: "xterm", NO_COLOR: "" }), /\x1b\[/, "the bar's codes on an ordinary terminal");
});

test("train reports CPU seconds beside wall seconds: in its summary and in each --log record", async () => {
  const log = join(tempDir(), "log.jsonl");
  const r = await runScript("train", [...small, "--epochs", "2", "--log", log]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^best: .*; 2 epochs in [\d.]+ s, [\d.]+ s CPU \([\d.]+ s per epoch training, [\d.]+ s CPU\)$/m);
  const records = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seconds: number; cpuSeconds: number });
  assert.equal(records.length, 2);
  for (const rec of records) assert.ok(rec.cpuSeconds > 0 && Number.isFinite(rec.cpuSeconds), JSON.stringify(rec));
});

test("--monitor gradients writes each layer's gradient norms into --log's records: those of the saved parameters on the first training images", async () => {
  const out = tempDir();
  const model = join(out, "model.json"), log = join(out, "log.jsonl");
  const r = await runScript("train", ["--data", data, "--layers", "64,16,12,10", "--batch-size", "10", "--eta", "3", "--epochs", "2", "--monitor", "gradients", "--log", log, "--save", model, "--backend", "js"]);
  assert.equal(r.code, 0, r.stderr);
  const records = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { gradients: { layer: number; norms: Record<string, number> }[] });
  assert.equal(records.length, 2);
  assert.deepEqual(records[1].gradients.map((g) => [g.layer, Object.keys(g.norms).sort()]), [[0, ["b", "w"]], [2, ["b", "w"]], [4, ["b", "w"]]]);
  // Recomputed from the saved (last epoch's) parameters over the training set's first images: the same numbers.
  const T = await import("../../core/index.ts");
  const nn = await import("../../nn/index.ts");
  const { gather, seedSplit } = await import("../../datasets/index.ts");
  const { loadIdxDirectory } = await import("../../node/index.ts");
  const m = nn.decodeModel(JSON.parse(readFileSync(model, "utf8")), model);
  const dir = loadIdxDirectory(data), splits = dir._tag === "Right" ? seedSplit(dir.right) : dir;
  if (m._tag === "Left" || splits._tag === "Left") throw new Error("model or data did not load");
  const training = splits.right.training;
  const batch = T.withKernels(T.fastKernels, () => gather(training, Array.from({ length: Math.min(1000, training.count) }, (_, i) => i), "float64"));
  const want = T.withKernels(T.fastKernels, () => nn.layerGradientNorms(m.right.net, m.right.params, nn.quadratic, batch));
  records[1].gradients.forEach((g, i) => {
    assert.equal(g.layer, want[i].layer);
    for (const k of ["w", "b"]) assert.ok(Math.abs(g.norms[k] - want[i].norms[k]) <= 1e-12 * want[i].norms[k], `layer ${g.layer} ${k}: ${g.norms[k]} vs ${want[i].norms[k]}`);
  });
  const bad = await runScript("train", [...small, "--monitor", "gradient"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--monitor.*training, validation, test, gradients/);
});
