import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createWasmKernels, fastKernels, referenceKernels, withKernels, type Kernels } from "../../core/index.ts";
import { batchGatherer, gather, type Dataset } from "../../datasets/index.ts";

const features = 20, classes = 4, count = 50;
const dataset: Dataset = {
  count, features, classes,
  images: Uint8Array.from({ length: count * features }, (_, i) => (i * 37) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => (i * 7) % classes),
};
// A small resident room, so some datasets are staged row by row instead of kept in wasm memory.
const backends: [string, Kernels, "float32" | "float64"][] = [
  ["reference", referenceKernels, "float64"],
  ["fast", fastKernels, "float64"],
  ["wasm", createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 }), "float32"],
  ["wasm, no resident room", createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20, residentBytes: 0 }), "float32"],
];

for (const [name, k, dtype] of backends) {
  // What the batch must hold: gathered by the reference kernels, in this backend's precision.
  const truth = (rows: number[]) => {
    const { x, y } = withKernels(referenceKernels, () => gather(dataset, rows, "float64"));
    const round = (a: ArrayLike<number>) => (dtype === "float32" ? Float32Array.from(a) : Float64Array.from(a));
    return { x: { shape: x.shape, data: round(x.data) }, y: { data: round(y.data) } };
  };
  test(`batchGatherer hands out gather's batches, each still intact after the next call (${name})`, () => {
    withKernels(k, () => {
      const next = batchGatherer(dataset, dtype);
      const rows = fc.array(fc.integer({ min: 0, max: count - 1 }), { minLength: 1, maxLength: 12 });
      fc.assert(
        fc.property(fc.array(rows, { minLength: 2, maxLength: 6 }), (batches) => {
          let previous: { batch: ReturnType<typeof next>; rows: number[] } | undefined;
          for (const r of batches) {
            const batch = next(r);
            const expected = truth(r);
            assert.deepEqual(batch.x.shape, expected.x.shape);
            assert.deepEqual(Array.from(batch.x.data), Array.from(expected.x.data));
            assert.deepEqual(Array.from(batch.y.data), Array.from(expected.y.data));
            if (previous !== undefined) assert.deepEqual(Array.from(previous.batch.x.data), Array.from(truth(previous.rows).x.data));
            previous = { batch, rows: r };
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}

for (const [name, k, dtype] of backends) {
  test(`gather and batchGatherer refuse an index outside the set, and the gatherer goes on as before (${name})`, () => {
    withKernels(k, () => {
      const next = batchGatherer(dataset, dtype);
      const kept = next([1, 2]);
      for (const bad of [-1, count, 1.5, NaN, 1e9]) {
        assert.throws(() => gather(dataset, [0, bad], dtype), new RegExp(`^Error: gather: index ${bad} is outside the ${count} examples$`));
        assert.throws(() => next([bad]), /is outside the 50 examples/);
      }
      next([3]);
      // The batch before the refused calls is still intact: they took no turn of the two buffer sets.
      assert.deepEqual(Array.from(kept.x.data), Array.from(withKernels(k, () => gather(dataset, [1, 2], dtype)).x.data));
    });
  });
}

test("the wasm bytesToFloat refuses a row outside its bytes (it would read whatever lies beside them)", () => {
  const k = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 });
  const out = new Float32Array(2 * features);
  assert.throws(() => k.bytesToFloat(dataset.images, [0, count], features, 255, out), /^Error: bytesToFloat: row 50 is outside the 50 rows of 20 bytes$/);
  assert.throws(() => k.bytesToFloat(dataset.images.subarray(0, 30), [1], features, 255, out), /row 1 is outside the 1 rows/);
});

test("a data set read into the wasm backend's own memory (residentBytes) is gathered from where it lies, to the same numbers", () => {
  const k = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 });
  const heap = (k.persistent!("float32", 4) as Float32Array).buffer;
  const images = k.residentBytes!(dataset.images.length)!;
  assert.equal(images.buffer, heap);
  assert.ok(images.every((v) => v === 0), "handed out zero-filled");
  images.set(dataset.images);
  const placed: Dataset = { ...dataset, images };
  withKernels(k, () => {
    const next = batchGatherer(placed, "float32");
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: count - 1 }), { minLength: 1, maxLength: 12 }), (rows) => {
        const expected = withKernels(referenceKernels, () => gather(dataset, rows, "float64")).x.data;
        assert.deepEqual(Array.from(next(rows).x.data), Array.from(Float32Array.from(expected)));
        assert.deepEqual(Array.from(gather(placed, rows, "float32").x.data), Array.from(Float32Array.from(expected)));
      }),
      { numRuns: 30 },
    );
    // Read in place, not from a copy made on first use: a change to the bytes shows (only a test changes a data set).
    images[0] = 255;
    assert.equal(gather(placed, [0], "float32").x.data[0], 1);
  });
  // No room left, or no sensible length: undefined, and the caller keeps an ordinary array.
  const roomless = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20, residentBytes: 0 });
  assert.equal(roomless.residentBytes!(10), undefined);
  for (const bad of [-1, 1.5, NaN]) assert.equal(k.residentBytes!(bad), undefined);
});
