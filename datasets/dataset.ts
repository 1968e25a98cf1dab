/**
 * A labelled image set kept as bytes: one contiguous array of pixels (count × features) and one of labels.
 * Subsets are views into the same arrays; mini-batches are gathered from them as float tensors.
 */
import { Tensor, allocate, kernels, type DType } from "../core/index.ts";

export interface Dataset {
  readonly count: number;
  /** Pixels per image (784 for MNIST). */
  readonly features: number;
  readonly classes: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** Inputs and one-hot targets, rows aligned (the shape nn's training step takes). */
export interface LabelledBatch {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** Examples [start, end) as a view (no copy). */
export function slice(ds: Dataset, start: number, end: number): Dataset {
  return {
    ...ds,
    count: end - start,
    images: ds.images.subarray(start * ds.features, end * ds.features),
    labels: ds.labels.subarray(start, end),
  };
}

/** The examples at `indices` as a batch: x scaled to [0, 1], y one-hot. */
export function gather(ds: Dataset, indices: ArrayLike<number>, dtype: DType = "float64"): LabelledBatch {
  const n = indices.length, f = ds.features, c = ds.classes;
  const x = allocate(dtype, n * f);
  kernels().bytesToFloat(ds.images, indices, f, 255, x);
  const y = allocate(dtype, n * c);
  for (let r = 0; r < n; r++) y[r * c + ds.labels[indices[r]]] = 1;
  return { x: new Tensor([n, f], x), y: new Tensor([n, c], y) };
}
