// A hash of everything dist/ is built from (the TypeScript sources, the generated wasm module, the build's
// settings). `npm run build` writes it to dist/source-hash; scripts/launch.mjs runs the build only when the
// hash still matches, so a stale build is never run in place of the sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const folders = ["core", "nn", "datasets", "node", "scripts", "playground"];
const files = ["package.json", "tsconfig.json", "tsconfig.build.json"];

function walk(dir, out) {
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) walk(rel, out);
    else out.push(rel);
  }
  return out;
}

export function sourceHash() {
  const hash = createHash("sha256");
  for (const rel of [...files, ...folders.flatMap((d) => walk(d, []))]) {
    hash.update(rel).update("\0").update(readFileSync(join(root, rel))).update("\0");
  }
  return hash.digest("hex");
}

export const hashFile = join(root, "dist", "source-hash");
