/**
 * `npm run bench -- --whole-run`: the whole default run as a user waits for it, against the numpy peer's, in
 * one session, alternating. For each: the wall time of the process, the mean training seconds per epoch it
 * reports itself (first epoch included), and whole epochs (training and the per-epoch evaluation) measured from
 * outside, as the time between consecutive `Epoch j:` lines arriving on its stdout.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserError } from "./exit.ts";
import { peerScript } from "./peers.ts";
import { median } from "./stats.ts";

export interface RunTiming {
  readonly wallSeconds: number;
  /** Mean of the training seconds each epoch line reports (first epoch included). */
  readonly reportedSecondsPerEpoch: number;
  /** Median time between consecutive epoch lines: a whole epoch, training and evaluation. */
  readonly wholeEpochSeconds: number;
  readonly lastLine: string;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Runs a command, timing it and the arrival of each `Epoch j:` line; `secondsOf` reads an epoch line's training seconds. */
function timed(cmd: string, args: readonly string[], secondsOf: (line: string) => number | undefined): Promise<RunTiming> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const arrivals: number[] = [], reported: number[] = [];
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
          lastLine = line;
        }
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => fail(new UserError(`${cmd}: ${e.message}`)));
    child.on("exit", (code) => {
      if (code !== 0) return fail(new UserError(`${cmd} ${args.join(" ")} exited with ${code}: ${err.trim().split("\n").pop() ?? ""}`));
      const gaps = arrivals.slice(1).map((t, i) => (t - arrivals[i]) / 1000);
      ok({
        wallSeconds: (performance.now() - t0) / 1000,
        reportedSecondsPerEpoch: reported.reduce((a, b) => a + b, 0) / Math.max(reported.length, 1),
        wholeEpochSeconds: gaps.length > 0 ? median(gaps) : NaN,
        lastLine,
      });
    });
  });
}

export interface WholeRunResult {
  readonly tsgrad: readonly RunTiming[];
  readonly numpy: readonly RunTiming[];
}

/** `rounds` of tsgrad's `train` (the seed's run, `epochs` epochs) and the numpy float32 peer's, alternating. */
export async function wholeRun(epochs: number, rounds: number, log: (s: string) => void): Promise<WholeRunResult> {
  const numpyPeer = peerScript("mnist_numpy.py", "--whole-run");
  const tsgrad: RunTiming[] = [], numpy: RunTiming[] = [];
  for (let r = 0; r < rounds; r++) {
    // As `npm run train` starts it (scripts/launch.mjs: the build when fresh, else the sources), without npm's own start-up.
    tsgrad.push(await timed(process.execPath, ["scripts/launch.mjs", "train", "--epochs", String(epochs)], (l) => {
      const m = /, ([\d.]+) s$/.exec(l);
      return m === null ? undefined : Number(m[1]);
    }));
    numpy.push(await timed("python3", [numpyPeer, "--layers", "784,30,10", "--epochs", String(epochs), "--dtype", "float32"], (l) => {
      const m = /\(train ([\d.]+) s\)/.exec(l);
      return m === null ? undefined : Number(m[1]);
    }));
    const t = tsgrad[r], n = numpy[r];
    log(`round ${r + 1}: tsgrad wall ${t.wallSeconds.toFixed(2)} s, ${t.reportedSecondsPerEpoch.toFixed(3)} s/epoch reported, ${t.wholeEpochSeconds.toFixed(3)} whole; numpy wall ${n.wallSeconds.toFixed(2)} s, ${n.reportedSecondsPerEpoch.toFixed(3)} reported, ${n.wholeEpochSeconds.toFixed(3)} whole\n`);
  }
  return { tsgrad, numpy };
}

/** The table and the two ratios the issue asks for, from medians over the rounds. */
export function wholeRunReport(r: WholeRunResult, epochs: number): string {
  const med = (xs: readonly RunTiming[], f: (t: RunTiming) => number) => median(xs.map(f));
  const rows: [string, (t: RunTiming) => number][] = [
    ["wall time of the run (s)", (t) => t.wallSeconds],
    ["training s/epoch as reported (first included)", (t) => t.reportedSecondsPerEpoch],
    ["whole epoch from outside (s, training + evaluation)", (t) => t.wholeEpochSeconds],
  ];
  const lines = [`${epochs} epochs of 784-30-10, ${r.tsgrad.length} rounds alternating (medians):`];
  for (const [name, f] of rows) lines.push(`  ${name.padEnd(52)} tsgrad ${med(r.tsgrad, f).toFixed(3).padStart(8)}   numpy float32 ${med(r.numpy, f).toFixed(3).padStart(8)}   ratio ${(med(r.tsgrad, f) / med(r.numpy, f)).toFixed(2)}`);
  lines.push(`  tsgrad's last epoch: ${r.tsgrad[r.tsgrad.length - 1].lastLine}`);
  return `${lines.join("\n")}\n`;
}
