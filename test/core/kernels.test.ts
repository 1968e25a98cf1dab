import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createWasmKernels, fastKernels, referenceKernels, type FloatArray, type Kernels } from "../../core/index.ts";

// Every backend must agree with the reference kernels. Float32 backends are held to float32 rounding.
const backends: [Kernels, "float64" | "float32"][] = [[fastKernels, "float64"], [createWasmKernels({ arenaBytes: 1 << 20 }), "float32"]];

/** Values with many exact zeros, as MNIST inputs have, so the sparse paths run. */
const values = (n: number) => fc.array(fc.oneof(fc.constant(0), fc.double({ min: -3, max: 3, noNaN: true })), { minLength: n, maxLength: n });

function asType(xs: number[], dtype: "float64" | "float32"): FloatArray {
  return dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);
}

function close(actual: FloatArray, expected: FloatArray, dtype: string, scale: number): void {
  const tol = dtype === "float32" ? 2e-6 * scale : 1e-12 * scale;
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

for (const [k, dtype] of backends) {
  describe(`the ${k.name} kernels agree with the reference`, () => {
    test("matmul, for every transpose case and sparse operands", () => {
      const arb = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 37 }), fc.boolean(), fc.boolean())
        .chain(([m, kk, n, ta, tb]) => fc.tuple(fc.constant([m, kk, n, ta, tb] as const), values(m * kk), values(kk * n)));
      fc.assert(
        fc.property(arb, ([[m, kk, n, ta, tb], a, b]) => {
          const A = asType(a, dtype), B = asType(b, dtype);
          const out = asType(new Array(m * n).fill(0), dtype), ref = new Float64Array(m * n);
          k.matmul(A, B, out, m, kk, n, ta, tb);
          referenceKernels.matmul(Float64Array.from(A), Float64Array.from(B), ref, m, kk, n, ta, tb);
          close(out, ref, dtype, kk * 9);
        }),
        { numRuns: 60 },
      );
    });

    test("axpy, elementwise and broadcast kernels", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (r, c) => {
          const n = r * c;
          const x = asType(Array.from({ length: n }, (_, i) => Math.sin(i + r) * 2), dtype);
          const y = asType(Array.from({ length: n }, (_, i) => Math.cos(i * c) * 2), dtype);
          const row = asType(Array.from({ length: c }, (_, i) => i - 1.5), dtype);
          const run = (f: (kk: Kernels, out: FloatArray) => void, len = n) => {
            const out = asType(new Array(len).fill(0), dtype), ref = asType(new Array(len).fill(0), dtype);
            f(k, out);
            f(referenceKernels, ref);
            close(out, ref, dtype, 4);
          };
          run((kk, out) => kk.axpy(-0.7, x, y, out));
          for (const kind of ["add", "sub", "mul", "sigmoidGrad", "reluGrad"] as const) run((kk, out) => kk.binary(kind, x, y, out));
          for (const kind of ["sigmoid", "neg", "square", "exp", "relu", "tanh"] as const) run((kk, out) => kk.unary(kind, x, out));
          run((kk, out) => kk.binaryBroadcast("add", x, [c, 1], row, [0, 1], out, [r, c]));
          run((kk, out) => kk.sumInto(x, [r, c], out, [0, 1]), c);
          const bytes = Uint8Array.from({ length: 3 * n + 5 }, (_, i) => (i * 37 + r) % 256);
          run((kk, out) => kk.bytesToFloat(bytes, [2, 0, 1], n, 255, out), 3 * n);
          run((kk, out) => kk.sumInto(x, [r, c], out, [0, 0]), 1);
        }),
        { numRuns: 30 },
      );
    });
  });
}

test("the wasm kernels keep giving right answers after their cache fills and is dropped", () => {
  const k = createWasmKernels({ arenaBytes: 64 * 1024 });
  const w = Float32Array.from({ length: 64 * 30 }, (_, i) => Math.sin(i));
  for (let step = 0; step < 50; step++) {
    const x = Float32Array.from({ length: 10 * 64 }, (_, i) => ((i + step) % 3 === 0 ? 0 : Math.cos(i * step)));
    const out = new Float32Array(10 * 30), ref = new Float64Array(10 * 30);
    k.matmul(x, w, out, 10, 64, 30, false, false);
    referenceKernels.matmul(Float64Array.from(x), Float64Array.from(w), ref, 10, 64, 30, false, false);
    close(out, ref, "float32", 600);
  }
});

