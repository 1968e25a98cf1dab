// `npm run train`: runs the build from dist/ when it was built from exactly these sources (saving tsx's
// compile, ~0.7 s of every start): the script bundled into one file where there is one (saving ~0.15 s more
// of loading modules), else the compiled script; with no fresh build, the TypeScript sources through tsx.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hashFile, sourceHash } from "./source-hash.mjs";

const [name, ...rest] = process.argv.slice(2);
const bundled = new URL(`../dist/bundle/${name}.mjs`, import.meta.url);
const built = existsSync(bundled) ? bundled : new URL(`../dist/scripts/${name}.js`, import.meta.url);
/** Whether dist/ was built from these very sources; anything unreadable counts as not. */
function isFresh() {
  try {
    return existsSync(built) && existsSync(hashFile) && readFileSync(hashFile, "utf8").trim() === sourceHash();
  } catch {
    return false;
  }
}
const fresh = isFresh();
const script = fresh ? built : new URL(`./${name}.ts`, import.meta.url);
if (!fresh) (await import("tsx/esm/api")).register();
// The script reads its flags from process.argv, as if started directly.
process.argv = [process.argv[0], fileURLToPath(script), ...rest];
await import(script.href);
