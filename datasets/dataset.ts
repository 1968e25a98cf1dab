/**
 * A labelled image set kept as bytes: one contiguous array of pixels (count × features) and one of labels.
 * Subsets are views into the same arrays; mini-batches are gathered from them as float tensors.
 */
import { CsrMatrix, SparseBatch, Tensor, allocate, defaultDType, kernels, poison, poisoningReused, type DType, type FloatArray, type Kernels } from "../core/index.ts";

export interface Dataset {
  readonly count: number;
  /** Pixels per image (784 for MNIST). */
  readonly features: number;
  readonly classes: number;
  /** The pixels, count × features. A data set read as sparse rows makes them when this is first read. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  /** The pixels as sparse rows, when the data set was read that way (node's loader on the wasm backend). */
  readonly sparse?: CsrMatrix;
}

/**
 * A data set held as sparse rows: its dense pixels are made from them when `images` is first read (into the
 * backend's own memory when it has room, where its kernels gather from them), not before.
 */
export function sparseDataset(sparse: CsrMatrix, labels: Uint8Array, classes: number): Dataset {
  if (labels.length !== sparse.rows) throw new Error(`sparseDataset: ${labels.length} labels for ${sparse.rows} images`);
  let dense: Uint8Array | undefined;
  // The backend of the moment it was made (whose memory its rows were likely read into) keeps the pixels too.
  const owner = kernels();
  return {
    count: sparse.rows, features: sparse.cols, classes, labels, sparse,
    get images() {
      return (dense ??= sparse.toBytes(owner.residentBytes?.(sparse.rows * sparse.cols)));
    },
  };
}

/** Inputs and one-hot targets, rows aligned (the shape nn's training step takes); X is a SparseBatch for sparse rows. */
export interface LabelledBatch<X extends Tensor | SparseBatch = Tensor> {
  readonly x: X;
  readonly y: Tensor;
}

/** Examples [start, end) as a view (no copy). */
export function sliceDataset(ds: Dataset, start: number, end: number): Dataset {
  if (ds.sparse !== undefined) return sparseDataset(ds.sparse.rowRange(start, end), ds.labels.subarray(start, end), ds.classes);
  return {
    ...ds,
    count: end - start,
    images: ds.images.subarray(start * ds.features, end * ds.features),
    labels: ds.labels.subarray(start, end),
  };
}

/** Throws unless every index names an example of `ds` (one outside would gather numbers that are not there). */
function checkIndices(ds: Dataset, indices: ArrayLike<number>): void {
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!(Number.isInteger(i) && i >= 0 && i < ds.count)) throw new Error(`gather: index ${i} is outside the ${ds.count} examples`);
  }
}

/** The examples at `indices` as a batch: x scaled to [0, 1], y one-hot. */
export function gather(ds: Dataset, indices: ArrayLike<number>, dtype: DType = defaultDType()): LabelledBatch {
  checkIndices(ds, indices);
  const n = indices.length, f = ds.features, c = ds.classes;
  const x = allocate(dtype, n * f);
  kernels().bytesToFloat(ds.images, indices, f, 255, x);
  const y = allocate(dtype, n * c);
  for (let r = 0; r < n; r++) y[r * c + ds.labels[indices[r]]] = 1;
  return { x: new Tensor([n, f], x), y: new Tensor([n, c], y) };
}

type Buffers = {
  readonly x: FloatArray; readonly y: FloatArray; readonly xShape: readonly number[]; readonly yShape: readonly number[];
  /** With poisoning on (core/reuse.ts): the batch last written here, poisoned when these buffers are written again. */
  handed?: LabelledBatch<Tensor | SparseBatch>;
};

// Buffers of collected gatherers go back to their backend.
const releaser = new FinalizationRegistry<{ readonly kernels: Kernels; readonly pairs: Map<number, Buffers[]> }>(({ kernels: k, pairs }) => {
  for (const pair of pairs.values()) for (const { x, y } of pair) {
    k.release?.(x);
    k.release?.(y);
  }
});

