/** Networks as plain data: a spec is decoded with io-ts, then compiled to a layer. */
import { chain, left, map, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { reshape, SparseBatch, toDense, type Key, type Tensor, type Tree, readableError } from "../core/index.ts";
import { activations, type ActivationName } from "./activations.ts";
import { closed, decodeWith, described, PositiveInt } from "./decode.ts";
import { dense, type InitScheme } from "./dense.ts";
import { avgPoolLayer, conv2dLayer, dropout, flatten, maxPoolLayer } from "./image-layers.ts";
import { serialOf, type ApplyContext, type Layer, type Shape } from "./layer.ts";

const activationNames = Object.keys(activations) as ActivationName[];

const InitCodec = described(t.keyof({ normal: null, scaled: null, he: null }), 'expected "normal", "scaled" or "he"');
const PaddingCodec = described(t.keyof({ valid: null, same: null }), 'expected "valid" or "same"');
const Rate = described(t.refinement(t.number, (r) => r >= 0 && r < 1, "Rate"), "expected a rate from 0 up to (not including) 1");
const DenseSpec = closed(t.exact(t.intersection([t.type({ dense: PositiveInt }), t.partial({ init: InitCodec })])), ["dense", "init"]);
const ConvSpec = closed(t.exact(t.intersection([
  t.type({ conv: PositiveInt, kernel: PositiveInt }),
  t.partial({ stride: PositiveInt, padding: PaddingCodec, init: InitCodec }),
])), ["conv", "kernel", "stride", "padding", "init"]);
const MaxPoolSpec = closed(t.exact(t.intersection([t.type({ maxPool: PositiveInt }), t.partial({ stride: PositiveInt })])), ["maxPool", "stride"]);
const AvgPoolSpec = closed(t.exact(t.intersection([t.type({ avgPool: PositiveInt }), t.partial({ stride: PositiveInt })])), ["avgPool", "stride"]);
const DropoutSpec = closed(t.exact(t.type({ dropout: Rate })), ["dropout"]);
const NamedSpec = t.keyof({ ...Object.fromEntries(activationNames.map((n) => [n, null])), flatten: null } as Record<ActivationName | "flatten", null>);

/**
 * The scheme of a dense layer whose spec names none: network2's N(0, 1/n_in) (the book's chapters 3 and 6
 * scale by fan-in; the seed's N(0, 1) saturates sigmoids and blows up ReLU nets, so it is asked for by name).
 */
export const DEFAULT_DENSE_INIT: InitScheme = "scaled";

type Defaults = { readonly init?: InitScheme };

/** One kind of layer written as an object: its codec, how the help names it, and the layer it makes. */
function kind<C extends t.Mixed>(codec: C, form: string, make: (l: t.TypeOf<C>, defaults: Defaults) => Layer) {
  return { codec, form, make };
}

/** Every kind of object layer, by the key that names it: decoding, the help text and compiling all read this table. */
const layerKinds = {
  dense: kind(DenseSpec, '{"dense": units}', (l, d) => dense(l.dense, { init: l.init ?? d.init ?? DEFAULT_DENSE_INIT }) as Layer),
  conv: kind(ConvSpec, '{"conv": maps, "kernel": size}', (l) => conv2dLayer(l.conv, l.kernel, { ...(l.stride ? { stride: l.stride } : {}), ...(l.padding ? { padding: l.padding } : {}), ...(l.init ? { init: l.init } : {}) }) as Layer),
  maxPool: kind(MaxPoolSpec, '{"maxPool": size}', (l) => maxPoolLayer(l.maxPool, l.stride) as Layer),
  avgPool: kind(AvgPoolSpec, '{"avgPool": size}', (l) => avgPoolLayer(l.avgPool, l.stride) as Layer),
  dropout: kind(DropoutSpec, '{"dropout": rate}', (l) => dropout(l.dropout) as Layer),
};
type LayerKind = keyof typeof layerKinds;
type ObjectLayer = { [K in LayerKind]: t.TypeOf<(typeof layerKinds)[K]["codec"]> }[LayerKind];
export type LayerSpec = ObjectLayer | ActivationName | "flatten";

const kindOf = (u: unknown): LayerKind | undefined =>
  u !== null && typeof u === "object" && !Array.isArray(u) ? (Object.keys(layerKinds) as LayerKind[]).find((k) => k in u) : undefined;

const layerHelp = `expected ${Object.values(layerKinds).map((k) => k.form).join(", ")}, or one of ${[...activationNames, "flatten"].map((n) => `"${n}"`).join(", ")}`;

/** Which kind of layer an object names, by its key: it is checked as that kind, so the error says what is wrong with it. */
const ByKind = new t.Type<LayerSpec, unknown, unknown>(
  "LayerSpec",
  (u): u is LayerSpec => NamedSpec.is(u) || Object.values(layerKinds).some((k) => k.codec.is(u)),
  (u, c) => {
    const k = kindOf(u);
    return (k === undefined ? NamedSpec.validate(u, c) : layerKinds[k].codec.validate(u, c)) as t.Validation<LayerSpec>;
  },
  (a) => a,
);

export const LayerSpec = described(ByKind, layerHelp);

/** A network's input: a number of features, or one example's shape ([channels, height, width] for images). */
const InputSpec = described(t.union([PositiveInt, t.array(PositiveInt)]), "expected a whole number ≥ 1 or a shape such as [1, 28, 28]");

export const NetworkSpec = closed(t.exact(t.type({
  input: InputSpec,
  layers: described(t.array(LayerSpec), "expected an array of layers"),
})), ["input", "layers"]);
export type NetworkSpec = t.TypeOf<typeof NetworkSpec>;

/** A compiled network: its spec, sizes, and the layer's pure init and apply. */
export interface Network {
  readonly spec: NetworkSpec;
  /** Numbers per example as the data gives them (the input shape's size): rows of x. */
  readonly inputSize: number;
  /** One example's shape, as the first layer takes it. */
  readonly inputShape: Shape;
  readonly outputSize: number;
  /**
   * Examples to evaluate at once: 1,000 for small networks, fewer where one example's activations (or a
   * convolution's patches) are large, so a chunk's arrays stay within a few megabytes.
   */
  readonly chunk: number;
  /** Whether apply draws randomness in training (dropout): then training passes it a key. */
  readonly stochastic: boolean;
  /**
   * Whether its first layer reads a SparseBatch as it is (a dense layer: only the non-zero inputs are read,
   * and only their weights' rows get a gradient). Any network takes one; others see it made dense.
   */
  readonly sparseInput: boolean;
  init(key: Key): Tree;
  /** The output for a batch x (batch × inputSize, dense or sparse rows); with a context key, in training mode (dropout on). */
  apply(params: Tree, x: Tensor | SparseBatch, context?: ApplyContext): Tensor;
}

const inputShapeOf = (spec: NetworkSpec): Shape => (typeof spec.input === "number" ? [spec.input] : spec.input);
const sizeOf = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/** Numbers per example a spec takes (its input shape's size: 784 for 784 and for [1, 28, 28]). */
export function specInputSize(spec: NetworkSpec): number {
  return sizeOf(inputShapeOf(spec));
}

/** The layer a spec entry describes; `init` overrides dense layers' default scheme when given. */
function layerOf(l: LayerSpec, defaults: Defaults): Layer {
  if (typeof l === "string") return l === "flatten" ? flatten : (activations[l] as Layer);
  const k = kindOf(l) as LayerKind;
  return (layerKinds[k].make as (l: LayerSpec, d: Defaults) => Layer)(l, defaults);
}

const describeLayer = (l: LayerSpec, i: number) => `layer ${i + 1} (${JSON.stringify(l)})`;

/**
 * Walks the spec's shapes: every layer's output shape and the parameter count, or an error naming the layer
 * and the shapes when one does not fit (a window larger than its image, a dense layer on an image).
 */
export function specShapes(spec: NetworkSpec): Either<Error, { readonly shapes: readonly Shape[]; readonly parameters: number; readonly largest: number }> {
  const shapes: Shape[] = [];
  let shape = inputShapeOf(spec);
  if (shape.length === 0) return left(readableError("network spec: input shape is empty"));
  let parameters = 0;
  // The most numbers one example needs at once: an activation, or a window layer's patches.
  let largest = sizeOf(shape);
  for (let i = 0; i < spec.layers.length; i++) {
    const l = spec.layers[i];
    try {
      // Each layer says its own shape, without drawing a weight (the same function its init uses).
      const s = layerOf(l, {}).shape(shape);
      parameters += s.parameters;
      largest = Math.max(largest, s.working ?? 0);
      shape = s.outputShape;
    } catch (e) {
      const hint = i === 0 && typeof l !== "string" && "conv" in l ? ' (give "input" as a shape, e.g. [1, 28, 28])' : "";
      return left(readableError(`network spec: ${describeLayer(l, i)}: ${(e as Error).message}${hint}`));
    }
    shapes.push(shape);
    largest = Math.max(largest, sizeOf(shape));
  }
  if (shape.length !== 1) return left(readableError(`network spec: the output is [${shape.join(", ")}], not one number per class: end with "flatten" and a dense layer`));
  return right({ shapes, parameters, largest });
}

/** More layers than any network trains in reasonable time; a file asking for more is not a network. */
export const MAX_LAYERS = 10_000;

/** Reads a spec from untrusted data (a config file, JSON, a model file): its form, its size, then its shapes. */
export function decodeSpec(value: unknown): Either<Error, NetworkSpec> {
  return pipe(
    decodeWith(NetworkSpec, value, "network spec"),
    chain((spec) => (spec.layers.length > MAX_LAYERS ? left(readableError(`network spec field layers: ${spec.layers.length} layers; at most ${MAX_LAYERS} are supported`)) : right(spec))),
    chain((spec) => pipe(specShapes(spec), map(() => spec))),
  );
}

/** The size of the last layer's output shape (the input's when there are no layers). */
const lastSize = (spec: NetworkSpec, shapes: readonly Shape[]) => sizeOf(shapes.length === 0 ? inputShapeOf(spec) : shapes[shapes.length - 1]);

/** Output size of a spec (its last shape's size); the spec must have decoded. */
export function specOutputSize(spec: NetworkSpec): number {
  const r = specShapes(spec);
  if (r._tag === "Left") throw r.left;
  return lastSize(spec, r.right.shapes);
}

/** How many numbers a spec's parameters hold (weights and biases of every dense and conv layer). */
export function specParameterCount(spec: NetworkSpec): number {
  const r = specShapes(spec);
  if (r._tag === "Left") throw r.left;
  return r.right.parameters;
}

/** A limit for networks read from files, so a damaged file cannot ask for gigabytes. */
export const MAX_FILE_PARAMETERS = 50_000_000;

/** Compiles a spec read from a file, refusing one too large to be real. */
export function compileFromFile(spec: NetworkSpec, what: string): Either<Error, Network> {
  if (spec.layers.length > MAX_LAYERS) return left(readableError(`${what} field spec.layers: ${spec.layers.length} layers; at most ${MAX_LAYERS} are supported`));
  const shapes = specShapes(spec);
  if (shapes._tag === "Left") return left(readableError(`${what}: ${shapes.left.message}`));
  const n = shapes.right.parameters;
  if (n > MAX_FILE_PARAMETERS) return left(readableError(`${what}: the network has ${n} parameters; at most ${MAX_FILE_PARAMETERS} are supported`));
  return right(compile(spec));
}

/** The layer a spec describes; `init` overrides every dense layer's own scheme when given. */
export function compile(spec: NetworkSpec, defaults: { readonly init?: InitScheme } = {}): Network {
  // A spec from plain JavaScript is decoded as a file's would be (an unknown layer or init named here, not met
  // later inside init); a decoded spec decodes to itself.
  const decoded = decodeSpec(spec);
  if (decoded._tag === "Left") throw decoded.left;
  const shapes = specShapes(spec);
  if (shapes._tag === "Left") throw shapes.left;
  const layer = serialOf(spec.layers.map((l) => layerOf(l, defaults)));
  const inputShape = inputShapeOf(spec);
  const inputSize = sizeOf(inputShape);
  const image = inputShape.length > 1;
  return {
    spec,
    inputSize,
    inputShape,
    outputSize: lastSize(spec, shapes.right.shapes),
    chunk: Math.max(1, Math.min(1000, Math.floor(1_000_000 / shapes.right.largest))),
    stochastic: spec.layers.some((l) => typeof l !== "string" && "dropout" in l && l.dropout > 0),
    sparseInput: !image && layer.applySparse !== undefined,
    init: (key) => layer.init(key, inputShape).params,
    // The data gives each example as a row of numbers; an image network sees it in its shape.
    apply(params, x, context) {
      if (x instanceof SparseBatch) {
        if (x.shape[1] !== inputSize) throw new Error(`network: a sparse batch of ${x.shape[1]} numbers per example, the network takes ${inputSize}`);
        if (!image && layer.applySparse !== undefined) return layer.applySparse(params as readonly Tree[], x, context);
        x = toDense(x);
      }
      return layer.apply(params as readonly Tree[], image ? reshape(x, [x.shape[0], ...inputShape]) : x, context);
    },
  };
}

/**
 * The spec of the seed's `Network(sizes)`: a dense layer and a sigmoid for every size after the first, with
 * the seed's N(0, 1) weights unless `init` says otherwise (named in the spec, since a spec's default is scaled).
 */
export function sigmoidSpec(sizes: readonly number[], init: InitScheme = "normal"): NetworkSpec {
  if (sizes.length < 2) throw new Error(`network: needs at least an input and an output size, got [${sizes.join(", ")}]`);
  return {
    input: sizes[0],
    layers: sizes.slice(1).flatMap((n): LayerSpec[] => [{ dense: n, init }, "sigmoid"]),
  };
}

/** The same network whatever its layers' init says (init only matters before the first step: a resumed run has its parameters). */
export function withoutInit(spec: NetworkSpec): NetworkSpec {
  const strip = (l: LayerSpec): LayerSpec => {
    if (typeof l === "string" || !("init" in l)) return l;
    const copy: Record<string, unknown> = { ...l };
    delete copy.init;
    return copy as LayerSpec;
  };
  return { ...spec, layers: spec.layers.map(strip) };
}

/** The seed's `Network(sizes)`, e.g. `network([784, 30, 10])`: N(0, 1) weights and biases unless `init` says otherwise. */
export function network(sizes: readonly number[], init?: InitScheme): Network {
  return compile(sigmoidSpec(sizes, init));
}
