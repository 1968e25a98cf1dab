/** Model files: the network spec, its parameters, how it was trained and what it scored, as JSON decoded with io-ts. */
import { chain, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { key, type Tree } from "../core/index.ts";
import { closed, decodeWith, described, FiniteNumber } from "./decode.ts";
import { compileFromFile, NetworkSpec, type Network } from "./spec.ts";
import { encodeSafetensors, treeSkeleton } from "./safetensors.ts";
import { decodeTree, encodeTree } from "./tree-codec.ts";
import type { EpochSummary, Score } from "./train.ts";

export const MODEL_FORMAT = "tsgrad-model";
export const MODEL_VERSION = 1;

const Count = described(t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, "Count"), "expected a whole number ≥ 0");

const ScoreRecord = described(
  t.refinement(closed(t.type({ correct: Count, total: Count, cost: FiniteNumber }), ["correct", "total", "cost"]), (s) => s.correct <= s.total, "Score"),
  "expected a score with correct ≤ total",
);

export const EpochRecord = closed(t.intersection([
  t.type({ epoch: Count, trainCost: FiniteNumber, seconds: FiniteNumber }),
  t.partial({
    evaluation: ScoreRecord,
    monitors: closed(t.partial({ training: ScoreRecord, validation: ScoreRecord, test: ScoreRecord }), ["training", "validation", "test"]),
    etaScale: FiniteNumber,
  }),
]), ["epoch", "trainCost", "seconds", "evaluation", "monitors", "etaScale"]);
export type EpochRecord = t.TypeOf<typeof EpochRecord>;

const ModelHeader = closed(t.type({
  format: described(t.literal(MODEL_FORMAT), `expected "${MODEL_FORMAT}"`),
  version: described(t.literal(MODEL_VERSION), `expected ${MODEL_VERSION} (this tsgrad reads version ${MODEL_VERSION} model files)`),
  spec: NetworkSpec,
  params: t.unknown,
  training: closed(t.type({
    options: t.record(t.string, t.union([t.string, t.number, t.boolean, t.null])),
    history: t.array(EpochRecord),
  }), ["options", "history"]),
}), ["format", "version", "spec", "params", "training"]);

export interface Model {
  readonly net: Network;
  readonly params: Tree;
  /** The flags or settings the run used, for the record. */
  readonly options: Readonly<Record<string, string | number | boolean | null>>;
  readonly history: readonly EpochRecord[];
}

/** A history entry as a model file keeps it (the confusion matrix is left to `evaluate`). */
export function epochRecord(r: EpochSummary): EpochRecord {
  const score = (e: Score) => ({ correct: e.correct, total: e.total, cost: e.cost });
  const monitors: Record<string, Score> = {};
  for (const [name, e] of Object.entries(r.monitors ?? {})) if (e !== undefined) monitors[name] = score(e);
  return {
    epoch: r.epoch,
    trainCost: r.trainCost,
    seconds: r.seconds,
    ...(r.evaluation ? { evaluation: score(r.evaluation) } : {}),
    ...(r.monitors ? { monitors } : {}),
    ...(r.etaScale !== undefined ? { etaScale: r.etaScale } : {}),
  };
}

export function encodeModel(m: Model): unknown {
  return { ...modelHeader(m), params: encodeTree(m.params) };
}

/** A model file's fields other than its parameters. */
function modelHeader(m: Model) {
  return { format: MODEL_FORMAT, version: MODEL_VERSION, spec: m.net.spec, training: { options: m.options, history: m.history } };
}

/** A model as a safetensors file's chunks: the parameters as raw numbers (`params.0.w`, …), the rest as metadata. */
export function encodeModelSafetensors(m: Model): Uint8Array[] {
  return encodeSafetensors({ ...modelHeader(m), params: treeSkeleton(m.params) }, { params: m.params });
}

/** Reads a model from parsed JSON; `what` names the file in errors. */
export function decodeModel(value: unknown, what: string): Either<Error, Model> {
  return pipe(
    decodeWith(ModelHeader, value, what),
    chain((h) => pipe(
      compileFromFile(h.spec, what),
      chain((net) => pipe(
        decodeTree(h.params, net.init(key(0)), `${what} params`, true),
        chain((params): Either<Error, Model> => right({ net, params, options: h.training.options, history: h.training.history })),
      )),
    )),
  );
}
