/** The page's settings turned into what nn's training loop takes: network, cost, optimizer (as the CLI's flags are). */
import { chain as chainE, left, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { chain, compile, costs, decodeSpec, MAX_FILE_PARAMETERS, momentum, sgd, specInputSize, specOutputSize, specParameterCount, weightDecay, type Cost, type Network, type NetworkSpec, type Optimizer } from "../nn/index.ts";
import { compileCost } from "./cost-expression.ts";
import type { PlaygroundConfig } from "./protocol.ts";

/** The seed's network, as the page's spec box starts. */
export const seedSpecText = JSON.stringify({ input: 784, layers: [{ dense: 30 }, "sigmoid", { dense: 10 }, "sigmoid"] });

export const defaultConfig: PlaygroundConfig = {
  spec: seedSpecText, init: "normal", cost: "quadratic", costExpression: "sum((a - y)^2) / (2*n)",
  eta: 3, batchSize: 10, epochs: 30, lambda: 0, momentum: 0, trainSize: 50000, seed: 1,
};

export interface Experiment {
  readonly net: Network;
  readonly cost: Cost;
  readonly optimizer: Optimizer;
}

/** The spec box's network, checked against the data (784 pixels in, 10 classes out), with the init choice applied. */
export function networkOf(config: PlaygroundConfig, features: number, classes: number): Either<Error, Network> {
  let json: unknown;
  try {
    json = JSON.parse(config.spec);
  } catch (e) {
    return left(new Error(`network spec: not JSON (${e instanceof Error ? e.message : String(e)})`));
  }
  return pipe(
    decodeSpec(json),
    chainE((spec): Either<Error, Network> => {
      if (specInputSize(spec) !== features) return left(new Error(`network spec: input must be the ${features} pixels of an image, got ${JSON.stringify(spec.input)}`));
      const out = specOutputSize(spec);
      if (out !== classes) return left(new Error(`network spec: the last dense layer must have ${classes} units (one per digit), got ${out}`));
      const n = specParameterCount(spec);
      if (n > MAX_FILE_PARAMETERS) return left(new Error(`network spec: ${n} parameters; at most ${MAX_FILE_PARAMETERS} are supported`));
      // The menu's choice goes to every dense layer whose spec names none ("normal" keeps the seed's network as it was).
      const withInit: NetworkSpec = {
        ...spec,
        layers: spec.layers.map((l) => (typeof l === "string" || !("dense" in l) || l.init !== undefined ? l : { ...l, init: config.init })),
      };
      return right(compile(withInit));
    }),
  );
}

export function costOf(config: PlaygroundConfig, classes: number): Either<Error, Cost> {
  return config.cost === "custom" ? compileCost(config.costExpression, classes) : right(costs[config.cost]);
}

/** sgd, or momentum when μ > 0, with L2 weight decay in front when λ > 0 (as the CLI's --momentum and --lambda). */
export function optimizerOf(config: PlaygroundConfig, trainingSize: number): Optimizer {
  const base = config.momentum > 0 ? momentum(config.eta, config.momentum) : sgd(config.eta);
  return config.lambda > 0 ? chain(weightDecay(config.lambda, trainingSize), base) : base;
}

/** The numbers of the form, checked: each wrong one is named. */
export function checkNumbers(config: PlaygroundConfig, available: number): Either<Error, PlaygroundConfig> {
  const problems: string[] = [];
  const positive = (name: string, v: number) => (Number.isFinite(v) && v > 0) || problems.push(`${name} must be a number above 0, got ${v}`);
  const whole = (name: string, v: number, max: number) => (Number.isInteger(v) && v >= 1 && v <= max) || problems.push(`${name} must be a whole number from 1 to ${max}, got ${v}`);
  positive("η", config.eta);
  whole("batch size", config.batchSize, 60000);
  whole("epochs", config.epochs, 10000);
  whole("training images", config.trainSize, available);
  if (!(Number.isFinite(config.lambda) && config.lambda >= 0)) problems.push(`λ must be 0 or more, got ${config.lambda}`);
  if (!(Number.isFinite(config.momentum) && config.momentum >= 0 && config.momentum < 1)) problems.push(`momentum must be from 0 up to (not including) 1, got ${config.momentum}`);
  if (!(Number.isInteger(config.seed) && config.seed >= 0)) problems.push(`seed must be a whole number ≥ 0, got ${config.seed}`);
  return problems.length === 0 ? right(config) : left(new Error(problems.join("; ")));
}
