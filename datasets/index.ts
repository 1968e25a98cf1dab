/** tsgrad datasets (browser-safe): IDX parsing from bytes, datasets, the seed's split, mini-batches, digit normalisation. Loading files is in node/. */
export { encodeIdx, idxDeclaredSize, parseIdx, type Idx } from "./idx.ts";
export { batchGatherer, gather, gatherSparse, shiftedGather, sparseBatchGatherer, sparseDataset, sparseImages, SHIFTS, sliceDataset, type Dataset, type LabelledBatch } from "./dataset.ts";
export { examples, type ExampleSource } from "./examples.ts";
export { seedSplit, type IdxDirectory, type Splits } from "./split.ts";
export { fetchIdx, fetchIdxDirectory, type FetchIdxOptions } from "./fetch-idx.ts";
export { DEFAULT_CLASSES, imageSet, MNIST_FILES, sparseImageSet } from "./image-set.ts";
export { toMnistDigit, type RgbaImage } from "./digit-image.ts";
