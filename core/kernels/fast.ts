/**
 * The fast kernels: the same contract as the reference, written for V8. One loop per kind (no
 * per-element closure calls), cache-friendly loop orders for each transpose case, and sparse paths:
 * when a matrix operand is mostly zeros (MNIST pixels are about 80% zero), products visit only its
 * non-zero entries, in the forward product and in the weight gradient alike.
 */
import type { FloatArray } from "../tensor.ts";
import type { BinaryKind, ConvGeometry, Kernels, UnaryKind } from "./kernels.ts";
import { referenceKernels, sigmoid } from "./reference.ts";

// Scratch for the non-zero entries of one row; internal and reused, never visible outside a call.
let nzIndexScratch = new Int32Array(1024);
let nzValueScratch = new Float64Array(1024);

function ensureScratch(n: number): void {
  if (nzIndexScratch.length < n) {
    nzIndexScratch = new Int32Array(n);
    nzValueScratch = new Float64Array(n);
  }
}

/** Gathers the non-zeros of row[offset … offset+len) into the scratch; returns their count. */
function gatherNonZeros(row: FloatArray, offset: number, len: number, nzIndex: Int32Array, nzValue: Float64Array): number {
  let nnz = 0;
  for (let p = 0; p < len; p++) {
    const v = row[offset + p];
    if (v !== 0) {
      nzIndex[nnz] = p;
      nzValue[nnz] = v;
      nnz++;
    }
  }
  return nnz;
}

// A row at most this dense takes the sparse path; denser rows are cheaper read straight through.
const SPARSE_DENSITY = 0.5;

function matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, transA: boolean, transB: boolean): void {
  ensureScratch(Math.max(k, n));
  // Locals, not the module's bindings: hot loops must not reload (and hole-check) a module-level `let`.
  const nzIndex = nzIndexScratch, nzValue = nzValueScratch;
  if (!transA && transB) {
    // out[i,j] = a[i,:]·b[j,:]: dot products of rows (the dense layer's forward product x·wᵀ).
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      const nnz = gatherNonZeros(a, ai, k, nzIndex, nzValue);
      if (nnz <= SPARSE_DENSITY * k) {
        for (let j = 0; j < n; j++) {
          const bj = j * k;
          let acc = 0;
          for (let q = 0; q < nnz; q++) acc += nzValue[q] * b[bj + nzIndex[q]];
          out[i * n + j] = acc;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const bj = j * k;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          let p = 0;
          for (; p + 3 < k; p += 4) {
            s0 += a[ai + p] * b[bj + p];
            s1 += a[ai + p + 1] * b[bj + p + 1];
            s2 += a[ai + p + 2] * b[bj + p + 2];
            s3 += a[ai + p + 3] * b[bj + p + 3];
          }
          for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
          out[i * n + j] = s0 + s1 + s2 + s3;
        }
      }
    }
  } else if (!transA && !transB) {
    // out[i,:] += a[i,p] · b[p,:]: rows of b scaled and added, skipping zero a[i,p].
    out.fill(0);
    for (let i = 0; i < m; i++) {
      const oi = i * n;
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p];
        if (aip === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) out[oi + j] += aip * b[bp + j];
      }
    }
  } else if (transA && !transB) {
    // out[i,:] += a[p,i] · b[p,:] (the weight gradient δᵀ·x): each row of b visited once, sparsely when it is mostly zeros.
    out.fill(0);
    for (let p = 0; p < k; p++) {
      const bp = p * n;
      const nnz = gatherNonZeros(b, bp, n, nzIndex, nzValue);
      if (nnz <= SPARSE_DENSITY * n) {
        for (let i = 0; i < m; i++) {
          const api = a[p * m + i];
          if (api === 0) continue;
          const oi = i * n;
          for (let q = 0; q < nnz; q++) out[oi + nzIndex[q]] += api * nzValue[q];
        }
      } else {
        for (let i = 0; i < m; i++) {
          const api = a[p * m + i];
          if (api === 0) continue;
          const oi = i * n;
          for (let j = 0; j < n; j++) out[oi + j] += api * b[bp + j];
        }
      }
    }
  } else {
    referenceKernels.matmul(a, b, out, m, k, n, transA, transB);
  }
}

function unary(kind: UnaryKind, x: FloatArray, out: FloatArray): void {
  const n = x.length;
  switch (kind) {
    case "sigmoid": for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]); return;
    case "neg": for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case "square": for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; return;
    case "exp": for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case "log": for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return;
    case "relu": for (let i = 0; i < n; i++) out[i] = x[i] <= 0 ? 0 : x[i]; return;
    case "tanh": for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); return;
    default: referenceKernels.unary(kind, x, out);
  }
}

function binary(kind: BinaryKind, a: FloatArray, b: FloatArray, out: FloatArray): void {
  const n = out.length;
  switch (kind) {
    case "add": for (let i = 0; i < n; i++) out[i] = a[i] + b[i]; return;
    case "sub": for (let i = 0; i < n; i++) out[i] = a[i] - b[i]; return;
    case "mul": for (let i = 0; i < n; i++) out[i] = a[i] * b[i]; return;
    case "div": for (let i = 0; i < n; i++) out[i] = a[i] / b[i]; return;
    case "sigmoidGrad": for (let i = 0; i < n; i++) { const y = b[i]; out[i] = a[i] * y * (1 - y); } return;
    case "reluGrad": for (let i = 0; i < n; i++) out[i] = b[i] > 0 ? a[i] : 0; return;
    default: referenceKernels.binary(kind, a, b, out);
  }
}

