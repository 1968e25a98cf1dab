/**
 * The playground's files: bundled from playground/ with esbuild in a checkout (esbuild is a devDependency),
 * or read from the package's prebuilt dist/playground/ where tsgrad is installed (made by `npm run build`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "./exit.ts";

export interface PageFile {
  readonly type: string;
  readonly body: Uint8Array;
}

const types: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", map: "application/json" };
const typeOf = (name: string) => types[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";

async function bundle(root: URL, sourceMaps: boolean): Promise<Map<string, PageFile>> {
  const esbuild = await import("esbuild").catch(() => undefined);
  if (esbuild === undefined) throw new UserError("the playground is not built and esbuild (a devDependency) is not installed: run npm install in tsgrad's checkout");
  const at = (p: string) => fileURLToPath(new URL(p, root));
  const result = await esbuild.build({
    entryPoints: { main: at("playground/main.ts"), worker: at("playground/worker.ts"), helper: at("core/kernels/helper-worker.browser.ts"), main_css: at("playground/main.css") },
    bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true, sourcemap: sourceMaps ? "linked" : false,
    write: false, outdir: "/out", logLevel: "silent",
  });
  const files = new Map<string, PageFile>();
  for (const f of result.outputFiles) {
    const name = f.path.slice("/out/".length).replace("main_css", "main");
    files.set(name, { type: typeOf(name), body: f.contents });
  }
  files.set("index.html", { type: typeOf("index.html"), body: readFileSync(at("playground/index.html")) });
  return files;
}

/** The page's files by name; `root` is the package's root folder. Source maps (1.4 MB) only when asked. */
export async function playgroundFiles(root: URL, sourceMaps = false): Promise<Map<string, PageFile>> {
  if (existsSync(new URL("playground/main.ts", root))) return bundle(root, sourceMaps);
  const built = new URL("dist/playground/", root);
  if (!existsSync(built)) throw new UserError("the playground is not built (run npm run build in tsgrad's checkout)");
  const files = new Map<string, PageFile>();
  for (const name of readdirSync(built)) files.set(name, { type: typeOf(name), body: readFileSync(new URL(name, built)) });
  return files;
}
