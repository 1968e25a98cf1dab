/**
 * When a run should stop: Ctrl-C or SIGTERM (finish the mini-batch, write the checkpoint, exit 130; a second
 * signal later quits at once), or the command the user started being gone. `npm run` and `npx tsx` pass a
 * terminal's Ctrl-C on to us while the terminal also sends it to the whole process group: signals within
 * a short window are one request.
 */
import { EXIT_INTERRUPTED } from "./exit.ts";
import { lifeline } from "./lifeline.ts";

/** Signals closer together than this are taken as one (a terminal's Ctrl-C reaching us twice through npm or tsx). */
const SIGNAL_WINDOW_MS = 500;

export interface StopRequest {
  /** Whether to stop after this mini-batch (checked often: it reads /proc at most twice a second). */
  requested(): boolean;
  /** Stops listening for signals (unless a stop is under way). */
  release(): void;
}

/** Listens for a stop; `what` says what stopping will do ("and writing the checkpoint"). */
export function stopRequest(what: string): StopRequest {
  let stopRequested = false;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      if (performance.now() - firstSignalAt < SIGNAL_WINDOW_MS) return;
      process.exit(EXIT_INTERRUPTED);
    }
    stopRequested = true;
    firstSignalAt = performance.now();
    process.stderr.write(`\n${signal}: stopping after this mini-batch${what} (again to quit at once)\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A process manager that kills `npm run train` kills npm only: when the command the user started goes,
  // stop as on SIGTERM rather than train on, orphaned, writing checkpoints nobody asked for any more.
  const gone = lifeline({ parent: true });
  return {
    requested() {
      if (!stopRequested && gone()) onSignal("SIGTERM");
      return stopRequested;
    },
    release() {
      // A stop under way keeps its handlers to the end: npm forwards the terminal's Ctrl-C a moment after the
      // terminal delivers it, and that copy must not kill the process before it has said how to resume.
      if (stopRequested) return;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
