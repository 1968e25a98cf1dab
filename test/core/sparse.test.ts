/** Sparse rows (core/sparse.ts): the same numbers as the dense rows they stand for, on every backend, through grad, vmap and jit. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import { batchGatherer, sparseBatchGatherer, type Dataset } from "../../datasets/index.ts";
import { network, quadratic, sgd, step } from "../../nn/index.ts";

/** Bytes of a rows×cols matrix, about `density` of them non-zero. */
const byteMatrix = (maxRows: number, maxCols: number) =>
  fc.tuple(fc.integer({ min: 1, max: maxRows }), fc.integer({ min: 1, max: maxCols }), fc.double({ min: 0, max: 1, noNaN: true })).chain(([rows, cols, density]) =>
    fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 })), { minLength: rows * cols, maxLength: rows * cols })
      .map((cells) => ({ rows, cols, bytes: Uint8Array.from(cells, ([u, v]) => (u < density ? v : 0)) })));

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} and ${b[i]}`);
};

test("CsrMatrix keeps each row's non-zero bytes, in order, and nothing else", () => {
  fc.assert(fc.property(byteMatrix(6, 9), ({ rows, cols, bytes }) => {
    const m = T.CsrMatrix.fromBytes(bytes, rows, cols, 255);
    for (let r = 0; r < rows; r++) {
      const dense: number[] = [];
      for (let q = m.start[r]; q < m.start[r + 1]; q++) {
        assert.ok(q === m.start[r] || m.columns[q] > m.columns[q - 1], "columns ascend within a row");
        dense[m.columns[q]] = m.values[q];
      }
      for (let c = 0; c < cols; c++) assert.equal(dense[c] ?? 0, bytes[r * cols + c]);
    }
    assert.equal(m.entries, bytes.filter((b) => b !== 0).length);
  }));
});

test("CsrMatrix and SparseBatch refuse what they cannot stand for, naming it", () => {
  assert.throws(() => T.CsrMatrix.fromBytes(new Uint8Array(5), 2, 3, 255), /5 bytes are not 2 rows of 3/);
  assert.throws(() => T.CsrMatrix.fromBytes(new Uint8Array(70000), 1, 70000, 255), /more than the 65536 it indexes/);
  assert.throws(() => T.CsrMatrix.fromBytes(new Uint8Array(4), 2, 2, 0), /divisor must be a positive float32 number/);
  assert.throws(() => T.CsrMatrix.fromBytes(new Uint8Array(4), 2, 2, 0.1), /divisor must be a positive float32 number/);
  const m = T.CsrMatrix.fromBytes(new Uint8Array(6), 2, 3, 255);
  assert.throws(() => new T.SparseBatch(m, T.tensor([0, 2])), /row 2 is not one of the matrix's 2 rows/);
  assert.throws(() => new T.SparseBatch(m, T.tensor([0.5])), /row 0.5 is not one of/);
  assert.throws(() => new T.SparseBatch(m, T.tensor([-1])), /row -1 is not one of/);
  assert.throws(() => new T.SparseBatch(m, T.tensor([[0]])), /row numbers must be a 1-D tensor/);
  assert.throws(() => T.sparseMatmul(new T.SparseBatch(m, T.tensor([1])), T.zeros([2, 4])), /a batch of 3 columns times \[2x4\]/);
  assert.throws(() => T.sparseMatmul(new T.SparseBatch(m, T.tensor([1])), T.zeros([3, 4], "float32")), /the batch is float64 and the matrix float32; cast one of them/);
});

const backends: [T.Kernels, T.DType][] = [[T.referenceKernels, "float64"], [T.fastKernels, "float64"], [T.createWasmKernels(), "float32"]];

for (const [k, dtype] of backends) {
  test(`sparse products equal the dense products of the same rows, bit for bit (${k.name} kernels)`, () => T.withKernels(k, () => {
    fc.assert(fc.property(byteMatrix(5, 40), fc.integer({ min: 1, max: 33 }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.nat(1000), ({ rows, cols, bytes }, h, picks, seed) => {
      const m = T.CsrMatrix.fromBytes(bytes, rows, cols, 255);
      const x = new T.SparseBatch(m, T.fromArray(picks.map((p) => p % rows), [picks.length], dtype));
      const dense = T.toDense(x);
      const truth = T.withKernels(T.referenceKernels, () => T.fromArray(picks.flatMap((p) => Array.from(bytes.subarray((p % rows) * cols, (p % rows + 1) * cols), (b) => b / 255)), [picks.length, cols], dtype));
      sameBits(dense.data, truth.data, "toDense");
      const w = T.cast(T.normal(T.key(seed), [cols, h]), dtype), g = T.cast(T.normal(T.key(seed + 1), [picks.length, h]), dtype);
      sameBits(T.sparseMatmul(x, w).data, T.matmul(dense, w).data, "x·w");
      const xtg = T.sparseMatmulT(x, g).data, dtg = T.matmulT(dense, g, true, false).data;
      if (k.name === "wasm") sameBits(xtg, dtg, "xᵀ·g");
      else for (let i = 0; i < xtg.length; i++) assert.ok(Math.abs(xtg[i] - dtg[i]) <= 1e-12 * (1 + Math.abs(dtg[i])), `xᵀ·g[${i}]`);
    }), { numRuns: 40 });
  }));

  test(`grad through a sparse product equals grad through the dense one; the row numbers' gradient is zero (${k.name} kernels)`, () => T.withKernels(k, () => {
    const m = T.CsrMatrix.fromBytes(Uint8Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? (i * 41) % 256 : 0)), 6, 10, 255);
    const x = new T.SparseBatch(m, T.fromArray([5, 0, 3, 3], [4], dtype));
    const w = T.cast(T.normal(T.key(2), [10, 3]), dtype);
    const loss = (f: (w: T.Tensor) => T.Tensor) => (p: T.Tensor) => T.sum(T.square(T.sigmoid(f(p))));
    const gs = T.grad(loss((p) => T.sparseMatmul(x, p)))(w), gd = T.grad(loss((p) => T.matmul(T.toDense(x), p)))(w);
    for (let i = 0; i < gs.size; i++) assert.ok(Math.abs(gs.data[i] - gd.data[i]) <= 1e-6 * (1 + Math.abs(gd.data[i])), `∂w[${i}]`);
    const viaRows = T.grad((r: T.Tensor) => T.sum(T.sparseMatmul(new T.SparseBatch(m, r), w)))(x.rows);
    assert.deepEqual(Array.from(viaRows.data), [0, 0, 0, 0]);
  }));
}

