/** A progress bar per epoch on stderr, only when stderr is a terminal (pipes and logs stay clean). */
import cliProgress from "cli-progress";

export interface Progress {
  start(epoch: number, total: number): void;
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

/** Whether escape codes may be written: not under NO_COLOR (no-color.org: set and not empty) nor TERM=dumb. */
export function ansiAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== "") && env.TERM !== "dumb";
}

/** The bar redraws itself with escape codes: only on a terminal that allows them. */
export function epochProgress(enabled = process.stderr.isTTY === true && ansiAllowed()): Progress {
  if (!enabled) return silent;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "epoch {epoch} [{bar}] {percentage}% | {value}/{total} batches | {eta}s left", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  // The bar moves in ~200 steps an epoch: an update per mini-batch (5,000 an epoch, each with its ETA
  // arithmetic and arrays) cost more than the terminal can show.
  let every = 1, end = 0;
  return {
    start(epoch, total) {
      bar.start(total, 0, { epoch });
      every = Math.max(1, Math.floor(total / 200));
      end = total;
      running = true;
    },
    update(done) {
      if (running && (done % every === 0 || done === end)) bar.update(done);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
