/** npm run playground's flags and its static build: mistakes are one line and exit 2; a build is whole or absent. */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runScript, tempDir } from "../fixtures.ts";

function expectError(r: { code: number; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

test("playground: a bad port, a stray argument or a build folder that is not empty are one-line errors", async () => {
  expectError(await runScript("playground", ["--port", "http"]), /--port/);
  expectError(await runScript("playground", ["extra"]), /extra|argument/);
  const full = tempDir();
  writeFileSync(join(full, "keep.txt"), "mine");
  expectError(await runScript("playground", ["--build", full]), /exists and is not an empty folder/);
  assert.deepEqual(readdirSync(full), ["keep.txt"], "nothing written into it");
  const file = join(tempDir(), "a-file");
  writeFileSync(file, "");
  expectError(await runScript("playground", ["--build", file]), /not an empty folder/);
});

test("playground --build writes the page, the headers note and (unless --data false) MNIST, all or nothing", async () => {
  const dir = join(tempDir(), "site");
  const r = await runScript("playground", ["--build", dir, "--data", "false"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Cross-Origin-Embedder-Policy: require-corp/);
  assert.deepEqual(readdirSync(dir).sort(), ["_headers", "helper.js", "index.html", "main.css", "main.js", "worker.js"]);
  assert.match(readFileSync(join(dir, "index.html"), "utf8"), /<script type="module" src=".\/main.js">/);
  assert.match(readFileSync(join(dir, "_headers"), "utf8"), /Cross-Origin-Opener-Policy: same-origin/);
  const empty = join(tempDir(), "empty");
  mkdirSync(empty);
  assert.equal((await runScript("playground", ["--build", empty])).code, 0);
  assert.deepEqual(readdirSync(join(empty, "data")).sort(), ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]);
  assert.ok(!readdirSync(join(empty, "..")).some((f) => f.includes(".tmp-")), "no temporary folder left");
  assert.ok(existsSync(join(empty, "worker.js")));
});

test("playground --build sweeps a killed build's temporary folder, builds through a symlink without replacing it, and refuses /proc at once", async () => {
  const parent = tempDir();
  const site = join(parent, "site");
  // A build killed earlier (its pid long gone) left its temporary folder beside the target.
  mkdirSync(join(parent, "site.tmp-999999"));
  writeFileSync(join(parent, "site.tmp-999999", "main.js"), "half");
  assert.equal((await runScript("playground", ["--build", site, "--no-data"])).code, 0);
  assert.deepEqual(readdirSync(parent).sort(), ["site"]);
  const real = join(parent, "real");
  mkdirSync(real);
  const link = join(parent, "link");
  symlinkSync(real, link);
  assert.equal((await runScript("playground", ["--build", link, "--data=false"])).code, 0);
  assert.ok(lstatSync(link).isSymbolicLink(), "the link is still a link");
  assert.ok(readdirSync(real).includes("index.html"), "the page is in the folder it names");
  for (const dir of ["/proc/tsgrad-x", "/sys/tsgrad-x"]) {
    const t0 = performance.now();
    const r = await runScript("playground", ["--build", dir, "--no-data"], { timeoutMs: 20000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --build /);
    assert.ok(performance.now() - t0 < 15000);
  }
});
