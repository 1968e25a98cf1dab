/**
 * The peer benchmarks bench runs beside tsgrad (numpy, PyTorch, the C yardstick): scripts kept outside the
 * package, in the development workspace's shared/peers/ beside this checkout, or wherever TSGRAD_PEERS says.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./exit.ts";

/** Where the peer scripts are looked for. */
export function peersDirectory(): string {
  const given = process.env.TSGRAD_PEERS;
  if (given !== undefined && given !== "") return resolve(given);
  // From scripts/cli/ (a checkout) or dist/scripts/cli/ (a build): the checkout's parent holds shared/peers.
  const here = fileURLToPath(import.meta.url);
  const checkout = resolve(here, here.includes("/dist/") ? "../../../.." : "../../..");
  return resolve(checkout, "../shared/peers");
}

/** The path of a peer script, refusing (one line saying where peers come from) when it is absent. */
export function peerScript(name: string, flag: string): string {
  const path = resolve(peersDirectory(), name);
  if (!existsSync(path)) {
    throw new UserError(`${flag}: the peer script ${name} is not in ${peersDirectory()}; the peers are not part of tsgrad's package: they live in its development workspace (shared/peers beside the checkout), or set TSGRAD_PEERS to the folder that holds them`);
  }
  return path;
}

/** What the C yardstick reports: seconds per epoch of training (wall and CPU) and of whole epochs. */
export interface CPeerResult {
  readonly medianSecondsPerEpoch: number;
  readonly cpuSecondsPerEpoch: number;
  readonly wholeSecondsPerEpoch: number;
}

/** Runs a command for a peer, its failure (or a missing command) as one line naming the peer's flag. */
function runFor(flag: string, cmd: string, args: readonly string[]): Promise<string> {
  return new Promise<string>((ok, fail) => {
    execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err === null) return ok(stdout);
      const code = (err as { code?: unknown }).code;
      fail(new UserError(code === "ENOENT" ? `${flag}: ${cmd} is not on this machine (apt-get install -y gcc)` : `${flag}: ${cmd} failed: ${(stderr || err.message).trim().split("\n").pop()}`));
    });
  });
}

/** `sparse_sgd.c` built for `hidden` units with the machine's gcc into a temporary folder; `dispose` removes it. */
export async function buildCPeer(hidden: number, flag: string): Promise<{ readonly binary: string; dispose(): void }> {
  const source = peerScript("sparse_sgd.c", flag);
  const dir = mkdtempSync(join(tmpdir(), "tsgrad-c-peer-"));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  const binary = join(dir, "sparse_sgd");
  try {
    await runFor(flag, "gcc", ["-O3", "-march=native", `-DNH=${hidden}`, "-o", binary, source, "-lm"]);
  } catch (e) {
    dispose();
    throw e;
  }
  return { binary, dispose };
}

/**
 * Builds `sparse_sgd.c` (the seed's algorithm in plain C, first layer sparse) for `hidden` units with the
 * machine's gcc, into a temporary folder, and runs it for `epochs` on the data in `dataDir`.
 */
export async function runCPeer(hidden: number, epochs: number, dataDir: string): Promise<CPeerResult> {
  const { binary, dispose } = await buildCPeer(hidden, "--peers c");
  try {
    const out = await runFor("--peers c", binary, [dataDir, String(epochs)]);
    const last = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { trainPerEpoch?: number; cpuTrainPerEpoch?: number; wholePerEpoch?: number };
    if (typeof last.trainPerEpoch !== "number" || typeof last.cpuTrainPerEpoch !== "number" || typeof last.wholePerEpoch !== "number") throw new UserError("--peers c: sparse_sgd printed no timing line");
    return { medianSecondsPerEpoch: last.trainPerEpoch, cpuSecondsPerEpoch: last.cpuTrainPerEpoch, wholeSecondsPerEpoch: last.wholePerEpoch };
  } finally {
    dispose();
  }
}
