import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, runScript, tempDir } from "../fixtures.ts";

test("a sweep runs every combination and writes a table and a chart", async () => {
  const out = join(tempDir(), "sweep");
  const r = await runScript("sweep", ["--data", blobDirectory(300, 100, 8, 4), "--layers", "64,16,10", "64,8,10", "--cost", "quadratic", "cross-entropy", "--epochs", "2", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const md = readFileSync(join(out, "sweep.md"), "utf8");
  const rows = md.split("\n").filter((l) => /^\| \d+ \|/.test(l));
  assert.equal(rows.length, 4);
  assert.match(rows[0], /^\| 1 \| 64,16,10 \| quadratic \| \d+\.\d\d% \| \d \| \d+\.\d\d% \|/);
  assert.match(rows[3], /^\| 4 \| 64,8,10 \| cross-entropy \|/);
  assert.ok(existsSync(join(out, "sweep.svg")));
  assert.match(readFileSync(join(out, "sweep.svg"), "utf8"), /<polyline/);
});

test("a sweep with a bad value names the flag and runs nothing", async () => {
  const r = await runScript("sweep", ["--eta", "0.5", "fast", "--epochs", "1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^error: --eta: expected a finite number > 0, got "fast"$/);
});

test("sweep checks its flags before making --out (no empty folder left), and refuses --out under /proc at once", async () => {
  const out = join(tempDir(), "never", "made");
  const r = await runScript("sweep", ["--data", blobDirectory(300, 100, 8, 4), "--layers", "10,16,10", "--epochs", "1", "--out", out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--layers 10,16,10/);
  assert.ok(!existsSync(join(out, "..")), "no folder made");
  const proc = await runScript("sweep", ["--data", blobDirectory(300, 100, 8, 4), "--layers", "64,16,10", "--epochs", "1", "--out", "/proc/tsgrad-sweep"], { timeoutMs: 20000 });
  assert.equal(proc.code, 2, proc.stderr);
  assert.match(proc.stderr, /^error: --out: cannot make directory \/proc\/tsgrad-sweep/);
});
