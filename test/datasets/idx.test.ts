import assert from "node:assert/strict";
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { createWasmKernels, withKernels, type Kernels } from "../../core/index.ts";
import { encodeIdx, fetchIdx, parseIdx } from "../../datasets/index.ts";
import { tempDir } from "../fixtures.ts";
import { loadIdxDirectory, readIdxFile, readImageSet } from "../../node/index.ts";

const images = encodeIdx([3, 2, 2], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
const labels = encodeIdx([3], Uint8Array.from([0, 9, 4]));

const message = (r: ReturnType<typeof parseIdx>) => (r._tag === "Left" ? r.left.message : "accepted");

test("a valid IDX file is read with its dimensions and data", () => {
  const r = parseIdx(images, "imgs", 3);
  assert.equal(r._tag, "Right");
  if (r._tag === "Right") {
    assert.deepEqual(r.right.dims, [3, 2, 2]);
    assert.deepEqual(Array.from(r.right.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  }
});

test("truncated, wrong-magic, wrong-type, wrong-rank and over-long files are refused, naming the file", () => {
  assert.match(message(parseIdx(images.subarray(0, images.length - 1), "imgs", 3)), /^imgs: is truncated: dimensions 3x2x2 need 28 bytes, file has 27$/);
  assert.match(message(parseIdx(images.subarray(0, 9), "imgs", 3)), /^imgs: is truncated inside its header/);
  assert.match(message(parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2]), "imgs")), /^imgs: not an IDX file \(magic number starts 0x1f 0x8b/);
  assert.match(message(parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), "f")), /^f: holds data of type 0x0d; only unsigned bytes/);
  assert.match(message(parseIdx(labels, "lbls", 3)), /^lbls: has 1 dimensions, expected 3$/);
  assert.match(message(parseIdx(Uint8Array.from([...labels, 7]), "lbls", 1)), /^lbls: has 1 bytes after its data/);
  assert.match(message(parseIdx(Uint8Array.from([0, 0]), "x")), /^x: too short/);
});

