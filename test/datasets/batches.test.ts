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
