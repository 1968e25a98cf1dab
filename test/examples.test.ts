import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

// The README's examples must run as written.
const run = (file: string) => execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8" });

test("examples/gradient.ts prints the gradient tree", () => {
  const out = run("examples/gradient.ts");
  assert.match(out, /df\/dw = \[ \[ 0\.6193\d+ \], \[ -0\.1802\d+ \] \]/);
  assert.match(out, /df\/db = \[ 0 \]/);
});

test("examples/custom-cost.ts trains XOR with a user-defined Huber cost", () => {
  assert.match(run("examples/custom-cost.ts"), /predicted: \[ 0, 1, 1, 0 \]/);
});

test("examples/transforms.ts: grad of grad, hessian, jvp and per-example gradients print their mathematics", () => {
  const out = run("examples/transforms.ts");
  assert.match(out, /tanh''\(0\.5\) = \[ -0\.72686198\d+ \]/);
  assert.match(out, /hessian at \[1, -1\] = \[ \[ 8, 1 \], \[ 1, -3 \] \]/);
  assert.match(out, /∇f = \[ 4, 1 \] {2}H·\[1, 0\] = \[ 8, 1 \]/);
  const [, a, b] = out.match(/grad\(batch\) (\S+) vs the seed's backprop (\S+)/) ?? [];
  assert.ok(Number(a) < 1e-15 && Number(b) < 1e-15, out);
});

test("examples/relu-softmax.json is a valid spec, and examples/digit-7.png is a PNG of a 7 (the README's commands use them)", async () => {
  const { decodeSpec } = await import("../nn/index.ts");
  const { readFileSync } = await import("node:fs");
  assert.equal(decodeSpec(JSON.parse(readFileSync("examples/relu-softmax.json", "utf8")))._tag, "Right");
  assert.equal(readFileSync("examples/digit-7.png").subarray(1, 4).toString("latin1"), "PNG");
});

test("the README's library example runs as written (against this checkout): the seed's network learns MNIST, and the gradient prints", async () => {
  const { readFileSync, writeFileSync, mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join, resolve } = await import("node:path");
  const readme = readFileSync("README.md", "utf8");
  const block = /## The library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, "the README has a TypeScript block under The library");
  assert.ok(block.split("\n").filter((l) => l.trim() !== "").length <= 25, "the loop stays within 25 lines");
  const entries: Record<string, string> = { tsgrad: "core", "tsgrad/nn": "nn", "tsgrad/datasets": "datasets", "tsgrad/node": "node" };
  // Two epochs, not thirty: the same code, in the time a test has.
  assert.match(block, /epochs: 30,/);
  const source = block.replace(/from "(tsgrad(?:\/\w+)?)"/g, (_, name: string) => `from ${JSON.stringify(resolve(entries[name], "index.ts"))}`).replace("epochs: 30,", "epochs: 2,");
  // .mts: the loop awaits at the top level, which an ES module may.
  const file = join(mkdtempSync(join(tmpdir(), "tsgrad-readme-")), "library.mts");
  writeFileSync(file, source);
  const out = execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", cwd: process.cwd() });
  const correct = [...out.matchAll(/^Epoch (\d): (\d+) \/ 10000, [\d.]+ s$/gm)].map((m) => Number(m[2]));
  assert.equal(correct.length, 2, out);
  assert.ok(correct[1] > 9000, `the network learns: ${correct}`);
  assert.match(out, /\[ \[ 0\.6193\d+ \], \[ -0\.1802\d+ \] \]/);
});

test("examples/ch6-book.json: every row of the book's chapter 6 table names a spec that decodes and flags that train accepts", async () => {
  const { decodeSpec } = await import("../nn/index.ts");
  const { parseFlags } = await import("../scripts/cli/flags.ts");
  const { trainFlags } = await import("../scripts/cli/train-flags.ts");
  const { readFileSync } = await import("node:fs");
  const table = JSON.parse(readFileSync("examples/ch6-book.json", "utf8")) as { rows: { row: string; book: number; spec: string; flags: string[] }[] };
  assert.ok(table.rows.length >= 6);
  for (const r of table.rows) {
    assert.equal(decodeSpec(JSON.parse(readFileSync(r.spec, "utf8")))._tag, "Right", r.spec);
    const parsed = parseFlags(["--spec", r.spec, ...r.flags], trainFlags, { min: 0, max: 0, names: "" });
    assert.equal(parsed._tag, "Right", `${r.row}: ${parsed._tag === "Left" ? parsed.left.message : ""}`);
    assert.ok(r.book > 97 && r.book < 100, r.row);
  }
});
