/**
 * The reference kernels: plain TypeScript loops, written to be read and trusted.
 * Gradient checks run on these; a fast backend must agree with them.
 */
import type { FloatArray } from "../tensor.ts";
import type { BinaryKind, ConvGeometry, Kernels, UnaryKind } from "./kernels.ts";
import { sparseJsKernels } from "./sparse-js.ts";
import { adamJsKernels } from "./adam-js.ts";

/** sigmoid in a form that never overflows exp. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + eˣ) without overflow for large x nor loss for very negative x. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function unaryFn(kind: UnaryKind): (x: number) => number {
  switch (kind) {
    case "neg": return (x) => -x;
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "square": return (x) => x * x;
    case "sqrt": return Math.sqrt;
    case "abs": return Math.abs;
    case "sign": return (x) => (x > 0 ? 1 : x < 0 ? -1 : x); // ±0 and NaN as they are (JAX)
    case "sigmoid": return sigmoid;
    case "tanh": return Math.tanh;
    case "relu": return (x) => (x <= 0 ? 0 : x); // NaN stays NaN (JAX); −0 gives +0
    case "heaviside": return (x) => (x > 0 ? 1 : x <= 0 ? 0 : x); // NaN stays NaN
    case "sin": return Math.sin;
    case "cos": return Math.cos;
    case "log1p": return Math.log1p;
    case "softplus": return softplus;
  }
}

function binaryFn(kind: BinaryKind): (a: number, b: number) => number {
  switch (kind) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "pow": return Math.pow;
    // A NaN on either side gives NaN (JAX, IEEE 754-2019 maximum); a tie gives a.
    case "maximum": return (a, b) => (a >= b ? a : b > a ? b : NaN);
    case "minimum": return (a, b) => (a <= b ? a : b < a ? b : NaN);
    case "sigmoidGrad": return (g, y) => g * y * (1 - y);
    case "tanhGrad": return (g, y) => g * (1 - y * y);
    case "reluGrad": return (g, x) => (x > 0 ? g : 0);
    case "equal": return (a, b) => (a === b ? 1 : 0);
    case "greater": return (a, b) => (a > b ? 1 : 0);
    case "greaterEqual": return (a, b) => (a >= b ? 1 : 0);
  }
}

/** Walks out in order with a counter per axis, reading x through the permuted strides. */
function permute(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void {
  const rank = shape.length;
  const xStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    xStrides[i] = s;
    s *= shape[i];
  }
  const dims = axes.map((a) => shape[a]);
  const strides = axes.map((a) => xStrides[a]);
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x[offset];
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]++;
      offset += strides[ax];
      if (index[ax] < dims[ax]) break;
      offset -= strides[ax] * dims[ax];
      index[ax] = 0;
    }
  }
}

function matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, transA: boolean, transB: boolean): void {
  // Strides of op(a) and op(b) as m×k and k×n matrices, so one loop serves all four cases.
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  const bRow = transB ? 1 : n, bCol = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
      out[i * n + j] = acc;
    }
  }
}

const binaryBroadcast: Kernels["binaryBroadcast"] = (kind, a, aStrides, b, bStrides, out, outShape) => {
  const f = binaryFn(kind);
  const rank = outShape.length;
  const index = new Array<number>(rank).fill(0);
  let ai = 0, bi = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = f(a[ai], b[bi]);
    // Odometer increment of the multi-index, moving both input offsets along.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      ai += aStrides[axis];
      bi += bStrides[axis];
      if (index[axis] < outShape[axis]) break;
      ai -= aStrides[axis] * outShape[axis];
      bi -= bStrides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
};

/**
 * Folds every element of x into out[j], j following outStrides: a sum, or a max (NaN wins; an empty max is −∞).
 * An odometer over x's multi-index moves the output offset along.
 */
function reduceInto(x: FloatArray, xShape: readonly number[], out: FloatArray, outStrides: readonly number[], max: boolean): void {
  out.fill(max ? -Infinity : 0);
  const rank = xShape.length;
  const index = new Array<number>(rank).fill(0);
  let oi = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!max) out[oi] += v;
    else if (v > out[oi] || Number.isNaN(v)) out[oi] = v;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      oi += outStrides[axis];
      if (index[axis] < xShape[axis]) break;
      oi -= outStrides[axis] * xShape[axis];
      index[axis] = 0;
    }
  }
}

/**
 * Calls visit(o, at) for every entry o of the patches (im2col's rows: window position (image, y, x); columns:
 * channel, window row, window column), `at` being the input element it reads, or −1 where the window is in the padding.
 */
function eachPatchEntry(g: ConvGeometry, visit: (o: number, at: number) => void): void {
  const { n, c, h, w, kh, kw, stride, padTop, padLeft, oh, ow } = g;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          const plane = (b * c + ch) * h * w;
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * stride + ky - padTop;
            for (let kx = 0; kx < kw; kx++) {
              const xx = ox * stride + kx - padLeft;
              visit(o++, y >= 0 && y < h && xx >= 0 && xx < w ? plane + y * w + xx : -1);
            }
          }
        }
      }
    }
  }
}

