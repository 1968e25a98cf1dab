/**
 * Checkpoints: everything needed to continue a run exactly where it stopped: the network spec, the
 * parameters, the optimizer state, the random key, the position (epoch and mini-batch), the history,
 * and the run's options as the user gave them (re-decoded on resume, never trusted).
 */
import { chain, left, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { key, type Key, type Tree, readableError } from "../core/index.ts";
import { closed, decodeWith, described, exactTuple, FiniteNumber } from "./decode.ts";
import { EpochRecord, epochRecord } from "./model.ts";
import type { Optimizer } from "./optimizers.ts";
import { compileFromFile, NetworkSpec, type Network } from "./spec.ts";
import type { TrainState } from "./train.ts";
import { encodeSafetensors, treeSkeleton } from "./safetensors.ts";
import { decodeTree, encodeTree } from "./tree-codec.ts";

export const CHECKPOINT_FORMAT = "tsgrad-checkpoint";
export const CHECKPOINT_VERSION = 1;

const Uint32 = described(t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, "Uint32"), "expected a whole number in [0, 2^32)");
const Count = described(t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, "Count"), "expected a whole number ≥ 0");

const CheckpointHeader = closed(t.type({
  format: described(t.literal(CHECKPOINT_FORMAT), `expected "${CHECKPOINT_FORMAT}"`),
  version: described(t.literal(CHECKPOINT_VERSION), `expected ${CHECKPOINT_VERSION} (this tsgrad reads version ${CHECKPOINT_VERSION} checkpoints)`),
  spec: NetworkSpec,
  options: t.record(t.string, t.string),
  key: exactTuple(Uint32, Uint32),
  epoch: Count,
  batch: Count,
  batchCostSum: FiniteNumber,
  history: t.array(EpochRecord),
  params: t.unknown,
  optState: t.unknown,
  best: t.union([t.null, closed(t.type({ epoch: Count, params: t.unknown }), ["epoch", "params"])]),
}), ["format", "version", "spec", "options", "key", "epoch", "batch", "batchCostSum", "history", "params", "optState", "best"]);

export interface Checkpoint {
  readonly spec: NetworkSpec;
  /** The run's options as given on the command line (flag name → raw value). */
  readonly options: Readonly<Record<string, string>>;
  readonly key: Key;
  readonly state: TrainState;
}

/** A decoded checkpoint with the network and optimizer it continues. */
export type Resumed = Checkpoint & { readonly net: Network; readonly optimizer: Optimizer };

export function encodeCheckpoint(c: Checkpoint): unknown {
  return {
    ...checkpointHeader(c),
    params: encodeTree(c.state.params),
    optState: encodeTree(c.state.optState),
    best: c.state.best === undefined ? null : { epoch: c.state.best.epoch, params: encodeTree(c.state.best.params) },
  };
}

/** A checkpoint as a safetensors file's chunks: its trees as raw numbers (`params.…`, `optState.…`, `best.params.…`), the rest as metadata. */
export function encodeCheckpointSafetensors(c: Checkpoint): Uint8Array[] {
  const { best } = c.state;
  return encodeSafetensors(
    { ...checkpointHeader(c), params: treeSkeleton(c.state.params), optState: treeSkeleton(c.state.optState), best: best === undefined ? null : { epoch: best.epoch, params: treeSkeleton(best.params) } },
    { params: c.state.params, optState: c.state.optState, ...(best === undefined ? {} : { "best.params": best.params }) },
  );
}

function checkpointHeader(c: Checkpoint) {
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec: c.spec,
    options: c.options,
    key: [c.key[0], c.key[1]],
    epoch: c.state.epoch,
    batch: c.state.batch,
    batchCostSum: c.state.batchCostSum,
    history: c.state.history.map(epochRecord),
  };
}

/** The header of a checkpoint: enough to rebuild the run's options before its trees are decoded. Its counts must agree. */
export function decodeCheckpointHeader(value: unknown, what: string): Either<Error, t.TypeOf<typeof CheckpointHeader>> {
  return pipe(
    decodeWith(CheckpointHeader, value, what),
    chain((h) => {
      const fail = (field: string, msg: string) => left(readableError(`${what} field ${field}: ${msg}`));
      if (h.history.length !== h.epoch) return fail("epoch", `${h.epoch} epochs done, but the history holds ${h.history.length}`);
      const wrong = h.history.findIndex((r, i) => r.epoch !== i);
      if (wrong >= 0) return fail(`history[${wrong}].epoch`, `expected ${wrong}, got ${h.history[wrong].epoch}`);
      if (h.best !== null && h.best.epoch >= h.epoch) return fail("best.epoch", `${h.best.epoch} is not among the ${h.epoch} epochs done`);
      return right(h);
    }),
  );
}

/**
 * Reads a whole checkpoint; `makeOptimizer` rebuilds the run's optimizer from its options, and the
 * params and optimizer state must match the shapes that network and optimizer would create.
 */
export function decodeCheckpoint(
  value: unknown,
  what: string,
  makeOptimizer: (options: Readonly<Record<string, string>>, net: Network) => Either<Error, Optimizer>,
  cast: (t: Tree) => Tree = (x) => x,
): Either<Error, Resumed> {
  return pipe(
    decodeCheckpointHeader(value, what),
    chain((h): Either<Error, Resumed> => pipe(
      compileFromFile(h.spec, what),
      chain((net) => pipe(
        makeOptimizer(h.options, net),
        chain((optimizer): Either<Error, Resumed> => {
          const like = cast(net.init(key(0)));
          return pipe(
            decodeTree(h.params, like, `${what} params`),
            chain((params) => pipe(
              decodeTree(h.optState, optimizer.init(like), `${what} optState`),
              chain((optState) => pipe(
                h.best === null ? right<Error, Tree | undefined>(undefined) : decodeTree(h.best.params, like, `${what} best.params`),
                chain((bestParams): Either<Error, Resumed> => right({
                  spec: h.spec,
                  options: h.options,
                  key: [h.key[0], h.key[1]] as Key,
                  net,
                  optimizer,
                  state: {
                    params, optState, epoch: h.epoch, batch: h.batch, batchCostSum: h.batchCostSum, history: h.history,
                    best: h.best === null || bestParams === undefined ? undefined : { epoch: h.best.epoch, params: bestParams },
                  },
                })),
              )),
            )),
          );
        }),
      )),
    )),
  );
}
