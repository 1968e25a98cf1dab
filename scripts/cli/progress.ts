/** A progress bar per epoch on stderr, only when stderr is a terminal (pipes and logs stay clean). */
import cliProgress from "cli-progress";

export interface Progress {
  start(epoch: number, total: number): void;
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

export function epochProgress(enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return silent;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "epoch {epoch} [{bar}] {percentage}% | {value}/{total} batches | {eta}s left", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start(epoch, total) {
      bar.start(total, 0, { epoch });
      running = true;
    },
    update(done) {
      if (running) bar.update(done);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