test("vmap over the weights of a sparse product equals a loop over them", () => {
  const m = T.CsrMatrix.fromBytes(Uint8Array.from({ length: 24 }, (_, i) => (i % 4 === 1 ? 200 - i : 0)), 4, 6, 255);
  const x = new T.SparseBatch(m, T.tensor([3, 1, 1]));
  const ws = T.normal(T.key(4), [5, 6, 2]);
  const batched = T.vmap((w: T.Tensor) => T.sparseMatmul(x, w))(ws);
  const looped = T.stack(Array.from({ length: 5 }, (_, b) => T.sparseMatmul(x, T.reshape(T.slice(ws, 0, b, b + 1), [6, 2]))));
  for (let i = 0; i < looped.size; i++) assert.ok(Math.abs(batched.data[i] - looped.data[i]) < 1e-12);
});

test("jit replays a sparse batch's new rows, keys a trace by its matrix, and fuses the sparse update with the same numbers (wasm)", () => {
  const k = T.createWasmKernels();
  T.withKernels(k, () => {
    const bytes = Uint8Array.from({ length: 8 * 12 }, (_, i) => ((i * 7) % 5 === 0 ? (i * 29) % 256 : 0));
    const m1 = T.CsrMatrix.fromBytes(bytes, 8, 12, 255), m2 = T.CsrMatrix.fromBytes(bytes.map((b) => 255 - b), 8, 12, 255);
    const sgdStep = (w: T.Tensor, x: T.SparseBatch) => {
      const g = T.grad((p: T.Tensor) => T.sum(T.square(T.sigmoid(T.sparseMatmul(x, p)))))(w);
      return { w: T.add(T.mul(g, -0.3), w) };
    };
    const jitted = T.jit(sgdStep);
    const w = T.cast(T.normal(T.key(5), [12, 5]), "float32");
    const batch = (m: T.CsrMatrix, rows: number[]) => new T.SparseBatch(m, T.fromArray(rows, [rows.length], "float32"));
    for (const [m, rows] of [[m1, [0, 1, 2]], [m1, [7, 7, 3]], [m2, [7, 7, 3]], [m1, [4, 5, 6]]] as const) {
      sameBits(jitted(w, batch(m, [...rows])).w.data, sgdStep(w, batch(m, [...rows])).w.data, `rows ${rows} of matrix ${m.id}`);
    }
    assert.equal(T.jitCounts(jitted)?.traces, 2, "one trace per matrix");
    assert.equal(T.jitCounts(jitted)?.replays, 2);
  });
});

