/**
 * Schedules: what the run does between epochs, as pure functions of its history so far. A schedule
 * says how to scale η for the next epoch and whether to stop. Having no hidden state, a schedule
 * resumes from a checkpoint for free (the history is in it) and composes by multiplying and or-ing.
 */
import type { EpochSummary } from "./train.ts";

export interface ScheduleDecision {
  /** Multiplies the base learning rate for the next epoch. */
  readonly etaScale: number;
  /** End the run now (the loop keeps the best parameters seen). */
  readonly stop: boolean;
  /** Why it stops, for a person. */
  readonly reason?: string;
}

/** Decides, from the epochs completed so far, the next epoch's η scale and whether to stop. */
export type Schedule = (history: readonly EpochSummary[]) => ScheduleDecision;

/** The score a plateau is judged by: an epoch's validation accuracy when monitored, else its evaluation accuracy. */
export function score(e: EpochSummary): number {
  const v = e.monitors?.validation ?? e.evaluation;
  return v === undefined || v.total === 0 ? -Infinity : v.correct / v.total;
}

/** The epoch with the best score (the earliest among ties), or undefined for an empty history. */
export function bestEpoch(history: readonly EpochSummary[]): EpochSummary | undefined {
  let best: EpochSummary | undefined;
  for (const e of history) if (best === undefined || score(e) > score(best)) best = e;
  return best;
}

/** η as given, always. */
export const constant: Schedule = () => ({ etaScale: 1, stop: false });

/** η × factor^⌊epoch / every⌋: a fixed step decay. */
export function stepDecay(every: number, factor: number): Schedule {
  if (!Number.isInteger(every) || every < 1) throw new Error(`stepDecay: every must be a whole number ≥ 1, got ${every}`);
  if (!(factor > 0 && factor <= 1)) throw new Error(`stepDecay: factor must be in (0, 1], got ${factor}`);
  return (history) => ({ etaScale: factor ** Math.floor(history.length / every), stop: false });
}

/** η × gamma^epoch: an exponential decay. */
export function exponentialDecay(gamma: number): Schedule {
  if (!(gamma > 0 && gamma <= 1)) throw new Error(`exponentialDecay: gamma must be in (0, 1], got ${gamma}`);
  return (history) => ({ etaScale: gamma ** history.length, stop: false });
}

/**
 * The book's schedule: halve η whenever `patience` epochs pass without a better score, and stop once
 * η has fallen to η/`floor` (128 in the book).
 */
export function halveOnPlateau(patience: number, floor = 128): Schedule {
  if (!Number.isInteger(patience) || patience < 1) throw new Error(`halveOnPlateau: patience must be a whole number ≥ 1, got ${patience}`);
  return (history) => {
    let best = -Infinity, since = 0, scale = 1;
    for (const e of history) {
      const s = score(e);
      if (s > best) {
        best = s;
        since = 0;
      } else if (++since >= patience) {
        scale /= 2;
        since = 0;
      }
    }
    const stop = scale <= 1 / floor;
    return { etaScale: scale, stop, reason: stop ? `η fell to η/${floor} after epochs without improvement` : undefined };
  };
}

/** Stops when `patience` epochs pass without a better score than the best so far. */
export function earlyStopping(patience: number): Schedule {
  if (!Number.isInteger(patience) || patience < 1) throw new Error(`earlyStopping: patience must be a whole number ≥ 1, got ${patience}`);
  return (history) => {
    const best = bestEpoch(history);
    const since = best === undefined ? 0 : history.length - 1 - history.indexOf(best);
    const stop = since >= patience;
    return { etaScale: 1, stop, reason: stop ? `no improvement for ${patience} epochs` : undefined };
  };
}

/** Several schedules at once: their η scales multiply; any one may stop the run. */
export function combine(...schedules: readonly Schedule[]): Schedule {
  return (history) => {
    let etaScale = 1;
    for (const s of schedules) {
      const d = s(history);
      etaScale *= d.etaScale;
      if (d.stop) return { etaScale, stop: true, reason: d.reason };
    }
    return { etaScale, stop: false };
  };
}
