/**
 * conv2d and max pooling against PyTorch's numbers (fixed cases computed once by
 * test/fixtures/make-conv2d-torch.py and kept as JSON) and against a plain nested-loop convolution.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import { assertClose, tensorOf } from "../helpers.ts";

interface ConvCase {
  name: string; stride: number; padding: T.Padding;
  x: number[]; xShape: number[]; w: number[]; wShape: number[]; b: number[];
  out: number[]; outShape: number[]; probe: number[]; dx: number[]; dw: number[]; db: number[];
}
interface PoolCase { name: string; size: number; stride: number; x: number[]; xShape: number[]; out: number[]; outShape: number[]; probe: number[]; dx: number[] }
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/conv2d-torch.json", import.meta.url), "utf8")) as { conv2d: ConvCase[]; maxPool2d: PoolCase[] };

for (const k of [T.referenceKernels, T.fastKernels]) {
  for (const c of fixtures.conv2d) {
    test(`conv2d ${c.name}: PyTorch's output and gradients (${k.name} kernels)`, () => T.withKernels(k, () => {
      const x = T.fromArray(c.x, c.xShape), w = T.fromArray(c.w, c.wShape), b = T.fromArray(c.b, [c.b.length]);
      const f = (p: { x: T.Tensor; w: T.Tensor; b: T.Tensor }) => T.conv2d(p.x, p.w, p.b, { stride: c.stride, padding: c.padding });
      const out = f({ x, w, b });
      assert.deepEqual(out.shape, c.outShape);
      assertClose(out.data, c.out, 1e-10, 1e-10, "output");
      const g = T.grad((p: { x: T.Tensor; w: T.Tensor; b: T.Tensor }) => T.sum(T.mul(f(p), T.fromArray(c.probe, c.outShape))))({ x, w, b });
      assertClose(g.x.data, c.dx, 1e-10, 1e-10, "dx");
      assertClose(g.w.data, c.dw, 1e-10, 1e-10, "dw");
      assertClose(g.b.data, c.db, 1e-10, 1e-10, "db");
    }));
  }
  for (const c of fixtures.maxPool2d) {
    test(`maxPool2d ${c.name}: PyTorch's output and gradient (${k.name} kernels)`, () => T.withKernels(k, () => {
      const x = T.fromArray(c.x, c.xShape);
      assertClose(T.maxPool2d(x, c.size, c.stride).data, c.out, 1e-12, 1e-12, "output");
      const dx = T.grad((v: T.Tensor) => T.sum(T.mul(T.maxPool2d(v, c.size, c.stride), T.fromArray(c.probe, c.outShape))))(x);
      assertClose(dx.data, c.dx, 1e-12, 1e-12, "dx");
    }));
  }
}

/** The definition, as nested loops: out[n, f, y, x] = b[f] + Σ_c,i,j in[n, c, y·s + i − pt, x·s + j − pl] · w[f, c, i, j]. */
function naiveConv(x: T.Tensor, w: T.Tensor, b: T.Tensor, stride: number, pt: number, pl: number, oh: number, ow: number): number[] {
  const [n, c, h, wd] = x.shape, [f, , kh, kw] = w.shape;
  const out: number[] = [];
  for (let a = 0; a < n; a++) for (let m = 0; m < f; m++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let s = b.data[m];
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const yy = y * stride + i - pt, xx = z * stride + j - pl;
      if (yy >= 0 && yy < h && xx >= 0 && xx < wd) s += x.data[((a * c + ch) * h + yy) * wd + xx] * w.data[((m * c + ch) * kh + i) * kw + j];
    }
    out.push(s);
  }
  return out;
}

test("conv2d equals the nested-loop definition for random shapes, strides and paddings, on every backend", () => {
  const wasm = T.wasmSupported() ? [T.createWasmKernels()] : [];
  fc.assert(fc.property(
    fc.record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 3, max: 9 }), w: fc.integer({ min: 3, max: 9 }),
      f: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), same: fc.boolean() })
      .chain((p) => fc.tuple(fc.constant(p), tensorOf([p.n, p.c, p.h, p.w]), tensorOf([p.f, p.c, p.k, p.k]), tensorOf([p.f]))),
    ([p, x, w, b]) => {
      const padding = p.same ? "same" : "valid";
      const g = T.convGeometry("test", x.shape, p.k, p.k, p.stride, padding);
      const expected = naiveConv(x, w, b, p.stride, g.padTop, g.padLeft, g.oh, g.ow);
      for (const k of [T.referenceKernels, T.fastKernels]) {
        assertClose(T.withKernels(k, () => T.conv2d(x, w, b, { stride: p.stride, padding })).data, expected, 1e-12, 1e-12, k.name);
      }
      for (const k of wasm) {
        const f32 = (t: T.Tensor) => T.cast(t, "float32");
        assertClose(T.withKernels(k, () => T.conv2d(f32(x), f32(w), f32(b), { stride: p.stride, padding })).data, expected, 1e-4, 1e-4, "wasm");
      }
    },
  ), { numRuns: 60 });
});

/** A float32 tensor of small whole numbers: ties are common, and any sum of a few of them is exact in any order. */
function wholeNumbers(shape: readonly number[], lo = -3, hi = 3): fc.Arbitrary<T.Tensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((xs) => T.cast(T.fromArray(xs, shape), "float32"));
}