test("training on sparse batches takes the very steps of training on dense ones (wasm float32 and JS float64)", () => {
  const count = 60, features = 49;
  const ds: Dataset = {
    count, features, classes: 10,
    images: Uint8Array.from({ length: count * features }, (_, i) => ((i * 13) % 7 < 3 ? (i * 91) % 256 : 0)),
    labels: Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10),
  };
  for (const [k, dtype] of [[T.createWasmKernels(), "float32"], [T.fastKernels, "float64"]] as const) T.withKernels(k, () => {
    const net = network([features, 7, 10]);
    const run = (sparse: boolean) => {
      const next = sparse ? sparseBatchGatherer(ds, dtype) : batchGatherer(ds, dtype);
      const update = step(net, quadratic, sgd(3), { donate: true });
      let params: T.Tree = T.treeMap(net.init(T.key(1)), (t) => T.cast(t, dtype)), opt: T.Tree = sgd(3).init(params);
      for (let b = 0; b < 12; b++) ({ params, optState: opt } = update(params, opt, next(Array.from({ length: 5 }, (_, i) => (b * 17 + i * 11) % count))));
      return T.treeLeaves(params).map((t) => Array.from(t.data));
    };
    assert.ok(net.sparseInput);
    const dense = run(false), sparse = run(true);
    dense.forEach((d, i) => sameBits(sparse[i], d, `${k.name} parameter ${i}`));
  });
});

test("a matrix whose bytes live in wasm memory is made there, with the lists JavaScript makes (wasm)", () => {
  const k = T.createWasmKernels();
  T.withKernels(k, () => {
    fc.assert(fc.property(byteMatrix(7, 50), fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), ({ rows, cols, bytes }, picks) => {
      const resident = k.residentBytes!(bytes.length)!;
      resident.set(bytes);
      const inWasm = T.CsrMatrix.fromBytes(resident, rows, cols, 255), inJs = T.CsrMatrix.fromBytes(bytes, rows, cols, 255);
      const r = T.fromArray(picks.map((p) => p % rows), [picks.length], "float32");
      const w = T.cast(T.normal(T.key(picks.length), [cols, 3]), "float32");
      sameBits(T.sparseMatmul(new T.SparseBatch(inWasm, r), w).data, T.sparseMatmul(new T.SparseBatch(inJs, r), w).data, "x·w");
      sameBits(T.toDense(new T.SparseBatch(inWasm, r)).data, T.withKernels(T.referenceKernels, () => T.toDense(new T.SparseBatch(inJs, r))).data, "rows");
    }), { numRuns: 30 });
  });
});

