/**
 * tsgrad as a package (issue 13): packed, installed into a fresh project, and used by name from plain
 * JavaScript, from a strict TypeScript project and from the command line; and core, nn and datasets
 * bundled for a browser with no Node module in them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startPlaygroundServer } from "../../scripts/cli/playground-server.ts";
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { build } from "esbuild";

const repo = resolve(".");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (cmd: string, args: readonly string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240000 });

/** Starts `npx tsgrad playground --port 0` in `cwd` and fetches its page, worker and a data file, cross-origin isolated. */
async function checkPlayground(cwd: string): Promise<void> {
  const server = await startPlaygroundServer(npm, ["exec", "--", "tsgrad", "playground", "--port", "0"], cwd);
  try {
    const url = server.url;
    for (const [path, type] of [["", /text\/html/], ["worker.js", /javascript/], ["data/t10k-labels-idx1-ubyte", /octet-stream/]] as const) {
      const r = await fetch(`${url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type") ?? "", type);
      assert.equal(r.headers.get("cross-origin-embedder-policy"), "require-corp");
      if (path.startsWith("data/")) assert.equal((await r.arrayBuffer()).byteLength, 10008);
    }
    assert.equal((await fetch(`${url}nope.js`)).status, 404);
  } finally {
    server.stop();
  }
}

test("npm pack, installed in a fresh project, and this checkout by path: node app.mjs trains XOR, tsx app.ts runs, strict tsc passes on the .d.ts, npx tsgrad train and playground run", async () => {
  const work = mkdtempSync(join(tmpdir(), "tsgrad-pack-"));
  run(npm, ["pack", "--pack-destination", work, "--silent"], repo);
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball !== undefined, "npm pack made a tarball");
  const listing = run("tar", ["tzf", join(work, tarball)], work).split("\n").filter((l) => l !== "");
  assert.ok(listing.includes("package/dist/core/kernels/wasm-module.generated.js"), "the wasm module ships");
  assert.ok(listing.every((f) => /^package\/(dist|bin)\/|^package\/(package\.json|README\.md|LICENSE)$/.test(f)), `only what a user needs: ${listing.filter((f) => !/^package\/(dist|bin)\//.test(f))}`);
  assert.ok(listing.includes("package/LICENSE"), "the MIT text package.json names ships");
  // No declaration map pointing at sources the package does not ship; source maps carry their sources inline.
  assert.deepEqual(listing.filter((f) => f.endsWith(".d.ts.map")), []);

  const project = join(work, "project");
  execFileSync("mkdir", [project]);
  for (const f of ["app.mjs", "app.ts", "tsconfig.json"]) copyFileSync(join(repo, "examples", "consumer", f), join(project, f));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { tsgrad: `file:../${tarball}` } }));
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"], project);

  const appOut = run(process.execPath, ["app.mjs"], project);
  const losses = [...appOut.matchAll(/loss ([\d.]+)/g)].map((m) => Number(m[1]));
  // JAX's conventions from plain JS, and six mistakes each caught with a message naming it.
  assert.match(appOut, /^value 1 grad 0\.5$/m);
  assert.equal([...appOut.matchAll(/^caught: \w+: /gm)].length, 6, appOut);
  assert.doesNotMatch(appOut, /NOT CAUGHT/);
  assert.equal(losses.length, 5);
  assert.ok(losses[4] < losses[0] / 10, `the loss falls: ${losses}`);
  run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project); // throws on any error
  const train = run(npm, ["exec", "--", "tsgrad", "train", "--train-size", "1000", "--epochs", "1"], project);
  assert.match(train, /^Epoch 0: \d+ \/ 10000 /m);
  await checkPlayground(project); // the prebuilt page from dist/playground: no esbuild in a consumer's project
  const tsx = join(repo, "node_modules", "tsx", "dist", "cli.mjs");
  assert.match(run(process.execPath, [tsx, "app.ts"], project), /^df\/dw = /m, "tsx app.ts runs against the installed package");

  // The checkout route: a project that depends on this checkout (installed and, by the pack above, built) by path.
  const linked = join(work, "linked");
  execFileSync("mkdir", [linked]);
  for (const f of ["app.mjs", "app.ts", "tsconfig.json"]) copyFileSync(join(repo, "examples", "consumer", f), join(linked, f));
  writeFileSync(join(linked, "package.json"), JSON.stringify({ name: "linked", private: true, type: "module", dependencies: { tsgrad: `file:${repo}` } }));
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"], linked);
  assert.match(run(process.execPath, ["app.mjs"], linked), /step 2000: loss /);
  run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], linked);
  assert.match(run(process.execPath, [tsx, "app.ts"], linked), /^df\/dw = /m);
});

test("a fresh clone as a git dependency (npm clones it, installs its devDependencies, runs prepare, which builds it): node, tsx and strict tsc", (t) => {
  // npm takes the committed HEAD, not the working tree: in CI (a clean clone) they are the same.
  if (run("git", ["rev-parse", "--is-inside-work-tree"], repo).trim() !== "true") return t.skip("not a git checkout");
  const project = mkdtempSync(join(tmpdir(), "tsgrad-git-"));
  for (const f of ["app.mjs", "app.ts", "tsconfig.json"]) copyFileSync(join(repo, "examples", "consumer", f), join(project, f));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "from-git", private: true, type: "module", dependencies: { tsgrad: `git+file://${repo}` } }));
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"], project);
  assert.match(run(process.execPath, ["app.mjs"], project), /step 2000: loss /);
  run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
  assert.match(run(process.execPath, [join(repo, "node_modules", "tsx", "dist", "cli.mjs"), "app.ts"], project), /^df\/dw = /m);
});

test("in this checkout, npx tsgrad starts as npm run does: help, an unknown command, a command's usage naming tsgrad", () => {
  assert.match(run(process.execPath, ["bin/tsgrad.mjs", "--help"], repo), /usage: tsgrad COMMAND/);
  assert.throws(() => run(process.execPath, ["bin/tsgrad.mjs", "nope"], repo), /unknown command "nope"/);
  assert.match(run(process.execPath, ["bin/tsgrad.mjs", "evaluate", "--help"], repo), /^usage: tsgrad evaluate MODEL\.json/);
});

test("core, nn and datasets bundle for a browser with no Node module (esbuild, --platform=browser)", async () => {
  for (const entry of ["core/index.ts", "nn/index.ts", "datasets/index.ts"]) {
    const r = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" });
    assert.equal(r.errors.length, 0, entry);
    assert.doesNotMatch(r.outputFiles[0].text, /from\s*"node:|require\("node:/, `${entry} pulls in a Node module`);
  }
  // The guard can fail: node/ does import Node modules.
  await assert.rejects(build({ entryPoints: ["node/index.ts"], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" }));
});