test("the wasm kernels' scratch never touches the module's own tables (sigmoid after a product over 2,000 inputs)", () => {
  const k = createWasmKernels({ arenaBytes: 1 << 20 });
  const a = Float32Array.from({ length: 4 * 2000 }, (_, i) => Math.sin(i) + 1.5); // no zeros: every entry goes through the scratch
  const b = Float32Array.from({ length: 2000 * 3 }, (_, i) => Math.cos(i) / 100);
  const z = new Float32Array(12), ref = new Float64Array(12);
  k.matmul(a, b, z, 4, 2000, 3, false, false);
  referenceKernels.matmul(Float64Array.from(a), Float64Array.from(b), ref, 4, 2000, 3, false, false);
  close(z, ref, "float32", 2000);
  const x = Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 4);
  const s = new Float32Array(64), sref = new Float32Array(64);
  k.unary("sigmoid", x, s);
  referenceKernels.unary("sigmoid", x, sref);
  close(s, sref, "float32", 1);
});

test("the wasm cache never spills past its ring, even when a cached input must be copied in again after a reset", () => {
  // A 48 KB ring: A (20 KB) gets cached by a sigmoid; then A·C with C 40 KB forces a reset with A needed
  // again, 60 KB in all. That must fall back to the JS kernels, not write past the ring into jit's memory.
  const k = createWasmKernels({ arenaBytes: 48 * 1024, persistentBytes: 64 * 1024 });
  const keepme = k.persistent!("float32", 4096) as Float32Array;
  keepme.fill(7);
  const A = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i));
  const C = Float32Array.from({ length: 10000 }, (_, i) => Math.cos(i));
  k.unary("sigmoid", A, new Float32Array(5000));
  const out = new Float32Array(2), ref = new Float64Array(2);
  k.matmul(A, C, out, 1, 5000, 2, false, false);
  referenceKernels.matmul(Float64Array.from(A), Float64Array.from(C), ref, 1, 5000, 2, false, false);
  close(out, ref, "float32", 5000);
  assert.ok(keepme.every((v) => v === 7), "the persistent region was overwritten");
});

test("wasm products with rows of up to 32 numbers (read 32 wide) agree with the reference, also where b ends memory", () => {
  // b is the first persistent array of a backend whose persistent region is exactly b's size, so (for sizes
  // that fill whole pages) b's last row ends wasm memory, and reading 32 wide past it must be refused.
  for (const [kk, n] of [[512, 32], [2048, 8], [1000, 30], [7, 3], [16, 33], [784, 1], [784, 100], [256, 64]] as const) {
    const bytes = Math.ceil((kk * n * 4) / 65536) * 65536;
    const k = createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: bytes });
    const a = Float32Array.from({ length: 5 * kk }, (_, i) => (i % 3 === 0 ? 0 : Math.sin(i)));
    const b = k.persistent!("float32", kk * n) as Float32Array;
    b.set(Float32Array.from({ length: kk * n }, (_, i) => Math.cos(i)));
    const out = new Float32Array(5 * n), ref = new Float64Array(5 * n);
    k.matmul(a, b, out, 5, kk, n, false, false);
    referenceKernels.matmul(Float64Array.from(a), Float64Array.from(b), ref, 5, kk, n, false, false);
    close(out, ref, "float32", kk * 3);
  }
});

test("wasm weight gradients at MNIST's sizes (xᵀ·δ for 784 pixels, 10 examples, 30 or 100 units) agree with the reference", () => {
  const k = createWasmKernels({ arenaBytes: 1 << 22 });
  for (const n of [30, 100]) {
    const x = Float32Array.from({ length: 10 * 784 }, (_, i) => (Math.sin(i * 7.3) > 0.6 ? Math.abs(Math.cos(i)) : 0));
    const d = Float32Array.from({ length: 10 * n }, (_, i) => Math.sin(i) / 10);
    const out = new Float32Array(784 * n), ref = new Float64Array(784 * n);
    k.matmul(x, d, out, 784, 10, n, true, false);
    referenceKernels.matmul(Float64Array.from(x), Float64Array.from(d), ref, 784, 10, n, true, false);
    close(out, ref, "float32", 10);
  }
});

test("the wasm sigmoid is within 3 float32 ulps of the exact value from -110 to 110, at any length, and keeps 0, 1 and NaN at the extremes", () => {
  const k = createWasmKernels({ arenaBytes: 4 << 20 });
  const ulpsOff = (actual: number, exact: number) => {
    const r = Math.fround(exact);
    const ulp = Math.max(Math.abs(Math.fround(r * (1 + 2 ** -23)) - r), 2 ** -149);
    return Math.abs(actual - exact) / ulp;
  };
  fc.assert(
    fc.property(fc.array(fc.float({ min: -110, max: 110, noNaN: true }), { minLength: 1, maxLength: 23 }), (values) => {
      const x = Float32Array.from(values), out = new Float32Array(x.length);
      k.unary("sigmoid", x, out);
      for (let i = 0; i < x.length; i++) {
        const exact = x[i] >= 0 ? 1 / (1 + Math.exp(-x[i])) : Math.exp(x[i]) / (1 + Math.exp(x[i]));
        assert.ok(ulpsOff(out[i], exact) <= 3, `sigmoid(${x[i]}) = ${out[i]}, exact ${exact}`);
      }
    }),
    { numRuns: 300 },
  );
  const specials = Float32Array.of(Infinity, -Infinity, NaN, 0, -0, 200, -200);
  const out = new Float32Array(specials.length);
  k.unary("sigmoid", specials, out);
  assert.deepEqual(Array.from(out), [1, 0, NaN, 0.5, 0.5, 1, 0]);
});