function directory(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "tsgrad-idx-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

test("labels outside the classes and count mismatches are refused", () => {
  const bad = directory({ "i": images, "l": encodeIdx([3], Uint8Array.from([0, 10, 4])), "short": encodeIdx([2], Uint8Array.from([0, 1])) });
  const r1 = readImageSet(bad, "i", "l");
  assert.equal(r1._tag, "Left");
  assert.match(r1._tag === "Left" ? r1.left.message : "", /l: label 10 at index 1 is outside the 10 classes 0-9$/);
  const r2 = readImageSet(bad, "i", "short");
  assert.match(r2._tag === "Left" ? r2.left.message : "", /short: 2 labels for 3 images in i$/);
});

test("a directory of the four files loads, gzipped or plain; a missing file is named", () => {
  const dir = directory({
    "train-images-idx3-ubyte.gz": gzipSync(images),
    "train-labels-idx1-ubyte": labels,
    "t10k-images-idx3-ubyte": images,
    "t10k-labels-idx1-ubyte.gz": gzipSync(labels),
  });
  const r = loadIdxDirectory(dir);
  assert.equal(r._tag, "Right");
  if (r._tag === "Right") {
    assert.equal(r.right.train.count, 3);
    assert.equal(r.right.train.features, 4);
    assert.deepEqual(Array.from(r.right.test.labels), [0, 9, 4]);
  }
  const missing = loadIdxDirectory(directory({ "train-images-idx3-ubyte": images }));
  assert.match(missing._tag === "Left" ? missing.left.message : "", /train-labels-idx1-ubyte: no such file \(nor train-labels-idx1-ubyte\.gz\)$/);
  const notDir = loadIdxDirectory(join(dir, "nope"));
  assert.match(notDir._tag === "Left" ? notDir.left.message : "", /nope: no such directory$/);
});

test("fetchIdx reads IDX bytes over fetch, plain or gzipped (DecompressionStream), and refuses a bomb, an HTTP error and bad bytes by one line", async () => {
  const idx = encodeIdx([3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20));
  const served: Record<string, Uint8Array> = { "/plain": idx, "/gz": gzipSync(idx), "/bomb": gzipSync(new Uint8Array(4 * 2 ** 20)), "/junk": Uint8Array.from([1, 2, 3, 4, 5]) };
  const fetch = async (url: string) => (url in served ? new Response(Uint8Array.from(served[url])) : new Response("no", { status: 404, statusText: "Not Found" }));
  for (const url of ["/plain", "/gz"]) {
    const r = await fetchIdx(url, 3, { fetch });
    assert.ok(r._tag === "Right", url);
    assert.deepEqual(r.right.dims, [3, 2, 2]);
    assert.deepEqual(Array.from(r.right.data), Array.from({ length: 12 }, (_, i) => i * 20));
  }
  const messages = await Promise.all([["/bomb", 2 ** 20], ["/missing", undefined], ["/junk", undefined]].map(async ([url, maxBytes]) => {
    const r = await fetchIdx(url as string, 3, { fetch, ...(maxBytes === undefined ? {} : { maxBytes: maxBytes as number }) });
    return r._tag === "Left" ? r.left.message : "read";
  }));
  assert.match(messages[0], /^\/bomb: inflates to more than 1 MiB/);
  assert.equal(messages[1], "/missing: HTTP 404 Not Found");
  assert.match(messages[2], /^\/junk: not an IDX file/);
});

test("readImageSet reads the pixels straight into the wasm backend's memory when it has room, else into an ordinary array: the same set", () => {
  const dir = directory({ "i": images, "l": labels });
  const roomy = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 });
  const roomless = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20, residentBytes: 0 });
  const read = (k: Kernels) => {
    const r = withKernels(k, () => readImageSet(dir, "i", "l"));
    assert.equal(r._tag, "Right");
    return r._tag === "Right" ? r.right : undefined;
  };
  const inWasm = read(roomy), ordinary = read(roomless);
  assert.equal(inWasm?.images.buffer, (roomy.persistent!("float32", 1) as Float32Array).buffer);
  assert.notEqual(ordinary?.images.buffer, (roomless.persistent!("float32", 1) as Float32Array).buffer);
  assert.deepEqual(Array.from(inWasm?.images ?? []), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(Array.from(ordinary?.images ?? []), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test("an IDX file is judged by its header and size before it is read: a huge sparse file, a gzip inflating past its header, an unreadable folder", () => {
  const dir = tempDir();
  // 3 GB sparse: the header says 10 images of 28×28; nothing of it may be read into memory.
  const big = join(dir, "big-idx3-ubyte");
  writeFileSync(big, encodeIdx([10, 28, 28], new Uint8Array(7840)));
  const fd = openSync(big, "r+");
  ftruncateSync(fd, 3 * 2 ** 30);
  closeSync(fd);
  const before = process.memoryUsage().rss;
  const r = readIdxFile(dir, "big-idx3-ubyte", 3, 4 * 2 ** 30);
  assert.ok(r._tag === "Left");
  assert.match(r.left.message, /big-idx3-ubyte: has \d+ bytes after its data \(dimensions 10x28x28\)$/);
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, "not read");
  // A gzip whose stream goes on far past what its header declares stops at the declared size.
  const bytes = new Uint8Array(8 * 2 ** 20);
  bytes.set(encodeIdx([10, 28, 28], new Uint8Array(7840)).subarray(0, 16));
  writeFileSync(join(dir, "long-idx3-ubyte.gz"), gzipSync(bytes));
  const g = readIdxFile(dir, "long-idx3-ubyte", 3);
  assert.ok(g._tag === "Left");
  assert.match(g.left.message, /long-idx3-ubyte\.gz: inflates to more than the 7856 bytes its header declares$/);
  // A folder we may not enter, and a symlink loop, say so (not "no such file").
  const loop = join(dir, "loop");
  symlinkSync(loop, loop);
  const l = loadIdxDirectory(loop);
  assert.ok(l._tag === "Left");
  assert.match(l.left.message, /loop: a symlink loop$/);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    const p = loadIdxDirectory(locked);
    assert.ok(p._tag === "Left");
    assert.match(p.left.message, /locked: permission denied$/);
  }
});