/**
 * `gather` for a loop that is done with each batch before it asks for the one after next, as a training
 * loop is: batches are written into two sets of buffers used in turn, so gathering allocates nothing. On a
 * backend with long-lived memory of its own (wasm), the buffers live there, so the batch is computed where
 * the kernels read it. A batch's tensors are valid until the second call after the one that returned them.
 * On other backends this is plain `gather`.
 */
export function batchGatherer(ds: Dataset, dtype: DType = defaultDType()): (indices: ArrayLike<number>) => LabelledBatch {
  // A set held as sparse rows makes its dense pixels now, before a training loop starts its clock (set-up, as
  // reading the data is), not in its first batch.
  void ds.images;
  return reusingGatherer(ds, dtype, ds.features, (indices) => gather(ds, indices, dtype), (owner, indices, x, xShape) => {
    owner.bytesToFloat(ds.images, indices, ds.features, 255, x);
    return new Tensor(xShape, x);
  });
}

const matrices = new WeakMap<Uint8Array, CsrMatrix>();

/** A data set's images as sparse rows (core's CsrMatrix, pixels / 255), made once per images array. */
export function sparseImages(ds: Dataset): CsrMatrix {
  if (ds.sparse !== undefined) return ds.sparse;
  let m = matrices.get(ds.images);
  if (m === undefined) matrices.set(ds.images, (m = CsrMatrix.fromBytes(ds.images, ds.count, ds.features, 255)));
  return m;
}

/** The examples at `indices` with x as sparse rows (a SparseBatch of `sparseImages(ds)`), y one-hot. */
export function gatherSparse(ds: Dataset, indices: ArrayLike<number>, dtype: DType = defaultDType()): LabelledBatch<SparseBatch> {
  checkIndices(ds, indices);
  const n = indices.length, c = ds.classes;
  const y = allocate(dtype, n * c);
  for (let r = 0; r < n; r++) y[r * c + ds.labels[indices[r]]] = 1;
  const rows = allocate(dtype, n);
  for (let r = 0; r < n; r++) rows[r] = indices[r];
  return { x: new SparseBatch(sparseImages(ds), new Tensor([n], rows)), y: new Tensor([n, c], y) };
}

/**
 * `batchGatherer` with x as sparse rows (a SparseBatch): the batch is its row numbers, no pixels are
 * copied, and a network whose first layer is dense reads only their non-zeros. The same numbers.
 */
export function sparseBatchGatherer(ds: Dataset, dtype: DType = defaultDType()): (indices: ArrayLike<number>) => LabelledBatch<SparseBatch> {
  const matrix = sparseImages(ds);
  // Made ready now (in wasm memory, on that backend), before a training loop starts its clock: set-up, as reading the data is.
  kernels().prepareSparse?.(matrix);
  return reusingGatherer(ds, dtype, 1, (indices) => gatherSparse(ds, indices, dtype), (_owner, indices, x, xShape) => {
    for (let r = 0; r < indices.length; r++) x[r] = indices[r];
    return new SparseBatch(matrix, new Tensor([xShape[0]], x));
  });
}

