/** The seed's split of MNIST: train on the first 50,000 training images, validate on the last 10,000, test on t10k. */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import type { Dataset } from "./dataset.ts";
import { sliceDataset } from "./dataset.ts";
import { readableError } from "../core/index.ts";

/** A data set's training and test images, as a directory of the four MNIST-named files holds them. */
export interface IdxDirectory {
  readonly train: Dataset;
  readonly test: Dataset;
}

export interface Splits {
  readonly training: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

/**
 * Validation is the last 10,000 training images (a sixth of the set when it is smaller than 60,000,
 * so small sets split the same way); `trainSize` keeps only the first N of the rest. A split that would
 * leave a set empty, or a `trainSize` beyond what is there, is an error naming the sizes.
 */
export function seedSplit(dir: IdxDirectory, trainSize?: number): Either<Error, Splits> {
  const total = dir.train.count;
  const validationSize = Math.min(10000, Math.floor(total / 6));
  const available = total - validationSize;
  if (validationSize === 0 || available === 0) {
    return left(readableError(`the training file has ${total} images: too few to keep a sixth for validation (at least 6 are needed)`));
  }
  if (dir.test.count === 0) return left(readableError("the test file has no images"));
  if (trainSize !== undefined && trainSize > available) {
    return left(readableError(`--train-size ${trainSize} is more than the ${available} training images there are (${total} less ${validationSize} for validation)`));
  }
  const n = trainSize ?? available;
  return right({
    training: sliceDataset(dir.train, 0, n),
    validation: sliceDataset(dir.train, available, total),
    test: dir.test,
  });
}
