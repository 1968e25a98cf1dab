/**
 * IEEE special values, per op, values and gradients, on every backend: NaN propagates (never swallowed: a
 * hidden NaN is how divergence goes unseen), ±∞ and ±0 give JAX's answers, ties follow JAX's rules. Each
 * row is checked on the reference and fast kernels in float64 and on the wasm kernels in float32, its
 * inputs repeated to 64+ entries so the wasm (SIMD) loops and their scalar tails both run.
 * Where tsgrad's derivative at a kink differs from a convention, the row says so (abs′(0) = relu′(0) = 0).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../core/index.ts";

type Tensor = T.Tensor;
const inf = Infinity, nan = NaN;

interface Row {
  readonly name: string;
  /** f of one or more vectors of the same length, elementwise or a reduction. */
  readonly f: (...xs: Tensor[]) => Tensor;
  readonly inputs: readonly (readonly number[])[];
  readonly value: readonly number[];
  /** The gradient of sum(f(...)) for each input (omitted: not checked). */
  readonly grads?: readonly (readonly number[])[];
  /** Tile the inputs to 64+ (for elementwise rows); a reduction or pooling row sets its own shape. */
  readonly elementwise?: boolean;
  readonly shape?: readonly number[];
}

const X = [nan, inf, -inf, 0, -0, 2];
/** A 4×4 plane made 4×8 by repeating each row, so the wasm kernel's four-window vectors run as well as its scalar tail. */
const wide = (p: readonly number[]) => Array.from({ length: 32 }, (_, i) => p[Math.floor(i / 8) * 4 + (i % 4)]);