/** out = f(a, s) with s a single number, one loop per kind. */
function binaryScalarRight(kind: BinaryKind, a: FloatArray, s: number, out: FloatArray): boolean {
  const n = out.length;
  switch (kind) {
    case "add": for (let i = 0; i < n; i++) out[i] = a[i] + s; return true;
    case "sub": for (let i = 0; i < n; i++) out[i] = a[i] - s; return true;
    case "mul": for (let i = 0; i < n; i++) out[i] = a[i] * s; return true;
    case "div": for (let i = 0; i < n; i++) out[i] = a[i] / s; return true;
    default: return false;
  }
}

const scalarOut = new Float64Array(1);

const binaryBroadcast: Kernels["binaryBroadcast"] = (kind, a, aStrides, b, bStrides, out, outShape) => {
  const rank = outShape.length;
  // b a single number: a scalar factor or offset.
  if (b.length === 1 && a.length === out.length && binaryScalarRight(kind, a, b[0], out)) return;
  // Two single numbers spread over out (a scalar's gradient broadcast back to a shape).
  if (a.length === 1 && b.length === 1) {
    binary(kind, a, b, scalarOut);
    out.fill(scalarOut[0]);
    return;
  }
  // A full matrix a and a row vector b broadcast down its rows: the bias add.
  if (rank === 2 && a.length === out.length && bStrides[0] === 0 && bStrides[1] === 1 && (kind === "add" || kind === "mul" || kind === "sub")) {
    const rows = outShape[0], cols = outShape[1];
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      if (kind === "add") for (let c = 0; c < cols; c++) out[o + c] = a[o + c] + b[c];
      else if (kind === "sub") for (let c = 0; c < cols; c++) out[o + c] = a[o + c] - b[c];
      else for (let c = 0; c < cols; c++) out[o + c] = a[o + c] * b[c];
    }
    return;
  }
  referenceKernels.binaryBroadcast(kind, a, aStrides, b, bStrides, out, outShape);
};

function sumInto(x: FloatArray, xShape: readonly number[], out: FloatArray, outStrides: readonly number[]): void {
  if (out.length === 1) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    out[0] = s;
    return;
  }
  // Summing a matrix's rows into one row: the bias gradient.
  if (xShape.length === 2 && outStrides[0] === 0 && outStrides[1] === 1) {
    const rows = xShape[0], cols = xShape[1];
    out.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
    return;
  }
  referenceKernels.sumInto(x, xShape, out, outStrides);
}

/** Swapping the last two axes of a 3-D array (a convolution's rows to channels first): a transpose per block. */
function permute(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void {
  if (shape.length === 3 && axes[0] === 0 && axes[1] === 2 && axes[2] === 1) {
    const [blocks, rows, cols] = shape;
    for (let b = 0; b < blocks; b++) {
      const base = b * rows * cols;
      for (let r = 0; r < rows; r++) {
        const src = base + r * cols;
        for (let c = 0; c < cols; c++) out[base + c * rows + r] = x[src + c];
      }
    }
    return;
  }
  referenceKernels.permute(x, shape, axes, out);
}

/** im2col for the common case (stride 1, no padding on any side): each window row is a run of kw contiguous inputs. */
function im2col(x: FloatArray, g: ConvGeometry, out: FloatArray): void {
  const { n, c, h, w, kh, kw, stride, padTop, padLeft, oh, ow } = g;
  if (stride !== 1 || padTop !== 0 || padLeft !== 0 || oh !== h - kh + 1 || ow !== w - kw + 1) {
    referenceKernels.im2col(x, g, out);
    return;
  }
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let src = (b * c + ch) * h * w + oy * w + ox;
          for (let ky = 0; ky < kh; ky++, src += w) for (let kx = 0; kx < kw; kx++) out[o++] = x[src + kx];
        }
      }
    }
  }
}

function col2im(cols: FloatArray, g: ConvGeometry, out: FloatArray): void {
  const { n, c, h, w, kh, kw, stride, padTop, padLeft, oh, ow } = g;
  if (stride !== 1 || padTop !== 0 || padLeft !== 0 || oh !== h - kh + 1 || ow !== w - kw + 1) {
    referenceKernels.col2im(cols, g, out);
    return;
  }
  out.fill(0);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let dst = (b * c + ch) * h * w + oy * w + ox;
          for (let ky = 0; ky < kh; ky++, dst += w) for (let kx = 0; kx < kw; kx++) out[dst + kx] += cols[o++];
        }
      }
    }
  }
}

/** 2×2 max pooling with stride 2 (the book's), written out; other windows go to the reference loop. */
function maxPool(x: FloatArray, g: ConvGeometry, out: FloatArray): void {
  const { n, h, w, kh, kw, stride, oh, ow } = g;
  if (kh !== 2 || kw !== 2 || stride !== 2) {
    referenceKernels.maxPool(x, g, out);
    return;
  }
  let o = 0;
  for (let p = 0; p < n; p++) {
    const plane = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      let i = plane + 2 * oy * w;
      for (let ox = 0; ox < ow; ox++, i += 2) {
        const a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
        // A NaN anywhere in the window gives NaN, as the reference loop.
        const m1 = b > a || b !== b ? b : a, m2 = d > c || d !== d ? d : c;
        out[o++] = m2 > m1 || m2 !== m2 ? m2 : m1;
      }
    }
  }
}

export const fastKernels: Kernels = {
  ...referenceKernels,
  name: "fast",
  permute,
  im2col,
  col2im,
  maxPool,
  matmul,
  unary,
  binary,
  binaryBroadcast,
  sumInto,
  axpy(alpha, x, y, out) {
    const n = out.length;
    for (let i = 0; i < n; i++) out[i] = alpha * x[i] + y[i];
  },
};
