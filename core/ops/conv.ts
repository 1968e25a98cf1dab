/**
 * Convolution and pooling, NCHW (PyTorch's layout, and the spec's `"input": [1, 28, 28]` is channels first).
 * A convolution is im2col (each window position's inputs as a row) times the filters as a matrix: the heavy
 * work is the product kernels the dense layers already use, and the gradients come from the product's and
 * im2col's VJPs (im2col's is col2im, the transpose, and col2im's is im2col). Pooling is im2col over each
 * channel alone, then a max or a mean along the rows.
 */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import type { ConvGeometry } from "../kernels/kernels.ts";
import { Tensor, allocate, expectTensor, shapeString, zeros } from "../tensor.ts";
import { broadcastTo } from "./broadcast.ts";
import { add } from "./elementwise.ts";
import { matmulT } from "./linalg.ts";
import { mean } from "./reduce.ts";
import { permute, reshape } from "./shape.ts";

export type Padding = "valid" | "same";

export interface Conv2dOptions {
  /** Window step, in both directions (default 1). */
  readonly stride?: number;
  /** "valid" (default): windows inside the image only; "same": zeros around so the output is ⌈size/stride⌉. */
  readonly padding?: Padding;
}

/** The output size and padding of one dimension (TensorFlow's and JAX's "same": the extra zero goes after). */
function along(size: number, k: number, stride: number, padding: Padding): { readonly out: number; readonly before: number } {
  if (padding === "valid") return { out: size >= k ? Math.floor((size - k) / stride) + 1 : 0, before: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return { out, before: Math.floor(total / 2) };
}

/** The geometry of a k×k window over x (n, c, h, w), or an error naming the shapes when it does not fit. */
export function convGeometry(op: string, shape: readonly number[], kh: number, kw: number, stride: number, padding: Padding): ConvGeometry {
  if (shape.length !== 4) throw new Error(`${op}: expects an input of shape [batch, channels, height, width], got ${shapeString(shape)}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${op}: stride must be a whole number ≥ 1, got ${stride}`);
  const [n, c, h, w] = shape;
  const y = along(h, kh, stride, padding), x = along(w, kw, stride, padding);
  if (y.out < 1 || x.out < 1) throw new Error(`${op}: a ${kh}×${kw} window does not fit in a ${h}×${w} image (input ${shapeString(shape)}, padding "${padding}")`);
  return { n, c, h, w, kh, kw, stride, padTop: y.before, padLeft: x.before, oh: y.out, ow: x.out };
}

const im2colOp: Op<[Tensor], ConvGeometry> = defineOp<[Tensor], ConvGeometry>({
  name: "im2col",
  forward([x], g) {
    const out = allocate(x.dtype, g.n * g.oh * g.ow * g.c * g.kh * g.kw);
    kernels().im2col(x.data, g, out);
    return new Tensor([g.n * g.oh * g.ow, g.c * g.kh * g.kw], out);
  },
  vjp: [(cols, _x, _y, g) => col2imOp([cols], g)],
  // The examples of the batch are more images: rows (example, image, position) stay in order.
  batch: ([x], _b, g, size) => reshape(im2colOp([reshape(x, [size * g.n, g.c, g.h, g.w])], { ...g, n: size * g.n }), [size, g.n * g.oh * g.ow, g.c * g.kh * g.kw]),
});

const col2imOp: Op<[Tensor], ConvGeometry> = defineOp<[Tensor], ConvGeometry>({
  name: "col2im",
  forward([cols], g) {
    const out = allocate(cols.dtype, g.n * g.c * g.h * g.w);
    kernels().col2im(cols.data, g, out);
    return new Tensor([g.n, g.c, g.h, g.w], out);
  },
  vjp: [(x, _c, _y, g) => im2colOp([x], g)],
  batch: ([cols], _b, g, size) => reshape(col2imOp([reshape(cols, [size * g.n * g.oh * g.ow, g.c * g.kh * g.kw])], { ...g, n: size * g.n }), [size, g.n, g.c, g.h, g.w]),
});

/**
 * Each window position's inputs as a row: x (n, c, h, w) → (n·oh·ow, c·kh·kw), rows in (image, y, x) order,
 * columns in (channel, window row, window column) order.
 */
export function im2col(x: Tensor, kh: number, kw: number, options: Conv2dOptions = {}): Tensor {
  return im2colOp([x], convGeometry("im2col", x.shape, kh, kw, options.stride ?? 1, options.padding ?? "valid"));
}

/**
 * The 2-D convolution (cross-correlation, as in every ML framework) of x (n, c, h, w) with filters w
 * (f, c, kh, kw), plus an optional bias (f): (n, f, oh, ow).
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  expectTensor("conv2d", x, 1);
  expectTensor("conv2d", w, 2);
  if (w.rank !== 4) throw new Error(`conv2d: filters must be [maps, channels, height, width], got ${shapeString(w.shape)}`);
  if (x.rank === 4 && w.shape[1] !== x.shape[1]) {
    throw new Error(`conv2d: the filters take ${w.shape[1]} channels, the input ${shapeString(x.shape)} has ${x.shape[1]}`);
  }
  const [f, c, kh, kw] = w.shape;
  const g = convGeometry("conv2d", x.shape, kh, kw, options.stride ?? 1, options.padding ?? "valid");
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== f)) throw new Error(`conv2d: the bias must be [${f}], got ${shapeString(bias.shape)}`);
  const cols = im2colOp([x], g);
  const product = matmulT(cols, reshape(w, [f, c * kh * kw]), false, true); // (n·oh·ow, f)
  // The bias is added to the rows before they are put channels first: a row bias, like a dense layer's.
  const rows = bias === undefined ? product : add(product, bias);
  return reshape(permute(reshape(rows, [g.n, g.oh * g.ow, f]), [0, 2, 1]), [g.n, f, g.oh, g.ow]);
}

function pool(op: string, x: Tensor, size: number, stride: number | undefined, reduce: (windows: Tensor) => Tensor): Tensor {
  if (!Number.isInteger(size) || size < 1) throw new Error(`${op}: the window size must be a whole number ≥ 1, got ${size}`);
  if (x.rank !== 4) throw new Error(`${op}: expects an input of shape [batch, channels, height, width], got ${shapeString(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const g = convGeometry(op, [n * c, 1, h, w], size, size, stride ?? size, "valid");
  return reshape(reduce(im2colOp([reshape(x, [n * c, 1, h, w])], g)), [n, c, g.oh, g.ow]);
}

/** A pooling input in a batch as planes (size·n, h, w): a shared one is repeated for every example first. */
function planes(t: Tensor, batched: boolean, size: number, h: number, w: number): Tensor {
  const all = batched ? t : broadcastTo(reshape(t, [1, ...t.shape]), [size, ...t.shape]);
  return reshape(all, [-1, h, w]);
}

const maxPoolGatherOp: Op<[Tensor, Tensor], ConvGeometry> = defineOp<[Tensor, Tensor], ConvGeometry>({
  name: "maxPoolGather",
  forward([x, h], g) {
    const out = allocate(h.dtype, g.n * g.oh * g.ow);
    kernels().maxPoolGather(x.data, h.data, g, out);
    return new Tensor([g.n, g.oh, g.ow], out);
  },
  vjp: [(_g, [x]) => zeros(x.shape, x.dtype), (gy, [x], _y, g) => maxPoolScatterOp([x, gy], g)],
  batch: ([x, h], [bx, bh], g, size) => {
    const m = { ...g, n: size * g.n };
    return reshape(maxPoolGatherOp([planes(x, bx, size, g.h, g.w), planes(h, bh, size, g.h, g.w)], m), [size, g.n, g.oh, g.ow]);
  },
});

const maxPoolScatterOp: Op<[Tensor, Tensor], ConvGeometry> = defineOp<[Tensor, Tensor], ConvGeometry>({
  name: "maxPoolScatter",
  forward([x, gy], g) {
    const out = allocate(gy.dtype, g.n * g.h * g.w);
    kernels().maxPoolScatter(x.data, gy.data, g, out);
    return new Tensor([g.n, g.h, g.w], out);
  },
  // Linear in the gradient (its transpose is the gather); the argmax does not move under small changes of x.
  vjp: [(_g, [x]) => zeros(x.shape, x.dtype), (h, [x], _y, g) => maxPoolGatherOp([x, h], g)],
  batch: ([x, gy], [bx, bg], g, size) => {
    const m = { ...g, n: size * g.n };
    return reshape(maxPoolScatterOp([planes(x, bx, size, g.h, g.w), planes(gy, bg, size, g.oh, g.ow)], m), [size, g.n, g.h, g.w]);
  },
});

/** Planes (p, h, w) → (p, oh, ow), each window's largest value. */
const maxPoolOp: Op<[Tensor], ConvGeometry> = defineOp<[Tensor], ConvGeometry>({
  name: "maxPool",
  forward([x], g) {
    const out = allocate(x.dtype, g.n * g.oh * g.ow);
    kernels().maxPool(x.data, g, out);
    return new Tensor([g.n, g.oh, g.ow], out);
  },
  vjp: [(gy, [x], _y, g) => maxPoolScatterOp([x, gy], g)],
  batch: ([x], _b, g, size) => reshape(maxPoolOp([reshape(x, [size * g.n, g.h, g.w])], { ...g, n: size * g.n }), [size, g.n, g.oh, g.ow]),
});

/**
 * The largest value in each size×size window (moved by `stride`, default `size`), channel by channel. The
 * gradient goes to each window's largest element, the first of ties (as PyTorch's); `max` shares it among ties.
 */
export function maxPool2d(x: Tensor, size: number, stride?: number): Tensor {
  expectTensor("maxPool2d", x, 1);
  if (!Number.isInteger(size) || size < 1) throw new Error(`maxPool2d: the window size must be a whole number ≥ 1, got ${size}`);
  if (x.rank !== 4) throw new Error(`maxPool2d: expects an input of shape [batch, channels, height, width], got ${shapeString(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const g = convGeometry("maxPool2d", [n * c, 1, h, w], size, size, stride ?? size, "valid");
  return reshape(maxPoolOp([reshape(x, [n * c, h, w])], g), [n, c, g.oh, g.ow]);
}

/** The mean of each size×size window (moved by `stride`, default `size`), channel by channel. */
export function avgPool2d(x: Tensor, size: number, stride?: number): Tensor {
  expectTensor("avgPool2d", x, 1);
  return pool("avgPool2d", x, size, stride, (windows) => mean(windows, 1));
}
