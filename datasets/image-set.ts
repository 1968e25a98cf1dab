/** Pairing an images file with its labels file, checked against each other (browser-safe; node/ and fetch use it). */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import type { CsrMatrix } from "../core/index.ts";
import { sparseDataset, type Dataset } from "./dataset.ts";
import type { Idx } from "./idx.ts";

/** The four files of MNIST (and of the sets named like it). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** MNIST and its kin have ten classes; a label outside them is an error, not a new class. */
export const DEFAULT_CLASSES = 10;

/** Images (count × rows × cols) and labels (count) as a dataset; `labelsWhere` and `imagesName` name the files in errors. */
export function imageSet(images: Idx, labels: Idx, imagesName: string, labelsWhere: string, classes = DEFAULT_CLASSES): Either<Error, Dataset> {
  const [count, rows, cols] = images.dims;
  const bad = badLabels(count, labels, imagesName, labelsWhere, classes);
  return bad !== undefined ? left(bad) : right({ count, features: rows * cols, classes, images: images.data, labels: labels.data });
}

/** The same, for images read as sparse rows (a CsrMatrix of count × pixels). */
export function sparseImageSet(images: CsrMatrix, labels: Idx, imagesName: string, labelsWhere: string, classes = DEFAULT_CLASSES): Either<Error, Dataset> {
  const bad = badLabels(images.rows, labels, imagesName, labelsWhere, classes);
  return bad !== undefined ? left(bad) : right(sparseDataset(images, labels.data, classes));
}

function badLabels(count: number, labels: Idx, imagesName: string, labelsWhere: string, classes: number): Error | undefined {
  if (labels.dims[0] !== count) return new Error(`${labelsWhere}: ${labels.dims[0]} labels for ${count} images in ${imagesName}`);
  const bad = labels.data.findIndex((l) => l >= classes);
  return bad >= 0 ? new Error(`${labelsWhere}: label ${labels.data[bad]} at index ${bad} is outside the ${classes} classes 0-${classes - 1}`) : undefined;
}
