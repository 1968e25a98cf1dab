/**
 * A dataset seen as training examples (pixels in [0, 1], one-hot targets): what nn's `train` and `evaluate`
 * take as `Examples`. The gatherers are the ones the CLI trains with (reused buffers, sparse rows), so a
 * library loop runs at the CLI's speed.
 */
import { defaultDType, type DType, type SparseBatch } from "../core/index.ts";
import { batchGatherer, gather, sparseBatchGatherer, type Dataset, type LabelledBatch } from "./dataset.ts";

export interface ExampleSource {
  readonly size: number;
  gather(indices: ArrayLike<number>): LabelledBatch;
  reusingGather(): (indices: ArrayLike<number>) => LabelledBatch;
  sparseGather(): (indices: ArrayLike<number>) => LabelledBatch<SparseBatch>;
}

/** `ds` as examples in `dtype` (default: the backend's, float32 on wasm). */
export function examples(ds: Dataset, dtype: DType = defaultDType()): ExampleSource {
  return {
    size: ds.count,
    gather: (indices) => gather(ds, indices, dtype),
    reusingGather: () => batchGatherer(ds, dtype),
    sparseGather: () => sparseBatchGatherer(ds, dtype),
  };
}
