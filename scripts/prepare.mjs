// npm's `prepare`: in a checkout with its devDependencies (npm ci, npm install), build the WebAssembly
// kernels. Where they are absent (npm running prepare for a consumer's file: or git dependency without
// them), say what to do instead of failing the consumer's install.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const here = new URL("..", import.meta.url);
if (existsSync(new URL("node_modules/assemblyscript", here)) && existsSync(new URL("node_modules/tsx", here))) {
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-wasm.ts"], { cwd: here, stdio: "inherit" });
} else if (!existsSync(new URL("dist/core/index.js", here))) {
  process.stderr.write("tsgrad: not built, and its build tools (devDependencies) are not installed here; install tsgrad from a tarball (npm pack) or run npm install inside its checkout\n");
}