test("jit's inPlace: a fused sparse update is written over the weights it was handed back, with eager's numbers; shared arguments run eagerly; stale outputs are poisoned", () => {
  T.withKernels(T.createWasmKernels(), () => {
    const bytes = Uint8Array.from({ length: 9 * 16 }, (_, i) => ((i * 5) % 7 < 2 ? (i * 37) % 256 : 0));
    const m = T.CsrMatrix.fromBytes(bytes, 9, 16, 255);
    const sgdStep = (w: T.Tensor, other: T.Tensor, x: T.SparseBatch) => {
      const g = T.grad((p: T.Tensor) => T.sum(T.square(T.sigmoid(T.add(T.sparseMatmul(x, p), T.sum(other))))))(w);
      return { w: T.addScaled(w, g, -0.25), s: T.sum(other) };
    };
    const jitted = T.jit(sgdStep, { donate: true, inPlace: true });
    const batch = (rows: number[]) => new T.SparseBatch(m, T.fromArray(rows, [rows.length], "float32"));
    let w = T.cast(T.normal(T.key(7), [16, 6]), "float32"), wEager = w;
    const other = T.cast(T.normal(T.key(8), [16, 6]), "float32");
    const datas: T.FloatArray[] = [];
    for (let s = 0; s < 6; s++) {
      const rows = [s % 9, (s * 4) % 9, 8];
      wEager = sgdStep(wEager, other, batch(rows)).w;
      w = jitted(w, other, batch(rows)).w;
      datas.push(w.data);
      sameBits(w.data, wEager.data, `step ${s}`);
    }
    assert.ok(datas[3] === datas[4] && datas[4] === datas[5], "the weights' buffer is written in place once the last output is handed back");
    // The same buffer passed as another argument too: the update must not change what that argument reads.
    const shared = jitted(w, w, batch([1, 2, 3])), expected = sgdStep(T.fromArray(Array.from(w.data), [16, 6], "float32"), T.fromArray(Array.from(w.data), [16, 6], "float32"), batch([1, 2, 3]));
    sameBits(shared.w.data, expected.w.data, "arguments sharing the buffer");
    sameBits(shared.s.data, expected.s.data, "the other argument's sum");
    assert.equal(T.jitCounts(jitted)?.eager, 1, "the call with shared arguments ran eagerly");
  });
  T.poisonReused(true);
  try {
    T.withKernels(T.createWasmKernels(), () => {
      const m = T.CsrMatrix.fromBytes(Uint8Array.from({ length: 12 }, (_, i) => (i % 2) * 100), 3, 4, 255);
      const f = T.jit((w: T.Tensor, x: T.SparseBatch) => ({ w: T.addScaled(w, T.sparseMatmulT(x, T.ones([2, 2], "float32")), -0.5) }), { donate: true, inPlace: true });
      const x = new T.SparseBatch(m, T.fromArray([0, 2], [2], "float32"));
      let w = T.zeros([4, 2], "float32");
      for (let s = 0; s < 3; s++) w = f(w, x).w;
      const last = w;
      w = f(w, x).w;
      assert.throws(() => last.data, /a tensor from a jit call that updates in place was read after its memory was reused/);
      assert.equal(w.data.length, 8);
    });
  } finally {
    T.poisonReused(false);
  }
});

test("a resident matrix of many rows (made in chunks) has every row right (wasm)", () => {
  const k = T.createWasmKernels();
  T.withKernels(k, () => {
    const rows = 2600, cols = 37;
    const bytes = k.residentBytes!(rows * cols)!;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) % 7 < 2 ? ((i * 97) % 255) + 1 : 0;
    const m = T.CsrMatrix.fromBytes(bytes, rows, cols, 255);
    const picks = [0, 1023, 1024, 1025, 2047, 2048, 2599];
    const dense = T.toDense(new T.SparseBatch(m, T.fromArray(picks, [picks.length], "float32")));
    const truth = picks.flatMap((r) => Array.from(bytes.subarray(r * cols, (r + 1) * cols), (b) => Math.fround(b / 255)));
    sameBits(dense.data, truth, "rows across chunk boundaries");
  });
});

test("wasm's sparse products are float32 sums in the entries' order, for any width (a float32 oracle)", () => {
  T.withKernels(T.createWasmKernels(), () => {
    fc.assert(fc.property(byteMatrix(4, 30), fc.integer({ min: 1, max: 110 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.nat(1000), ({ rows, cols, bytes }, h, picks, seed) => {
      const m = T.CsrMatrix.fromBytes(bytes, rows, cols, 255);
      const r = picks.map((p) => p % rows);
      const w = T.cast(T.normal(T.key(seed), [cols, h]), "float32"), g = T.cast(T.normal(T.key(seed + 1), [r.length, h]), "float32");
      const x = new T.SparseBatch(m, T.fromArray(r, [r.length], "float32"));
      const f = Math.fround, value = (b: number) => f(b / 255);
      const xw = new Float32Array(r.length * h), xtg = new Float32Array(cols * h);
      r.forEach((row, i) => {
        for (let j = 0; j < h; j++) {
          let s = 0;
          for (let c = 0; c < cols; c++) if (bytes[row * cols + c] !== 0) s = f(s + f(value(bytes[row * cols + c]) * w.data[c * h + j]));
          xw[i * h + j] = s;
        }
      });
      for (let c = 0; c < cols; c++) for (let j = 0; j < h; j++) {
        let s = 0;
        r.forEach((row, i) => {
          if (bytes[row * cols + c] !== 0) s = f(s + f(value(bytes[row * cols + c]) * g.data[i * h + j]));
        });
        xtg[c * h + j] = s;
      }
      sameBits(T.sparseMatmul(x, w).data, xw, "x·w");
      sameBits(T.sparseMatmulT(x, g).data, xtg, "xᵀ·g");
    }), { numRuns: 60 });
  });
});
