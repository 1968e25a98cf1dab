/** `npm run experiment -- slowdown|vanishing`: the book's numbers as text, JSON and an SVG; every bad input one line and exit 2. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

test("experiment slowdown prints the four runs beside the book's outputs, as JSON too, and draws an SVG", async () => {
  const r = await runScript("experiment", ["slowdown"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}0\.6, 0\.9 +quadratic +0\.818 → 0\.387 → 0\.094 .* output 0\.09$/m);
  assert.match(r.stdout, /^ {2}2, 2 +quadratic +0\.982 → 0\.976 → 0\.203 .* output 0\.20$/m);
  assert.match(r.stdout, /^ {2}2, 2 +cross-entropy +0\.982 → 0\.099 → 0\.012 /m);
  const plot = join(tempDir(), "slow.svg");
  const j = await runScript("experiment", ["slowdown", "--epochs", "40", "--json", "--plot", plot]);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { runs: { cost: string; costs: number[] }[] };
  assert.equal(out.runs.length, 4);
  assert.ok(out.runs.every((run) => run.costs.length === 41));
  assert.match(readFileSync(plot, "utf8"), /^<\?xml[\s\S]*<svg[\s\S]*w = 2, b = 2, cross-entropy[\s\S]*<\/svg>\s*$/);
});

test("experiment vanishing on a small set: norms per hidden layer per network and setting, as JSON, growing layer by layer for sigmoid", async () => {
  const data = blobDirectory(300, 50, 28);
  const plot = join(tempDir(), "van.svg");
  const r = await runScript("experiment", ["vanishing", "--data", data, "--train-size", "100", "--epochs", "2", "--seeds", "2", "--json", "--plot", plot]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rows: { sizes: number[]; activation: string; cost: string; meanAtInit: number[]; run: { norms: number[][] } }[] };
  assert.equal(out.rows.length, 9, "three networks under three settings");
  for (const row of out.rows) {
    assert.equal(row.meanAtInit.length, row.sizes.length - 2, "a norm per hidden layer");
    assert.equal(row.run.norms.length, 3, "at initialisation and after each of 2 epochs");
    assert.ok(row.run.norms.flat().every((x) => Number.isFinite(x) && x >= 0));
  }
  assert.ok(existsSync(plot));
});

test("experiment: a bad name, a flag of the other experiment, or a bad --plot is one line and exit 2", async () => {
  for (const [args, message] of [
    [["grokking"], /^error: unknown experiment "grokking": give slowdown or vanishing$/m],
    [[], /error: .*the experiment \(slowdown or vanishing\)/],
    [["slowdown", "--seeds", "3"], /^error: --seeds, --train-size and --data are vanishing's/m],
    [["slowdown", "--eta", "-1"], /^error: --eta/m],
    [["slowdown", "--plot", "/proc/nope/x.svg"], /^error: --plot/m],
  ] as const) {
    const r = await runScript("experiment", [...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
