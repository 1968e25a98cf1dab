/** Turns decoded training flags into the network, cost and optimizer they name. */
import { chain, combine, compile, constant, costs, earlyStopping, exponentialDecay, halveOnPlateau, momentum, sgd, sigmoidSpec, stepDecay, weightDecay, type Cost, type CostName, type InitScheme, type Network, type NetworkSpec, type Optimizer, type Schedule } from "../../nn/index.ts";
import type { ScheduleSpec } from "./train-flags.ts";
import { UserError } from "./exit.ts";

export interface ExperimentFlags {
  readonly layers: readonly number[];
  readonly cost: CostName;
  readonly init: InitScheme;
  readonly eta: number;
  readonly lambda: number;
  readonly momentum: number;
}

/** Sigmoid layers as in the seed; with the log-likelihood cost the output layer is a softmax (as in the book's chapter 3). */
export function networkSpec(f: ExperimentFlags): NetworkSpec {
  const spec = sigmoidSpec(f.layers, f.init === "normal" ? undefined : f.init);
  if (f.cost !== "log-likelihood") return spec;
  return { ...spec, layers: [...spec.layers.slice(0, -1), "softmax"] };
}

export function buildNetwork(f: ExperimentFlags, features: number, classes: number): Network {
  if (f.layers[0] !== features) throw new UserError(`--layers: the first size must be the data's ${features} pixels per image, got ${f.layers[0]}`);
  const last = f.layers[f.layers.length - 1];
  if (last !== classes) throw new UserError(`--layers: the last size must be the data's ${classes} classes, got ${last}`);
  return compile(networkSpec(f));
}

export function buildCost(f: ExperimentFlags): Cost {
  return costs[f.cost];
}

/** sgd (or momentum when --momentum > 0), with L2 weight decay in front when --lambda > 0, for η scaled by the schedule. */
export function buildOptimizer(f: ExperimentFlags, trainingSize: number): (etaScale: number) => Optimizer {
  return (etaScale) => {
    const eta = f.eta * etaScale;
    const base = f.momentum > 0 ? momentum(eta, f.momentum) : sgd(eta);
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
