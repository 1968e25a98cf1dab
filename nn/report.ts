/** How a run reads out, the same in the CLI and the playground: the seed's epoch line, the best epoch, percentages. */
import { Tensor, treeMap, type Tree } from "../core/index.ts";
import type { EpochSummary } from "./train.ts";

/** The seed's `Epoch j: n / total`, then the epoch's mean training cost and its training seconds (no newline). */
export function epochLine(r: EpochSummary): string {
  return `Epoch ${r.epoch}: ${r.evaluation?.correct} / ${r.evaluation?.total}   training cost ${r.trainCost.toFixed(6)}, ${r.seconds.toFixed(2)} s`;
}

/** correct / total as a percentage (0 for an empty set). */
export function percentOf(correct: number, total: number): number {
  return total === 0 ? 0 : (100 * correct) / total;
}

/** The epoch whose evaluation got the most right (the first of equals), as the seed's printout invites. */
export function bestByEvaluation(history: readonly EpochSummary[]): EpochSummary | undefined {
  let best: EpochSummary | undefined;
  for (const h of history) if (best === undefined || (h.evaluation?.correct ?? 0) > (best.evaluation?.correct ?? 0)) best = h;
  return best;
}

/** `best: 94.99% (9499 / 10000) at epoch 26 on the test set` (undefined when no epoch was evaluated). */
export function bestLine(history: readonly EpochSummary[], set: string): string | undefined {
  const best = bestByEvaluation(history);
  const e = best?.evaluation;
  return best === undefined || e === undefined ? undefined : `best: ${percentOf(e.correct, e.total).toFixed(2)}% (${e.correct} / ${e.total}) at epoch ${best.epoch} on the ${set} set`;
}

/** A copy of a tree whose arrays nothing else holds (the training loop reuses its parameters' buffers). */
export function copyTree(t: Tree): Tree {
  return treeMap(t, (x) => new Tensor(x.shape, x.data.slice()));
}
