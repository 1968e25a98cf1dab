/**
 * The seed's hand-written backpropagation (`backprop` and `update_mini_batch` in network.py),
 * in matrix form over a mini-batch (examples as rows, so the seed's w·a + b reads x·w + b). It calls the kernels directly and never
 * the tape or any op's gradient rule: it is the independent reference the autodiff is held to,
 * and the baseline the tape's overhead is measured against.
 */
import { Tensor, allocate, kernels, type FloatArray } from "../core/index.ts";
import type { DenseParams } from "./dense.ts";

export type BackpropCost = "quadratic" | "cross-entropy";

export interface BackpropResult {
  readonly loss: number;
  readonly grads: DenseParams[];
}

const eps = 1e-12; // the same clipping as nn/costs.ts, so losses agree

/** Gradient of the batch-averaged cost of a dense+sigmoid stack, for x (batch×in) and y (batch×out). */
export function backprop(layers: readonly DenseParams[], x: Tensor, y: Tensor, cost: BackpropCost): BackpropResult {
  const k = kernels();
  const n = x.shape[0];
  const dtype = x.dtype;
  // Forward pass, keeping every layer's activations (the seed's `activations` list).
  const acts: FloatArray[] = [x.data];
  const widths: number[] = [x.shape[1]];
  for (const { w, b } of layers) {
    const [inp, out] = w.shape;
    // Arrays a kernel has seen are never written again (backends may cache them by identity): new arrays for each stage.
    const wx = allocate(dtype, n * out);
    k.matmul(acts[acts.length - 1], w.data, wx, n, inp, out, false, false);
    const z = allocate(dtype, n * out);
    for (let r = 0; r < n; r++) for (let j = 0; j < out; j++) z[r * out + j] = wx[r * out + j] + b.data[j];
    const a = allocate(dtype, n * out);
    k.unary("sigmoid", z, a);
    acts.push(a);
    widths.push(out);
  }
  const aL = acts[acts.length - 1];
  const outL = widths[widths.length - 1];
  // Output error δ^L: (a − y) ⊙ σ'(z) for the quadratic cost, (a − y) for cross-entropy; /n for the batch mean.
  let loss = 0;
  let delta = allocate(dtype, n * outL);
  for (let i = 0; i < n * outL; i++) {
    const a = aL[i], t = y.data[i];
    if (cost === "quadratic") {
      loss += 0.5 * (a - t) * (a - t);
      delta[i] = ((a - t) * a * (1 - a)) / n;
    } else {
      const p = Math.min(Math.max(a, eps), 1 - eps);
      loss -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      delta[i] = (a - t) / n;
    }
  }
  // Backward pass: ∇b = Σ_rows δ, ∇w = a_prevᵀ·δ, δ_prev = (δ·wᵀ) ⊙ σ'(z_prev).
  const grads: DenseParams[] = new Array(layers.length);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { w } = layers[l];
    const [inp, out] = w.shape;
    const gb = allocate(dtype, out);
    for (let r = 0; r < n; r++) for (let j = 0; j < out; j++) gb[j] += delta[r * out + j];
    const gw = allocate(dtype, inp * out);
    k.matmul(acts[l], delta, gw, inp, n, out, true, false);
    grads[l] = { w: new Tensor([inp, out], gw), b: new Tensor([out], gb) };
    if (l > 0) {
      const back = allocate(dtype, n * inp);
      k.matmul(delta, w.data, back, n, out, inp, false, true);
      const a = acts[l];
      const prev = allocate(dtype, n * inp);
      for (let i = 0; i < n * inp; i++) prev[i] = back[i] * a[i] * (1 - a[i]);
      delta = prev;
    }
  }
  return { loss: loss / n, grads };
}

/** The seed's `update_mini_batch`: one gradient-descent step w ← w − η∇C on the batch. */
export function updateMiniBatch(layers: readonly DenseParams[], x: Tensor, y: Tensor, eta: number, cost: BackpropCost): DenseParams[] {
  const { grads } = backprop(layers, x, y, cost);
  const step = (p: Tensor, g: Tensor): Tensor => {
    const out = allocate(p.dtype, p.size);
    kernels().axpy(-eta, g.data, p.data, out);
    return new Tensor(p.shape, out);
  };
  return layers.map((l, i) => ({ w: step(l.w, grads[i].w), b: step(l.b, grads[i].b) }));
}

/** The dense layers of a network's parameters (`[{w, b}, [], {w, b}, []]` for dense+sigmoid stacks). */
export function denseLayers(params: readonly unknown[]): DenseParams[] {
  return params.filter((p): p is DenseParams => typeof p === "object" && p !== null && "w" in p && "b" in p);
}
