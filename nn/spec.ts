/** Networks as plain data: a spec is decoded with io-ts, then compiled to a layer. */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import type { Key, Tensor, Tree } from "../core/index.ts";
import { activations, type ActivationName } from "./activations.ts";
import { closed, decodeWith, described, PositiveInt } from "./decode.ts";
import { dense, type InitScheme } from "./dense.ts";
import { serial, type Layer } from "./layer.ts";

const activationNames = Object.keys(activations) as ActivationName[];

const InitCodec = described(t.keyof({ normal: null, scaled: null }), 'expected "normal" or "scaled"');
const DenseSpec = closed(t.exact(t.intersection([t.type({ dense: PositiveInt }), t.partial({ init: InitCodec })])), ["dense", "init"]);
const ActivationSpec = t.keyof(Object.fromEntries(activationNames.map((n) => [n, null])) as Record<ActivationName, null>);

export const LayerSpec = described(
  t.union([DenseSpec, ActivationSpec]),
  `expected {"dense": units} with units a whole number ≥ 1, or one of ${activationNames.map((n) => `"${n}"`).join(", ")}`,
);
export type LayerSpec = t.TypeOf<typeof LayerSpec>;

export const NetworkSpec = closed(t.exact(t.type({
  input: PositiveInt,
  layers: described(t.array(LayerSpec), "expected an array of layers"),
})), ["input", "layers"]);
export type NetworkSpec = t.TypeOf<typeof NetworkSpec>;

/** A compiled network: its spec, sizes, and the layer's pure init and apply. */
export interface Network {
  readonly spec: NetworkSpec;
  readonly inputSize: number;
  readonly outputSize: number;
  init(key: Key): Tree;
  apply(params: Tree, x: Tensor): Tensor;
}

/** Reads a spec from untrusted data (a config file, JSON, a model file). */
export function decodeSpec(value: unknown): Either<Error, NetworkSpec> {
  return decodeWith(NetworkSpec, value, "network spec");
}

/** Output size of a spec (its last dense layer's units, or its input when it has none). */
export function specOutputSize(spec: NetworkSpec): number {
  let size = spec.input;
  for (const l of spec.layers) if (typeof l !== "string") size = l.dense;
  return size;
}

/** How many numbers a spec's parameters hold (weights and biases of every dense layer). */
export function specParameterCount(spec: NetworkSpec): number {
  let size = spec.input, count = 0;
  for (const l of spec.layers) {
    if (typeof l === "string") continue;
    count += size * l.dense + l.dense;
    size = l.dense;
  }
  return count;
}

/** A limit for networks read from files, so a damaged file cannot ask for gigabytes. */
export const MAX_FILE_PARAMETERS = 50_000_000;

/** Compiles a spec read from a file, refusing one too large to be real. */
export function compileFromFile(spec: NetworkSpec, what: string): Either<Error, Network> {
  const n = specParameterCount(spec);
  if (n > MAX_FILE_PARAMETERS) return left(new Error(`${what}: the network has ${n} parameters; at most ${MAX_FILE_PARAMETERS} are supported`));
  return right(compile(spec));
}

/** The layer a spec describes; `init` overrides every dense layer's own scheme when given. */
export function compile(spec: NetworkSpec, defaults: { readonly init?: InitScheme } = {}): Network {
  const layers = spec.layers.map((l): Layer => {
    if (typeof l === "string") return activations[l] as Layer;
    return dense(l.dense, { init: l.init ?? defaults.init ?? "normal" }) as Layer;
  });
  const layer = serial(...layers);
  return {
    spec,
    inputSize: spec.input,
    outputSize: specOutputSize(spec),
    init: (key) => layer.init(key, spec.input).params,
    apply: (params, x) => layer.apply(params as readonly Tree[], x),
  };
}

/** The spec of the seed's `Network(sizes)`: a dense layer and a sigmoid for every size after the first. */
export function sigmoidSpec(sizes: readonly number[], init?: InitScheme): NetworkSpec {
  if (sizes.length < 2) throw new Error(`network: needs at least an input and an output size, got [${sizes.join(", ")}]`);
  return {
    input: sizes[0],
    layers: sizes.slice(1).flatMap((n): LayerSpec[] => [init === undefined ? { dense: n } : { dense: n, init }, "sigmoid"]),
  };
}

/** The seed's `Network(sizes)`, e.g. `network([784, 30, 10])`. */
export function network(sizes: readonly number[], init?: InitScheme): Network {
  return compile(sigmoidSpec(sizes, init));
}