/** The two-sets-of-buffers loop of batchGatherer, with x's numbers per example and its filling given. */
function reusingGatherer<X extends Tensor | SparseBatch>(
  ds: Dataset, dtype: DType, xPerExample: number,
  plain: (indices: ArrayLike<number>) => LabelledBatch<X>,
  fillX: (owner: Kernels, indices: ArrayLike<number>, x: FloatArray, xShape: readonly number[]) => X,
): (indices: ArrayLike<number>) => LabelledBatch<X> {
  const owner = kernels();
  const persistent = owner.persistent;
  if (persistent === undefined) return plain;
  const pairs = new Map<number, Buffers[]>();
  const roomless = new Set<number>(); // batch sizes the backend had no room for: plain gather
  let turn = 0;
  const buffersFor = (n: number): Buffers | undefined => {
    let pair = pairs.get(n);
    if (pair === undefined) {
      if (roomless.has(n)) return undefined;
      const got: FloatArray[] = [];
      for (let i = 0; i < 4; i++) {
        const a = persistent.call(owner, dtype, n * (i < 2 ? xPerExample : ds.classes));
        if (a === undefined) {
          for (const b of got) owner.release?.(b);
          roomless.add(n);
          return undefined;
        }
        got.push(a);
      }
      // Frozen shapes shared by every batch of this size: tensors take them as they are, and jit's key finds their text cached.
      const xShape = Object.freeze([n, ds.features]), yShape = Object.freeze([n, ds.classes]);
      pair = [{ x: got[0], y: got[2], xShape, yShape }, { x: got[1], y: got[3], xShape, yShape }];
      pairs.set(n, pair);
    }
    return pair[(turn ^= 1)];
  };
  const gatherer = (indices: ArrayLike<number>): LabelledBatch<X> => {
    checkIndices(ds, indices);
    const n = indices.length, c = ds.classes;
    const buffers = kernels() === owner ? buffersFor(n) : undefined;
    if (buffers === undefined) return plain(indices);
    const { x, y, xShape, yShape } = buffers;
    if (buffers.handed !== undefined) {
      const hx = buffers.handed.x;
      poison(hx instanceof SparseBatch ? hx.rows : hx, "batchGatherer");
      poison(buffers.handed.y, "batchGatherer");
      buffers.handed = undefined;
    }
    const xValue = fillX(owner, indices, x, xShape);
    y.fill(0);
    for (let r = 0; r < n; r++) y[r * c + ds.labels[indices[r]]] = 1;
    const batch = { x: xValue, y: new Tensor(yShape, y) };
    if (poisoningReused()) buffers.handed = batch;
    return batch;
  };
  releaser.register(gatherer, { kernels: owner, pairs });
  return gatherer;
}

/** The book's expansion (expand_mnist.py): each image as it is, then moved one pixel up, down, left, right. */
export const SHIFTS: readonly (readonly [number, number])[] = [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]];

/**
 * Example i of the expanded set (5 × count): image i mod count moved by SHIFTS[⌊i / count⌋], zeros where it
 * moved away from the edge, computed when gathered (no copy of the set). Images must be `side`×`side`.
 */
export function shiftedGather(ds: Dataset, side: number, indices: ArrayLike<number>, dtype: DType = defaultDType()): LabelledBatch {
  if (side * side !== ds.features) throw new Error(`shiftedGather: images of ${ds.features} pixels are not ${side}×${side}`);
  const n = indices.length, f = ds.features, c = ds.classes;
  // Read once: a set held as sparse rows makes its pixels behind a getter.
  const images = ds.images;
  const x = allocate(dtype, n * f);
  const y = allocate(dtype, n * c);
  for (let r = 0; r < n; r++) {
    const i = indices[r], image = i % ds.count, [dy, dx] = SHIFTS[Math.floor(i / ds.count)] ?? [0, 0];
    if (!(i >= 0 && i < ds.count * SHIFTS.length)) throw new Error(`shiftedGather: index ${i} is outside the ${ds.count * SHIFTS.length} expanded examples`);
    const src = image * f, dst = r * f;
    for (let row = 0; row < side; row++) {
      const from = row - dy;
      if (from < 0 || from >= side) continue;
      for (let col = 0; col < side; col++) {
        const fc = col - dx;
        if (fc >= 0 && fc < side) x[dst + row * side + col] = images[src + from * side + fc] / 255;
      }
    }
    y[r * c + ds.labels[image]] = 1;
  }
  return { x: new Tensor([n, f], x), y: new Tensor([n, c], y) };
}
