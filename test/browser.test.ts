/**
 * tsgrad in a real browser (Chromium, driven by playwright-core): the wasm kernels' helper thread runs in a
 * Web Worker on a cross-origin isolated page, with one thread's numbers; on a page that is not isolated the
 * kernels compute on one thread and say why. Skips, saying so, where Chromium is not installed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { build } from "esbuild";

function chromiumPath(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

test("in Chromium: the helper thread runs in a Web Worker when the page is cross-origin isolated (one thread's numbers), and is skipped with a note when it is not", async (t) => {
  const executablePath = chromiumPath();
  if (executablePath === undefined) return t.skip("Chromium is not installed (apt-get install -y chromium)");
  const out = mkdtempSync(join(tmpdir(), "tsgrad-browser-"));
  await build({ entryPoints: { page: "test/browser/page.ts", worker: "core/kernels/helper-worker.browser.ts" }, bundle: true, platform: "browser", format: "esm", outdir: out, logLevel: "silent" });
  const files: Record<string, [string, string]> = {
    "index.html": ["text/html", '<!doctype html><script type="module" src="./page.js"></script>'],
    "page.js": ["text/javascript", readFileSync(join(out, "page.js"), "utf8")],
    "worker.js": ["text/javascript", readFileSync(join(out, "worker.js"), "utf8")],
  };
  const server: Server = createServer((req, res) => {
    const [, mode, name] = /^\/(isolated|plain)\/([\w.]+)$/.exec(req.url ?? "") ?? [];
    const file = name === undefined ? undefined : files[name];
    if (file === undefined) return void res.writeHead(404).end();
    const headers: Record<string, string> = { "content-type": file[0] };
    if (mode === "isolated") Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    res.writeHead(200, headers).end(file[1]);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const results: Record<string, { isolated: boolean; threads: number; note: string | null; same: boolean; error?: string }> = {};
    for (const mode of ["isolated", "plain"]) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/${mode}/index.html`);
      await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined);
      results[mode] = await page.evaluate(() => (globalThis as { result?: Promise<never> }).result as Promise<never>);
      await page.close();
    }
    assert.deepEqual(results.isolated, { isolated: true, threads: 2, note: null, same: true });
    assert.equal(results.plain.isolated, false);
    assert.equal(results.plain.threads, 1);
    assert.equal(results.plain.same, true);
    assert.match(results.plain.note ?? "", /cross-origin isolated/);
  } finally {
    await browser.close();
    server.close();
  }
});
