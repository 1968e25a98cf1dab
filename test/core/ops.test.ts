import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import type { Tensor } from "../../core/index.ts";
import { assertGradMatches, dim, matrixShape, shape, tensorOf } from "../helpers.ts";

const runs = { numRuns: 25 };

/** A weighted sum of f's output, so every output entry carries a different cotangent. */
function weighted(f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): (p: Tensor[]) => Tensor {
  const y = f(...xs);
  const w = T.fromArray(Array.from({ length: y.size }, (_, i) => 0.3 + ((i * 7) % 5) * 0.17), y.shape);
  return (p) => T.sum(T.mul(f(...p), w));
}

const unary: [string, (x: Tensor) => Tensor, number, number, number[]][] = [
  ["neg", T.neg, -3, 3, []],
  ["exp", T.exp, -3, 3, []],
  ["log", T.log, 0.2, 4, []],
  ["square", T.square, -3, 3, []],
  ["sqrt", T.sqrt, 0.2, 4, []],
  ["abs", T.abs, -3, 3, [0]],
  ["sigmoid", T.sigmoid, -8, 8, []],
  ["tanh", T.tanh, -3, 3, []],
  ["relu", T.relu, -3, 3, [0]],
  ["softmax", T.softmax, -4, 4, []],
  ["logSoftmax", T.logSoftmax, -4, 4, []],
  ["clip", (x) => T.clip(x, -1, 0.5), -3, 3, [-1, 0.5]],
  ["transpose", T.transpose, -3, 3, []],
  ["reshape", (x) => T.reshape(x, [-1]), -3, 3, []],
  ["sum", (x) => T.sum(x), -3, 3, []],
  ["mean", (x) => T.mean(x), -3, 3, []],
];

// The gradient properties hold on every float64 backend: run them on each.
const float64Backends = [T.referenceKernels, T.fastKernels];

for (const k of float64Backends) describe(`every unary op's autodiff gradient equals central differences (${k.name} kernels)`, () => {
  before(() => T.setKernels(k));
  after(() => T.setKernels(T.referenceKernels));
  for (const [name, f, lo, hi, avoid] of unary) {
    const shapes = name === "transpose" ? matrixShape : name === "softmax" || name === "logSoftmax" ? fc.array(dim, { minLength: 1, maxLength: 3 }) : shape;
    test(name, () => {
      fc.assert(fc.property(shapes.chain((s) => tensorOf(s, lo, hi, avoid)), (x) => assertGradMatches(weighted(f, [x]), [x])), runs);
    });
  }
});

/** Pairs of shapes that broadcast: b is a's shape with some axes set to 1 or dropped from the left. */
const broadcastPair = shape.chain((a) =>
  fc.tuple(fc.constant(a), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }), fc.nat({ max: a.length }), fc.boolean()).map(
    ([s, ones, drop, flip]) => {
      const b = s.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      return flip ? [b, s] : [s, b];
    },
  ),
);

const binary: [string, (a: Tensor, b: Tensor) => Tensor, number, number, boolean][] = [
  ["add", T.add, -3, 3, false],
  ["sub", T.sub, -3, 3, false],
  ["mul", T.mul, -3, 3, false],
  ["div", T.div, 0.3, 3, false],
  ["maximum", T.maximum, -3, 3, true],
  ["minimum", T.minimum, -3, 3, true],
];

for (const k of float64Backends) describe(`every binary op's autodiff gradient equals central differences, broadcasting included (${k.name} kernels)`, () => {
  before(() => T.setKernels(k));
  after(() => T.setKernels(T.referenceKernels));
  for (const [name, f, lo, hi, kinked] of binary) {
    test(name, () => {
      const pairs = broadcastPair.chain(([sa, sb]) => fc.tuple(tensorOf(sa, lo, hi), tensorOf(sb, lo, hi)));
      fc.assert(
        fc.property(pairs, ([a, b]) => {
          if (kinked) {
            // Keep away from a = b, where the gradient jumps.
            const d = T.sub(a, b).data;
            fc.pre(d.every((v) => Math.abs(v) > 1e-3));
          }
          assertGradMatches(weighted(f, [a, b]), [a, b]);
        }),
        runs,
      );
    });
  }
});

for (const k of float64Backends) test(`matmul's gradient equals central differences, for every transpose combination (${k.name} kernels)`, () => T.withKernels(k, () => {
  const arb = fc.tuple(dim, dim, dim, fc.boolean(), fc.boolean()).chain(([m, k, n, ta, tb]) =>
    fc.tuple(tensorOf(ta ? [k, m] : [m, k]), tensorOf(tb ? [n, k] : [k, n]), fc.constant(ta), fc.constant(tb)),
  );
  fc.assert(fc.property(arb, ([a, b, ta, tb]) => assertGradMatches(weighted((x, y) => T.matmulT(x, y, ta, tb), [a, b]), [a, b])), runs);
}));

test("sum and mean along an axis have the right gradient", () => {
  const arb = fc.array(dim, { minLength: 1, maxLength: 3 }).chain((s) => fc.tuple(tensorOf(s), fc.nat({ max: s.length - 1 }), fc.boolean()));
  fc.assert(
    fc.property(arb, ([x, axis, keepDims]) => {
      assertGradMatches(weighted((t) => T.sum(t, axis, { keepDims }), [x]), [x]);
      assertGradMatches(weighted((t) => T.mean(t, axis, { keepDims }), [x]), [x]);
    }),
    runs,
  );
});