test("wasm division, square root and square equal the JS loops on float32 arrays bit for bit (all correctly rounded), at any length", () => {
  const wasm = createWasmKernels({ arenaBytes: 1 << 20 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 10 ** ((i % 7) - 3));
    const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3 + seed) + (i % 11 === 0 ? 0 : 1e-3));
    const both = (f: (k: Kernels, out: Float32Array) => void) => {
      const w = new Float32Array(n), j = new Float32Array(n);
      f(wasm, w);
      f(fastKernels, j);
      assert.deepEqual(Array.from(w), Array.from(j));
    };
    both((k, out) => k.binary("div", a, b, out));
    both((k, out) => k.unary("sqrt", a, out)); // negative entries: NaN from both
    both((k, out) => k.unary("square", a, out));
  }), { numRuns: 60 });
});

test("the wasm weight gradient xᵀ·δ adds the examples in order from zero, and its fused update is alpha·that + c: bit for bit, at any width", () => {
  // The float32 sums the kernel promises (register blocks up to 128 wide, scattering beyond or past 32
  // examples): each term rounded, added in the examples' order, then the update rounded once more.
  const k = createWasmKernels({ arenaBytes: 1 << 22, persistentBytes: 1 << 22 });
  const f = Math.fround;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 1e6 }), (batch, pixels, n, seed) => {
      const x = Float32Array.from({ length: batch * pixels }, (_, i) => ((i * 7 + seed) % 5 < 3 ? 0 : Math.sin(i + seed)));
      const d = Float32Array.from({ length: batch * n }, (_, i) => Math.cos(i * 1.3 + seed) / 3);
      const c = k.persistent!("float32", pixels * n) as Float32Array, out = k.persistent!("float32", pixels * n) as Float32Array;
      c.set(Float32Array.from({ length: pixels * n }, (_, i) => Math.sin(i * 0.7 + seed)));
      const alpha = f(-0.3); // the kernel computes in float32
      const sums = new Float32Array(pixels * n);
      for (let p = 0; p < pixels; p++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < batch; i++) s = f(s + f(x[i * pixels + p] * d[i * n + j]));
        sums[p * n + j] = s;
      }
      const product = new Float32Array(pixels * n);
      k.matmul(x, d, product, pixels, batch, n, true, false);
      assert.deepEqual(Array.from(product), Array.from(sums), `product, ${batch} examples, ${n} wide`);
      k.matmulAxpy!(alpha, x, d, c, out, pixels, batch, n, true, false);
      assert.deepEqual(Array.from(out), Array.from(sums, (s, i) => f(f(alpha * s) + c[i])), `fused update, ${batch} examples, ${n} wide`);
      k.release!(c);
      k.release!(out);
    }),
    { numRuns: 60 },
  );
});

test("the wasm product a·b adds each row's terms in order from zero (skipping a's zeros), bit for bit, at any width", () => {
  // Register blocks of 8 to 52 columns, the last one storing its extra lanes into the next row or spilling.
  const k = createWasmKernels();
  const f = Math.fround;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 170 }), fc.integer({ min: 0, max: 1e6 }), (m, inner, n, seed) => {
      const a = Float32Array.from({ length: m * inner }, (_, i) => ((i * 7 + seed) % 5 < 2 ? 0 : Math.sin(i + seed)));
      const b = Float32Array.from({ length: inner * n }, (_, i) => Math.cos(i * 1.3 + seed) / 3);
      const expected = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < inner; p++) s = f(s + f(a[i * inner + p] * b[p * n + j]));
        expected[i * n + j] = s;
      }
      const out = new Float32Array(m * n);
      k.matmul(a, b, out, m, inner, n, false, false);
      assert.deepEqual(Array.from(out), Array.from(expected), `${m}×${inner} · ${inner}×${n}`);
    }),
    { numRuns: 80 },
  );
});

test("wasm's ReLU and its VJP give the JS kernels' numbers exactly, NaN, ±0 and ±∞ included", () => {
  const k = createWasmKernels();
  const specials = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.5, -2];
  const x = Float32Array.from({ length: 90 }, (_, i) => specials[i % specials.length]);
  const g = Float32Array.from({ length: 90 }, (_, i) => specials[(i * 4 + 1) % specials.length]);
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((v, i) => Object.is(v, b[i]));
  const [wo, fo] = [new Float32Array(90), new Float32Array(90)];
  k.unary("relu", x, wo);
  fastKernels.unary("relu", x, fo);
  assert.ok(same(wo, fo), "relu");
  k.binary("reluGrad", g, x, wo);
  fastKernels.binary("reluGrad", g, x, fo);
  assert.ok(same(wo, fo), "reluGrad");
});
