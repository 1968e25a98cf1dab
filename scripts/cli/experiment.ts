/** Turns decoded training flags into the network, cost and optimizer they name. */
import { mapLeft } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { adam, chain, combine, compile, constant, costs, decodeSpec, MAX_FILE_PARAMETERS, specInputSize, specOutputSize, specParameterCount, earlyStopping, exponentialDecay, halveOnPlateau, momentum, sgd, sigmoidSpec, stepDecay, weightDecay, type Cost, type CostName, type InitScheme, type Network, type NetworkSpec, type Optimizer, type Schedule } from "../../nn/index.ts";
import type { ScheduleSpec } from "./train-flags.ts";
import { orFail, UserError } from "./exit.ts";
import { readJsonFile } from "./files.ts";

export interface ExperimentFlags {
  /** A JSON file holding a network spec; when given, it replaces --layers and --init. */
  readonly spec?: string;
  readonly layers: readonly number[];
  readonly cost: CostName;
  readonly init: InitScheme;
  readonly eta: number;
  readonly lambda: number;
  readonly momentum: number;
  readonly optimizer?: "sgd" | "adam";
}

/**
 * The network the flags describe: the spec in --spec's file, or sigmoid layers as in the seed; with the
 * log-likelihood cost the seed's output layer is a softmax (as in the book's chapter 3).
 */
export function networkSpec(f: ExperimentFlags): NetworkSpec {
  if (f.spec !== undefined) {
    const path = f.spec;
    return orFail(pipe(decodeSpec(readJsonFile(path)), mapLeft((e) => new Error(`${path}: ${e.message}`))));
  }
  const spec = sigmoidSpec(f.layers, f.init);
  if (f.cost !== "log-likelihood") return spec;
  return { ...spec, layers: [...spec.layers.slice(0, -1), "softmax"] };
}

/** The compiled network, checked against the data: its input takes the pixels, its output has one unit per class. */
export function buildNetwork(f: ExperimentFlags, features: number, classes: number): Network {
  const spec = networkSpec(f);
  const source = f.spec === undefined ? "--layers: the" : `${f.spec}: the network's`;
  if (specInputSize(spec) !== features) {
    throw new UserError(typeof spec.input === "number"
      ? `${source} first size must be the data's ${features} pixels per image, got ${spec.input}`
      : `${source} input shape [${spec.input.join(", ")}] holds ${specInputSize(spec)} numbers; the data has ${features} pixels per image`);
  }
  const last = specOutputSize(spec);
  if (last !== classes) throw new UserError(`${source} last size must be the data's ${classes} classes, got ${last}`);
  const n = specParameterCount(spec);
  if (n > MAX_FILE_PARAMETERS) throw new UserError(`${source.replace(/ the$/, "")} network has ${n} parameters; at most ${MAX_FILE_PARAMETERS} are supported`);
  return compile(spec);
}

export function buildCost(f: ExperimentFlags): Cost {
  return costs[f.cost];
}

/** sgd (or momentum when --momentum > 0, or adam), with L2 weight decay in front when --lambda > 0, for η scaled by the schedule. */
export function buildOptimizer(f: ExperimentFlags, trainingSize: number): (etaScale: number) => Optimizer {
  return (etaScale) => {
    const eta = f.eta * etaScale;
    if (f.optimizer === "adam" && f.momentum > 0) throw new UserError("--momentum is for --optimizer sgd (adam keeps its own moments)");
    const base = f.optimizer === "adam" ? adam(eta) : f.momentum > 0 ? momentum(eta, f.momentum) : sgd(eta);
    return f.lambda > 0 ? chain(weightDecay(f.lambda, trainingSize), base) : base;
  };
}

/** The schedule the flags describe: --schedule, and early stopping when --early-stop is given. */
export function buildSchedule(spec: ScheduleSpec, earlyStop: number | undefined): Schedule {
  const base = spec.kind === "halve-on-plateau" ? halveOnPlateau(spec.patience)
    : spec.kind === "step" ? stepDecay(spec.every, spec.factor)
    : spec.kind === "exponential" ? exponentialDecay(spec.gamma)
    : constant;
  return earlyStop === undefined ? base : combine(base, earlyStopping(earlyStop));
}