const rows: readonly Row[] = [
  { name: "relu", f: T.relu, inputs: [X], value: [nan, inf, 0, 0, 0, 2], grads: [[0, 1, 0, 0, 0, 1]] },
  { name: "sigmoid", f: T.sigmoid, inputs: [X], value: [nan, 1, 0, 0.5, 0.5, 1 / (1 + Math.exp(-2))] },
  { name: "tanh", f: T.tanh, inputs: [X], value: [nan, 1, -1, 0, -0, Math.tanh(2)], grads: [[nan, 0, 0, 1, 1, 1 - Math.tanh(2) ** 2]] },
  { name: "exp", f: T.exp, inputs: [X], value: [nan, inf, 0, 1, 1, Math.exp(2)], grads: [[nan, inf, 0, 1, 1, Math.exp(2)]] },
  { name: "log", f: T.log, inputs: [X], value: [nan, inf, nan, -inf, -inf, Math.log(2)], grads: [[nan, 0, -0, inf, -inf, 0.5]] },
  { name: "sqrt", f: T.sqrt, inputs: [X], value: [nan, inf, nan, 0, -0, Math.SQRT2], grads: [[nan, 0, nan, inf, -inf, 0.5 / Math.SQRT2]] },
  { name: "square", f: T.square, inputs: [X], value: [nan, inf, inf, 0, 0, 4], grads: [[nan, inf, -inf, 0, -0, 4]] },
  // abs′(0) = 0: the rule's sign(x) (a subgradient; JAX's select(x ≥ 0) says 1).
  { name: "abs", f: T.abs, inputs: [X], value: [nan, inf, inf, 0, 0, 2], grads: [[nan, 1, -1, 0, 0, 1]] },
  { name: "sign", f: T.sign, inputs: [X], value: [nan, 1, -1, 0, -0, 1], grads: [[0, 0, 0, 0, 0, 0]] },
  { name: "heaviside", f: T.heaviside, inputs: [X], value: [nan, 1, 0, 0, 0, 1] },
  { name: "neg", f: T.neg, inputs: [X], value: [nan, -inf, inf, -0, 0, -2], grads: [[-1, -1, -1, -1, -1, -1]] },
  { name: "softplus", f: T.softplus, inputs: [X], value: [nan, inf, 0, Math.LN2, Math.LN2, 2 + Math.log1p(Math.exp(-2))], grads: [[nan, 1, 0, 0.5, 0.5, 1 / (1 + Math.exp(-2))]] },
  { name: "log1p", f: T.log1p, inputs: [[nan, inf, -1, 0, -0, 1]], value: [nan, inf, -inf, 0, -0, Math.LN2], grads: [[nan, 0, inf, 1, 1, 0.5]] },
  { name: "sin", f: T.sin, inputs: [X], value: [nan, nan, nan, 0, -0, Math.sin(2)], grads: [[nan, nan, nan, 1, 1, Math.cos(2)]] },
  { name: "clip to [−1, 1]", f: (x) => T.clip(x, -1, 1), inputs: [X], value: [nan, 1, -1, 0, -0, 1] },
  // maximum/minimum: NaN on either side gives NaN (and a zero gradient to both: the NaN result is what shows);
  // a tie splits the gradient in halves (JAX).
  {
    name: "maximum", f: T.maximum, inputs: [[nan, 1, inf, -inf, 3, 2], [1, nan, 5, 0, 3, 1]],
    value: [nan, nan, inf, 0, 3, 2], grads: [[0, 0, 1, 0, 0.5, 1], [0, 0, 0, 1, 0.5, 0]],
  },
  {
    name: "minimum", f: T.minimum, inputs: [[nan, 1, inf, -inf, 3, 2], [1, nan, 5, 0, 3, 1]],
    value: [nan, nan, 5, -inf, 3, 1], grads: [[0, 0, 0, 1, 0.5, 0], [0, 0, 1, 0, 0.5, 1]],
  },
  { name: "add", f: T.add, inputs: [[nan, inf, inf, -0, 1, 1], [1, -inf, inf, -0, nan, 2]], value: [nan, nan, inf, -0, nan, 3] },
  { name: "mul", f: T.mul, inputs: [[nan, inf, 0, -0, 2, 1], [1, 0, -3, -0, -inf, 2]], value: [nan, nan, -0, 0, -inf, 2] },
  { name: "div", f: T.div, inputs: [[1, -1, 0, 1, nan, inf], [0, 0, 0, -0, 1, inf]], value: [inf, -inf, nan, -inf, nan, nan] },
  // pow: d/da at 0⁰ is 0 and d/db at a = 0 is 0 (JAX), not 0·∞ or 0·(−∞) = NaN.
  {
    name: "pow", f: T.pow, inputs: [[0, 0, 2, nan, 1, 4], [0, 2, 0, 0, nan, 0.5]],
    value: [1, 0, 1, 1, nan, 2], grads: [[0, 0, 0, nan, nan, 0.25], [0, 0, Math.LN2, nan, nan, 2 * Math.log(4)]],
  },
  // Reductions over the last axis of [3, 2]: a NaN in a row gives NaN.
  { name: "max (rows)", f: (x) => T.max(x, -1), inputs: [[1, nan, nan, 2, -inf, -inf]], shape: [3, 2], value: [nan, nan, -inf] },
  { name: "min (rows)", f: (x) => T.min(x, -1), inputs: [[1, nan, nan, 2, inf, inf]], shape: [3, 2], value: [nan, nan, inf] },
  { name: "max ties (rows)", f: (x) => T.max(x, -1), inputs: [[3, 3, 1, 2, 0, -0]], shape: [3, 2], value: [3, 2, 0], grads: [[0.5, 0.5, 0, 1, 0.5, 0.5]] },
  // logSumExp of all −∞ is −∞ (JAX, PyTorch), of a +∞ is +∞; its gradient at all −∞ is NaN (0/0), as JAX's.
  { name: "logSumExp (rows)", f: (x) => T.logSumExp(x, -1), inputs: [[-inf, -inf, inf, 1, nan, 1]], shape: [3, 2], value: [-inf, inf, nan] },
  { name: "sum (rows)", f: (x) => T.sum(x, -1), inputs: [[inf, -inf, nan, 1, inf, 1]], shape: [3, 2], value: [nan, nan, inf] },
  { name: "prod (rows)", f: (x) => T.prod(x, -1), inputs: [[inf, 0, nan, 1, -0, 3]], shape: [3, 2], value: [nan, nan, -0], grads: [[0, inf, 1, nan, 3, -0]] },
  { name: "softmax (rows)", f: (x) => T.softmax(x, -1), inputs: [[nan, 1, inf, 1, -inf, 0]], shape: [3, 2], value: [nan, nan, nan, nan, 0, 1] }, // [∞, 1]: ∞ − ∞ in the shift, NaN as JAX
  // 2×2 max pooling: a NaN anywhere in the window gives NaN, wherever it is; ±∞ as numbers.
  {
    name: "maxPool2d 2×2", f: (x) => T.maxPool2d(x, 2),
    inputs: [wide([1, nan, 3, 4, /**/ 5, 6, 7, 8, /**/ nan, 1, -inf, -inf, /**/ 2, 3, -inf, -inf])], shape: [1, 1, 4, 8],
    value: [nan, 8, nan, 8, nan, -inf, nan, -inf],
  },
];