test("on the wasm kernels, 2×2 max pooling and its gradient equal the reference's (float32, ties, odd planes, exact)", (t) => {
  if (!T.wasmSupported()) return t.skip("no WebAssembly SIMD here");
  const wasm = T.createWasmKernels();
  fc.assert(fc.property(
    // Planes 2-19 wide: 4-window vectors and the single windows after them; an odd size leaves a row or column out.
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 11 }), fc.integer({ min: 2, max: 19 }))
      .chain(([n, c, h, w]) => fc.tuple(wholeNumbers([n, c, h, w], -2, 2), wholeNumbers([n, c, Math.floor(h / 2), Math.floor(w / 2)]))),
    ([x, probe]) => {
      const run = () => {
        const y = T.maxPool2d(x, 2);
        return [y.data, T.grad((v: T.Tensor) => T.sum(T.mul(T.maxPool2d(v, 2), probe)))(x).data];
      };
      const [yr, gr] = T.withKernels(T.referenceKernels, run), [yw, gw] = T.withKernels(wasm, run);
      assert.deepEqual(Array.from(yw), Array.from(yr));
      assert.deepEqual(Array.from(gw), Array.from(gr));
    },
  ), { numRuns: 80 });
});

test("on the wasm kernels, im2col, col2im and the block transpose equal the reference's (float32, exact)", (t) => {
  if (!T.wasmSupported()) return t.skip("no WebAssembly SIMD here");
  const wasm = T.createWasmKernels();
  fc.assert(fc.property(
    // Windows 1-9 wide (the vector copies and the numbers after them), stride 1, no padding: wasm's loops.
    fc.record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 9 }),
      dh: fc.integer({ min: 0, max: 4 }), dw: fc.integer({ min: 0, max: 4 }) })
      .chain((p) => fc.tuple(fc.constant(p), wholeNumbers([p.n, p.c, p.kh + p.dh, p.kw + p.dw]),
        wholeNumbers([p.n * (p.dh + 1) * (p.dw + 1), p.c * p.kh * p.kw]))),
    ([p, x, cols]) => {
      const g = T.convGeometry("test", x.shape, p.kh, p.kw, 1, "valid");
      const run = () => {
        const c = T.im2col(x, p.kh, p.kw);
        // col2im is im2col's VJP: the gradient of <im2col(x), cols> with respect to x.
        const back = T.grad((v: T.Tensor) => T.sum(T.mul(T.im2col(v, p.kh, p.kw), cols)))(x);
        return [c.data, back.data];
      };
      assert.equal(g.oh * g.ow * p.n, cols.shape[0]);
      const [cr, br] = T.withKernels(T.referenceKernels, run), [cw, bw] = T.withKernels(wasm, run);
      assert.deepEqual(Array.from(cw), Array.from(cr), "im2col");
      assert.deepEqual(Array.from(bw), Array.from(br), "col2im");
    },
  ), { numRuns: 80 });
  fc.assert(fc.property(
    // Blocks of rows × columns, 1-13 each: 4×4 tiles and the edges left over.
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 }))
      .chain((shape) => wholeNumbers(shape, -100, 100)),
    (x) => {
      const run = () => T.permute(x, [0, 2, 1]).data;
      assert.deepEqual(Array.from(T.withKernels(wasm, run)), Array.from(T.withKernels(T.referenceKernels, run)));
    },
  ), { numRuns: 80 });
});

test("shape mistakes are errors naming the shapes", () => {
  assert.throws(() => T.conv2d(T.zeros([1, 1, 2, 2]), T.zeros([1, 1, 5, 5])), /a 5×5 window does not fit in a 2×2 image/);
  assert.throws(() => T.conv2d(T.zeros([1, 3, 8, 8]), T.zeros([4, 2, 3, 3])), /the filters take 2 channels, the input \[1x3x8x8\] has 3/);
  assert.throws(() => T.conv2d(T.zeros([3, 8, 8]), T.zeros([4, 3, 3, 3])), /expects an input of shape \[batch, channels, height, width\], got \[3x8x8\]/);
  assert.throws(() => T.maxPool2d(T.zeros([1, 1, 1, 1]), 2), /a 2×2 window does not fit in a 1×1 image/);
  assert.throws(() => T.conv2d(T.zeros([1, 1, 4, 4]), T.zeros([2, 1, 3, 3]), T.zeros([3])), /the bias must be \[2\], got \[3\]/);
});

test("max pooling under vmap(grad) and jacobian (its scatter and gather ops batched) equals the per-example answers", () => {
  const probe = T.fromArray(Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)), [1, 2, 2, 2]);
  const f = (x: T.Tensor) => T.sum(T.mul(T.square(T.maxPool2d(x, 2)), probe));
  const xs = T.fromArray(Array.from({ length: 3 * 32 }, (_, i) => Math.cos(i * 0.7) + i * 1e-3), [3, 1, 2, 4, 4]);
  const batched = T.vmap(T.grad(f))(xs);
  const each = [0, 1, 2].map((b) => T.grad(f)(T.reshape(T.slice(xs, 0, b, b + 1), [1, 2, 4, 4])));
  assertClose(batched.data, each.flatMap((g) => Array.from(g.data)), 1e-12, 1e-12, "vmap(grad)");
  // The Hessian of f is diagonal at the windows' maxima (2·probe there), 0 elsewhere: jacobian of the gradient.
  const x0 = T.reshape(T.slice(xs, 0, 0, 1), [1, 2, 4, 4]);
  const h = T.jacobian(T.grad(f))(x0);
  const g = T.grad(f)(x0).data;
  for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) {
    const v = h.data[i * 32 + j];
    if (i !== j) assert.equal(v, 0, `off-diagonal ${i},${j}`);
    else if (g[i] === 0) assert.equal(v, 0, `not a maximum: ${i}`);
    else assert.ok(Math.abs(v) > 0, `a maximum's second derivative: ${i}`);
  }
});
