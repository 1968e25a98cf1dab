/**
 * IDX files over HTTP, for a browser (or any runtime with `fetch`): plain or gzipped, inflated with the
 * platform's DecompressionStream, never beyond `maxBytes`. Browser-safe: no Node module.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import type { Dataset } from "./dataset.ts";
import { parseIdx, type Idx } from "./idx.ts";
import { imageSet, MNIST_FILES } from "./image-set.ts";
import type { IdxDirectory } from "./split.ts";
import { readableError } from "../core/index.ts";

export interface FetchIdxOptions {
  /** The fetch to use (default: the global one). */
  readonly fetch?: (url: string) => Promise<Response>;
  /** The most bytes an IDX file may inflate to (default 1 GiB, as the Node loader). */
  readonly maxBytes?: number;
}

/** Reads a stream to its end, or stops with an error past `max` bytes. */
async function readAll(stream: ReadableStream<Uint8Array>, max: number, url: string): Promise<Either<Error, Uint8Array>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return left(readableError(`${url}: inflates to more than ${max / 2 ** 20} MiB; not an IDX file this loader reads`));
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return right(out);
}

/** Fetches and parses one IDX file; a gzipped one (by its magic bytes) is inflated first. */
export async function fetchIdx(url: string, rank: number, options: FetchIdxOptions = {}): Promise<Either<Error, Idx>> {
  const get = options.fetch ?? ((u: string) => fetch(u));
  const max = options.maxBytes ?? 1024 * 2 ** 20;
  let body: ArrayBuffer;
  try {
    const response = await get(url);
    if (!response.ok) return left(readableError(`${url}: HTTP ${response.status} ${response.statusText}`.trim()));
    body = await response.arrayBuffer();
  } catch (e) {
    return left(readableError(`${url}: cannot fetch (${e instanceof Error ? e.message : String(e)})`));
  }
  let bytes: Uint8Array = new Uint8Array(body);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const inflated = await readAll(new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip")), max, url);
      if (inflated._tag === "Left") return inflated;
      bytes = inflated.right;
    } catch (e) {
      return left(readableError(`${url}: not a gzip file we can inflate (${e instanceof Error ? e.message : String(e)})`));
    }
  }
  return parseIdx(bytes, url, rank);
}

async function fetchImageSet(base: string, imagesName: string, labelsName: string, options: FetchIdxOptions): Promise<Either<Error, Dataset>> {
  const [images, labels] = await Promise.all([fetchIdx(`${base}${imagesName}`, 3, options), fetchIdx(`${base}${labelsName}`, 1, options)]);
  if (images._tag === "Left") return images;
  if (labels._tag === "Left") return labels;
  return imageSet(images.right, labels.right, imagesName, `${base}${labelsName}`);
}

/** The four MNIST-named IDX files under `baseUrl` (which ends in "/"), as the Node loader reads a directory. */
export async function fetchIdxDirectory(baseUrl: string, options: FetchIdxOptions = {}): Promise<Either<Error, IdxDirectory>> {
  const [train, test] = await Promise.all([
    fetchImageSet(baseUrl, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, options),
    fetchImageSet(baseUrl, MNIST_FILES.testImages, MNIST_FILES.testLabels, options),
  ]);
  if (train._tag === "Left") return train;
  if (test._tag === "Left") return test;
  if (test.right.features !== train.right.features) return left(readableError(`${baseUrl}: training images have ${train.right.features} pixels, test images ${test.right.features}`));
  return right({ train: train.right, test: test.right });
}