/** The rows' inputs as tensors: elementwise rows tiled to at least 64 entries (wasm's loops start there). */
function inputsOf(row: Row, dtype: T.DType): { xs: Tensor[]; tiles: number } {
  const n = row.inputs[0].length;
  const tiles = row.shape === undefined ? Math.ceil(67 / n) : 1; // 67: SIMD loops of 4 and a scalar tail
  const xs = row.inputs.map((xs) => {
    const data = Array.from({ length: n * tiles }, (_, i) => xs[i % n]);
    return T.fromArray(data, row.shape ?? [n * tiles], dtype);
  });
  return { xs, tiles };
}

function same(got: number, want: number, f32: boolean): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want) || want === 0) return got === want; // ±∞ exactly; a zero as a zero (sign not checked)
  return Math.abs(got - want) <= (f32 ? 1e-6 : 1e-14) * Math.abs(want);
}

function check(row: Row, what: string, got: ArrayLike<number>, want: readonly number[], tiles: number, f32: boolean): void {
  for (let i = 0; i < got.length; i++) {
    const w = want[i % want.length];
    assert.ok(same(got[i], w, f32), `${row.name}: ${what}[${i % want.length}] is ${got[i]}, expected ${w} (entry ${i} of ${got.length}, ${tiles} tiles)`);
  }
}

const backends: [string, T.Kernels, T.DType][] = [
  ["reference", T.referenceKernels, "float64"],
  ["fast", T.fastKernels, "float64"],
  ["wasm", T.createWasmKernels({ arenaBytes: 1 << 20 }), "float32"],
];

for (const [name, kernels, dtype] of backends) {
  test(`special values (NaN, ±∞, ±0, ties): values and gradients equal JAX's on the ${name} kernels (${dtype})`, () => T.withKernels(kernels, () => {
    for (const row of rows) {
      const { xs, tiles } = inputsOf(row, dtype);
      check(row, "value", row.f(...xs).data, row.value, tiles, dtype === "float32");
      if (row.grads !== undefined) {
        const argnums = row.inputs.map((_, i) => i);
        const gs = T.grad((...ts: Tensor[]) => T.sum(row.f(...ts)), { argnums })(...xs) as Tensor[];
        gs.forEach((g, i) => check(row, `gradient ${i}`, g.data, row.grads![i], tiles, dtype === "float32"));
      }
    }
  }));
}

test("2×2 max pooling's gradient goes to the first NaN of a window, the same on every backend", () => {
  const x = [1, nan, 3, 4, /**/ 5, nan, 7, 8, /**/ 9, 1, 2, 2, /**/ 2, 3, 2, 2];
  const want = [0, 1, 0, 0, /**/ 0, 0, 0, 1, /**/ 1, 0, 1, 0, /**/ 0, 0, 0, 0];
  for (const [name, kernels, dtype] of backends) {
    T.withKernels(kernels, () => {
      // Planes 4×8 (rows repeated) so the wasm kernel's four-window vectors run too; three of them.
      const t = T.fromArray(Array.from({ length: 96 }, (_, i) => wide(x)[i % 32]), [1, 3, 4, 8], dtype);
      const g = T.grad((u: Tensor) => T.sum(T.maxPool2d(u, 2)))(t);
      assert.deepEqual(Array.from(g.data), Array.from({ length: 96 }, (_, i) => wide(want)[i % 32]), name);
    });
  }
});

test("argmax takes the first NaN as the maximum (numpy, JAX), else the first of ties", () => {
  assert.deepEqual(Array.from(T.argmax(T.tensor([[1, nan, 3, nan], [2, 5, 5, -inf], [-inf, -inf, -inf, -inf]]))), [1, 1, 0]);
});