function im2col(x: FloatArray, g: ConvGeometry, out: FloatArray): void {
  eachPatchEntry(g, (o, at) => (out[o] = at < 0 ? 0 : x[at]));
}

/** The transpose of im2col: each patch entry added back to the input element it was read from. */
function col2im(cols: FloatArray, g: ConvGeometry, out: FloatArray): void {
  out.fill(0);
  eachPatchEntry(g, (o, at) => {
    if (at >= 0) out[at] += cols[o];
  });
}

/** Calls visit(window index, index in x of the window's largest element (the first of ties; a NaN only if first)) for every window. */
function eachWindowMax(x: FloatArray, g: ConvGeometry, visit: (o: number, at: number) => void): void {
  const { n, h, w, kh, kw, stride, oh, ow } = g;
  let o = 0;
  for (let p = 0; p < n; p++) {
    const plane = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, o++) {
        let at = plane + oy * stride * w + ox * stride, best = x[at];
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const i = plane + (oy * stride + ky) * w + ox * stride + kx;
            // The largest, the first of ties; a NaN (the first) wins over any number, so it propagates.
            if (x[i] > best || (x[i] !== x[i] && best === best)) {
              best = x[i];
              at = i;
            }
          }
        }
        visit(o, at);
      }
    }
  }
}

/** A 32-bit mix (murmur3's finaliser): consecutive inputs give unrelated outputs. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function dropoutMask(key: FloatArray, salt: number, rate: number, out: FloatArray): void {
  const seed = mix(mix(mix(((key[0] << 16) | key[1]) ^ mix(salt)) ^ ((key[2] << 16) | key[3])) + 0x9e3779b9);
  const threshold = rate * 4294967296, keep = 1 / (1 - rate);
  for (let i = 0; i < out.length; i++) out[i] = mix(seed ^ mix(i + 0x6a09e667)) < threshold ? 0 : keep;
}

function softmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) if (x[o + c] > max) max = x[o + c];
    let total = 0;
    for (let c = 0; c < cols; c++) total += Math.exp(x[o + c] - max);
    if (log) {
      const lse = max + Math.log(total);
      for (let c = 0; c < cols; c++) out[o + c] = x[o + c] - lse;
    } else {
      for (let c = 0; c < cols; c++) out[o + c] = Math.exp(x[o + c] - max) / total;
    }
  }
}

export const referenceKernels: Kernels = {
  name: "reference",
  matmul,
  unary(kind, x, out) {
    const f = unaryFn(kind);
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  },
  binary(kind, a, b, out) {
    const f = binaryFn(kind);
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
  },
  binaryBroadcast,
  sumInto: (x, xShape, out, outStrides) => reduceInto(x, xShape, out, outStrides, false),
  maxInto: (x, xShape, out, outStrides) => reduceInto(x, xShape, out, outStrides, true),
  im2col,
  col2im,
  dropoutMask,
  maxPool(x, g, out) {
    eachWindowMax(x, g, (o, at) => (out[o] = x[at]));
  },
  maxPoolScatter(x, grad, g, out) {
    out.fill(0);
    eachWindowMax(x, g, (o, at) => (out[at] += grad[o]));
  },
  maxPoolGather(x, h, g, out) {
    eachWindowMax(x, g, (o, at) => (out[o] = h[at]));
  },
  select(c, a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? a[i] : b[i];
  },
  sliceRows(x, rows, rowLength, start, len, out) {
    for (let r = 0; r < rows; r++) for (let j = 0; j < len; j++) out[r * len + j] = x[r * rowLength + start + j];
  },
  concatRows(a, aLength, b, bLength, rows, out) {
    const width = aLength + bLength;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < aLength; j++) out[r * width + j] = a[r * aLength + j];
      for (let j = 0; j < bLength; j++) out[r * width + aLength + j] = b[r * bLength + j];
    }
  },
  softmaxRows,
  transpose(x, out, rows, cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  },
  permute,
  axpy(alpha, x, y, out) {
    for (let i = 0; i < out.length; i++) out[i] = alpha * x[i] + y[i];
  },
  bytesToFloat(bytes, rows, rowLength, divisor, out) {
    for (let r = 0; r < rows.length; r++) {
      const src = rows[r] * rowLength, dst = r * rowLength;
      for (let j = 0; j < rowLength; j++) out[dst + j] = bytes[src + j] / divisor;
    }
  },
  ...sparseJsKernels,
  ...adamJsKernels,
  clip(x, out, lo, hi) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
  },
  clipGrad(g, x, out, lo, hi) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > lo && x[i] < hi ? g[i] : 0;
  },
};
