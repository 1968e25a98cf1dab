/** Data sets held as sparse rows: read that way on the wasm backend (the dense pixels never all held), sliced, made dense on demand, the same set. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as T from "../../core/index.ts";
import { encodeIdx, gather, seedSplit, sliceDataset, sparseDataset, sparseImages, type Dataset } from "../../datasets/index.ts";
import { readImageSet } from "../../node/index.ts";
import { tempDir } from "../fixtures.ts";

// 2,600 images of 2×2 (more than one chunk of rows), about a third of the pixels non-zero.
const count = 2600, pixels = Uint8Array.from({ length: count * 4 }, (_, i) => ((i * 7) % 3 === 0 ? (i * 31) % 255 + 1 : 0));
const labelBytes = Uint8Array.from({ length: count }, (_, i) => i % 10);

function files(): string {
  const dir = tempDir();
  writeFileSync(join(dir, "i"), encodeIdx([count, 2, 2], pixels));
  writeFileSync(join(dir, "l"), encodeIdx([count], labelBytes));
  return dir;
}

test("on the wasm backend an images file is read as sparse rows, its pixels made only when asked for, and the same set", () => {
  const dir = files();
  const k = T.createWasmKernels();
  const r = T.withKernels(k, () => readImageSet(dir, "i", "l"));
  assert.ok(r._tag === "Right");
  const ds = r.right;
  assert.ok(ds.sparse !== undefined, "held as sparse rows");
  assert.equal(ds.sparse.start.buffer, k.residentBytes!(1)!.buffer, "its lists in wasm memory");
  assert.deepEqual(Array.from(ds.images), Array.from(pixels));
  assert.deepEqual(Array.from(ds.labels), Array.from(labelBytes));
  // A window of it (its lists read in place, from a later row) multiplies as its dense rows do.
  T.withKernels(k, () => {
    const part = sliceDataset(ds, 1500, 2600), rows = T.fromArray([0, 1, 599, 1099], [4], "float32");
    const w = T.cast(T.normal(T.key(3), [4, 5]), "float32");
    const x = new T.SparseBatch(sparseImages(part), rows);
    const dense = T.fromArray(Array.from(rows.data).flatMap((r) => Array.from(pixels.subarray((1500 + r) * 4, (1501 + r) * 4), (b) => b / 255)), [4, 4], "float32");
    assert.deepEqual(Array.from(T.sparseMatmul(x, w).data), Array.from(T.matmul(dense, w).data));
  });
  // On another backend, the same file is read densely: the same pixels.
  const plain = T.withKernels(T.fastKernels, () => readImageSet(dir, "i", "l"));
  assert.ok(plain._tag === "Right" && plain.right.sparse === undefined);
  assert.deepEqual(Array.from(plain.right.images), Array.from(pixels));
});

test("a sparse set's slices, splits, gathers and sparse rows are the dense set's", () => {
  const sparse = sparseDataset(T.CsrMatrix.fromBytes(pixels, count, 4, 255), labelBytes, 10);
  const dense: Dataset = { count, features: 4, classes: 10, images: pixels, labels: labelBytes };
  for (const [from, to] of [[0, 10], [1020, 1030], [2590, 2600], [5, 5]]) {
    const a = sliceDataset(sparse, from, to), b = sliceDataset(dense, from, to);
    assert.equal(a.count, b.count);
    assert.deepEqual(Array.from(a.images), Array.from(b.images), `pixels of ${from}-${to}`);
    assert.deepEqual(Array.from(a.labels), Array.from(b.labels));
    assert.deepEqual(Array.from(sparseImages(a).toBytes()), Array.from(b.images), `sparse rows of ${from}-${to}`);
  }
  const s = seedSplit({ train: sparse, test: sparse }), d = seedSplit({ train: dense, test: dense });
  assert.ok(s._tag === "Right" && d._tag === "Right");
  const rows = [0, 7, 2000, 2166];
  assert.deepEqual(Array.from(gather(s.right.training, rows).x.data), Array.from(gather(d.right.training, rows).x.data));
  assert.deepEqual(Array.from(gather(s.right.validation, [0, 1, 432]).x.data), Array.from(gather(d.right.validation, [0, 1, 432]).x.data));
});

test("CsrMatrix.fromLists checks its lists; rowRange and toBytes keep the rows", () => {
  const m = T.CsrMatrix.fromBytes(pixels.subarray(0, 40), 10, 4, 255);
  const again = T.CsrMatrix.fromLists(10, 4, 255, m.start, m.columns, m.values);
  assert.deepEqual(Array.from(again.toBytes()), Array.from(pixels.subarray(0, 40)));
  assert.deepEqual(Array.from(again.rowRange(3, 7).toBytes()), Array.from(pixels.subarray(12, 28)));
  assert.throws(() => T.CsrMatrix.fromLists(2, 4, 255, Int32Array.from([1, 1, 1]), new Uint16Array(1), new Uint8Array(1)), /start must hold 3 positions from 0/);
  assert.throws(() => T.CsrMatrix.fromLists(1, 4, 255, Int32Array.from([0, 2]), Uint16Array.from([2, 1]), Uint8Array.from([5, 5])), /columns must ascend below 4/);
  assert.throws(() => T.CsrMatrix.fromLists(1, 4, 255, Int32Array.from([0, 1]), Uint16Array.from([4]), Uint8Array.from([5])), /columns must ascend below 4/);
  assert.throws(() => T.CsrMatrix.fromLists(1, 4, 255, Int32Array.from([0, 1]), Uint16Array.from([0]), Uint8Array.from([0])), /stores a zero/);
  assert.throws(() => T.CsrMatrix.fromLists(1, 4, 255, Int32Array.from([0, 3]), Uint16Array.from([0]), Uint8Array.from([1])), /3 entries, but 1 columns/);
  assert.throws(() => m.rowRange(4, 11), /rows 4 to 11 are not within its 10/);
});
