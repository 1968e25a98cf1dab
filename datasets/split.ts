/** The seed's split of MNIST: train on the first 50,000 training images, validate on the last 10,000, test on t10k. */
import type { Dataset } from "./dataset.ts";
import { slice } from "./dataset.ts";
import type { IdxDirectory } from "./load.ts";

export interface Splits {
  readonly training: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

/**
 * Validation is the last 10,000 training images (a sixth of the set when it is smaller than 60,000,
 * so small sets split the same way); `trainSize` keeps only the first N of the rest.
 */
export function seedSplit(dir: IdxDirectory, trainSize?: number): Splits {
  const total = dir.train.count;
  const validationSize = Math.min(10000, Math.floor(total / 6));
  const available = total - validationSize;
  const n = trainSize === undefined ? available : Math.min(trainSize, available);
  return {
    training: slice(dir.train, 0, n),
    validation: slice(dir.train, available, total),
    test: dir.test,
  };
}
