/** Layers for images (chapter 6): convolution, pooling, flatten, and dropout, which is random only in training. */
import { avgPool2d, conv2d, convGeometry, dropoutMask, maxPool2d, mul, reshape, type Padding, type Tensor } from "../core/index.ts";
import { initWeights, type InitScheme } from "./dense.ts";
import type { Layer, Shape } from "./layer.ts";

export type ConvParams = { readonly w: Tensor; readonly b: Tensor };
type NoParams = readonly [];

export interface ConvOptions {
  readonly stride?: number;
  readonly padding?: Padding;
  /** Default "he" (ReLU networks, as chapter 6's). */
  readonly init?: InitScheme;
}

function imageShape(layer: string, shape: Shape): readonly [number, number, number] {
  if (shape.length !== 3) throw new Error(`${layer} needs an input of [channels, height, width], got [${shape.join(", ")}]`);
  return [shape[0], shape[1], shape[2]];
}

/** The window geometry of a layer over one example, its errors without the op's name (the spec names the layer). */
function windows(name: string, [c, h, w]: readonly [number, number, number], size: number, stride: number, padding: Padding) {
  try {
    return convGeometry(name, [1, c, h, w], size, size, stride, padding);
  } catch (e) {
    throw new Error((e as Error).message.replace(/^(conv|maxPool|avgPool): /, ""));
  }
}

/** `maps` filters of kernel×kernel over every input channel, plus a bias per map: [c, h, w] → [maps, oh, ow]. */
export function conv2dLayer(maps: number, kernel: number, options: ConvOptions = {}): Layer<ConvParams> {
  const stride = options.stride ?? 1, padding = options.padding ?? "valid", scheme = options.init ?? "he";
  const shape = (inputShape: Shape) => {
    const image = imageShape("conv", inputShape);
    const g = windows("conv", image, kernel, stride, padding);
    const c = image[0];
    return { outputShape: [maps, g.oh, g.ow], parameters: maps * c * kernel * kernel + maps, working: g.oh * g.ow * c * kernel * kernel };
  };
  return {
    shape,
    init(key, inputShape) {
      const c = inputShape[0];
      return { params: initWeights(key, scheme, [maps, c, kernel, kernel], [maps], c * kernel * kernel), outputShape: shape(inputShape).outputShape };
    },
    apply: (p, x) => conv2d(x, p.w, p.b, { stride, padding }),
  };
}

function poolLayer(name: string, size: number, stride: number | undefined, f: (x: Tensor, size: number, stride?: number) => Tensor): Layer<NoParams> {
  const shape = (inputShape: Shape) => {
    const image = imageShape(name, inputShape);
    const g = windows(name, image, size, stride ?? size, "valid");
    return { outputShape: [image[0], g.oh, g.ow], parameters: 0, working: image[0] * g.oh * g.ow * size * size };
  };
  return {
    shape,
    init: (_key, inputShape) => ({ params: [], outputShape: shape(inputShape).outputShape }),
    apply: (_p, x) => f(x, size, stride),
  };
}

/** The largest value of each size×size window, channel by channel (windows moved by `stride`, default size). */
export const maxPoolLayer = (size: number, stride?: number): Layer<NoParams> => poolLayer("maxPool", size, stride, maxPool2d);
/** The mean of each size×size window. */
export const avgPoolLayer = (size: number, stride?: number): Layer<NoParams> => poolLayer("avgPool", size, stride, avgPool2d);

/** Any example shape as one row of features. */
export const flatten: Layer<NoParams> = {
  shape: (inputShape) => ({ outputShape: [inputShape.reduce((a, b) => a * b, 1)], parameters: 0 }),
  init: (_key, inputShape) => ({ params: [], outputShape: [inputShape.reduce((a, b) => a * b, 1)] }),
  apply: (_p, x) => reshape(x, [x.shape[0], -1]),
};

/**
 * Inverted dropout: in training (a key in the context) each unit is zeroed with probability `rate` and the rest
 * scaled by 1/(1 − rate); in evaluation it passes x through, so nothing changes between the two but the noise.
 */
export function dropout(rate: number): Layer<NoParams> {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return {
    shape: (inputShape) => ({ outputShape: inputShape, parameters: 0 }),
    init: (_key, inputShape) => ({ params: [], outputShape: inputShape }),
    apply: (_p, x, context) => (context?.key === undefined || rate === 0 ? x : mul(x, dropoutMask(context.key, x.shape, rate, context.salt ?? 0))),
  };
}
