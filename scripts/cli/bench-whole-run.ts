/**
 * `npm run bench -- --whole-run`: the whole default run as a user waits for it, against a peer's (the numpy
 * float32 peer, or with `--peers c` the C yardstick's), in one session, alternating. For each: the wall time
 * and the CPU seconds of the process, the mean training seconds per epoch it reports itself (first epoch
 * included), and whole epochs (training and the per-epoch evaluation) measured from outside, as the time
 * between consecutive `Epoch j:` lines arriving on its stdout.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserError } from "./exit.ts";
import { childrenCpuSeconds, stealText, watchSteal } from "./host.ts";
import { buildCPeer, peerScript } from "./peers.ts";
import { median } from "./stats.ts";

export interface RunTiming {
  readonly wallSeconds: number;
  /** CPU seconds (user + system) of the whole process, where /proc tells them. */
  readonly cpuSeconds?: number;
  /** Mean of the training seconds each epoch line reports (first epoch included). */
  readonly reportedSecondsPerEpoch: number;
  /** Median time between consecutive epoch lines: a whole epoch, training and evaluation. */
  readonly wholeEpochSeconds: number;
  readonly lastLine: string;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs a command, timing it and the arrival of each `Epoch j:` line; `secondsOf` reads an epoch line's training
 * seconds, and `wholeOf`, for a program whose piped output arrives all at once (C's stdio buffers it), its own
 * measure of the whole epoch.
 */
function timed(cmd: string, args: readonly string[], secondsOf: (line: string) => number | undefined, wholeOf?: (line: string) => number | undefined): Promise<RunTiming> {
  return new Promise((ok, fail) => {
    const t0 = performance.now(), cpu0 = childrenCpuSeconds();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const arrivals: number[] = [], reported: number[] = [], wholes: number[] = [];
    let buffer = "", err = "", lastLine = "";
    child.stdout.on("data", (d: Buffer) => {
      const now = performance.now();
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (/^Epoch \d+: /.test(line)) {
          arrivals.push(now);
          const s = secondsOf(line);
          if (s !== undefined) reported.push(s);
          const w = wholeOf?.(line);
          if (w !== undefined) wholes.push(w);
          lastLine = line;
        }
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => fail(new UserError(`${cmd}: ${e.message}`)));
    // "close": the child has been waited for, so its CPU time is in ours.
    child.on("close", (code) => {
      const cpu1 = childrenCpuSeconds();
      if (code !== 0) return fail(new UserError(`${cmd} ${args.join(" ")} exited with ${code}: ${err.trim().split("\n").pop() ?? ""}`));
      const gaps = arrivals.slice(1).map((t, i) => (t - arrivals[i]) / 1000);
      ok({
        wallSeconds: (performance.now() - t0) / 1000,
        ...(cpu0 === undefined || cpu1 === undefined ? {} : { cpuSeconds: cpu1 - cpu0 }),
        reportedSecondsPerEpoch: reported.reduce((a, b) => a + b, 0) / Math.max(reported.length, 1),
        wholeEpochSeconds: wholeOf !== undefined ? (wholes.length > 0 ? median(wholes) : NaN) : gaps.length > 0 ? median(gaps) : NaN,
        lastLine,
      });
    });
  });
}

export interface WholeRunResult {
  readonly peer: WholeRunPeer;
  readonly tsgrad: readonly RunTiming[];
  readonly others: readonly RunTiming[];
  /** The share of the host's CPU time stolen during the runs. */
  readonly steal?: number;
}

export type WholeRunPeer = "numpy" | "c" | "library";

const peerNames: Record<WholeRunPeer, string> = { numpy: "numpy float32", c: "C (sparse_sgd.c)", library: "the README's library loop" };

/** `rounds` of tsgrad's `train` (the seed's run, `epochs` epochs) and the peer's, alternating. */
export async function wholeRun(epochs: number, rounds: number, peer: WholeRunPeer, dataDir: string, log: (s: string) => void): Promise<WholeRunResult> {
  const numpyPeer = peer === "numpy" ? peerScript("mnist_numpy.py", "--whole-run") : undefined;
  const c = peer === "c" ? await buildCPeer(30, "--whole-run --peers c") : undefined;
  const tsgrad: RunTiming[] = [], others: RunTiming[] = [];
  const steal = watchSteal();
  try {
    for (let r = 0; r < rounds; r++) {
      // As `npm run train` starts it (scripts/launch.mjs: the build when fresh, else the sources), without npm's own start-up.
      tsgrad.push(await timed(process.execPath, ["scripts/launch.mjs", "train", "--epochs", String(epochs)], (l) => {
        const m = /, ([\d.]+) s$/.exec(l);
        return m === null ? undefined : Number(m[1]);
      }));
      others.push(peer === "library"
        // The README's loop (examples/mnist-loop.ts): the same network and settings from the library's parts.
        ? await timed(process.execPath, ["--import", "tsx", "examples/mnist-loop.ts", String(epochs)], (l) => {
          const m = /, ([\d.]+) s$/.exec(l);
          return m === null ? undefined : Number(m[1]);
        })
        : c !== undefined
        ? await timed(c.binary, [dataDir, String(epochs)], (l) => {
          const m = / train ([\d.]+) s/.exec(l);
          return m === null ? undefined : Number(m[1]);
        }, (l) => {
          const m = /, whole ([\d.]+) s/.exec(l);
          return m === null ? undefined : Number(m[1]);
        })
        : await timed("python3", [numpyPeer!, "--layers", "784,30,10", "--epochs", String(epochs), "--dtype", "float32"], (l) => {
          const m = /\(train ([\d.]+) s\)/.exec(l);
          return m === null ? undefined : Number(m[1]);
        }));
      const t = tsgrad[r], o = others[r];
      const cpu = (x: RunTiming) => (x.cpuSeconds === undefined ? "" : `, CPU ${x.cpuSeconds.toFixed(2)} s`);
      log(`round ${r + 1}: tsgrad wall ${t.wallSeconds.toFixed(2)} s${cpu(t)}, ${t.reportedSecondsPerEpoch.toFixed(3)} s/epoch reported, ${t.wholeEpochSeconds.toFixed(3)} whole; ${peerNames[peer]} wall ${o.wallSeconds.toFixed(2)} s${cpu(o)}, ${o.reportedSecondsPerEpoch.toFixed(3)} reported, ${o.wholeEpochSeconds.toFixed(3)} whole\n`);
    }
  } finally {
    c?.dispose();
  }
  const stolen = steal();
  return { peer, tsgrad, others, ...(stolen === undefined ? {} : { steal: stolen }) };
}

/** The table and the ratios, from medians over the rounds. */
export function wholeRunReport(r: WholeRunResult, epochs: number): string {
  const med = (xs: readonly RunTiming[], f: (t: RunTiming) => number) => median(xs.map(f));
  const rows: [string, (t: RunTiming) => number][] = [
    ["wall time of the run (s)", (t) => t.wallSeconds],
    ["CPU time of the run (s)", (t) => t.cpuSeconds ?? NaN],
    ["training s/epoch as reported (first included)", (t) => t.reportedSecondsPerEpoch],
    ["whole epoch from outside (s, training + evaluation)", (t) => t.wholeEpochSeconds],
  ];
  const name = peerNames[r.peer];
  const lines = [`${epochs} epochs of 784-30-10, ${r.tsgrad.length} rounds alternating (medians), ${stealText(r.steal)}:`];
  for (const [what, f] of rows) lines.push(`  ${what.padEnd(52)} tsgrad ${med(r.tsgrad, f).toFixed(3).padStart(8)}   ${name} ${med(r.others, f).toFixed(3).padStart(8)}   ratio ${(med(r.tsgrad, f) / med(r.others, f)).toFixed(2)}`);
  lines.push(`  tsgrad's last epoch: ${r.tsgrad[r.tsgrad.length - 1].lastLine}`);
  return `${lines.join("\n")}\n`;
}
