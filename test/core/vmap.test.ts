/** vmap equals its mathematics: mapping f over a batch is f applied to each example, stacked. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { assertClose } from "../helpers.ts";
import { opCases } from "./op-catalogue.ts";

/** Examples stacked along a new axis `axis` (plain loops, independent of the ops under test). */
function stackAt(examples: readonly T.Tensor[], axis: number): T.Tensor {
  const shape = examples[0].shape;
  const inner = shape.slice(axis).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = examples.length;
  const out = new Float64Array(outer * n * inner);
  examples.forEach((e, b) => {
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) out[(o * n + b) * inner + j] = e.data[o * inner + j];
  });
  return new T.Tensor([...shape.slice(0, axis), n, ...shape.slice(axis)], out);
}

/** Example b of input x: x scaled by a positive factor, so domains (log, sqrt) are kept. */
const example = (x: T.Tensor, b: number) => T.mul(x, 1 + 0.25 * b);

/** For each input: null (shared) or the axis its batch is stacked along; at least one input mapped. */
const axesFor = (xs: readonly T.Tensor[]) =>
  fc.tuple(...xs.map((x) => fc.option(fc.integer({ min: 0, max: x.rank }), { nil: null })))
    .map((axes) => (axes.every((a) => a === null) ? [0, ...axes.slice(1)] : axes) as (number | null)[]);

for (const k of [T.referenceKernels, T.fastKernels]) {
  for (const c of opCases) {
    test(`vmap(${c.name}) equals ${c.name} on each example, stacked, for any inAxes (${k.name} kernels)`, () => T.withKernels(k, () => {
      fc.assert(
        fc.property(c.inputs.chain((xs) => fc.tuple(fc.constant(xs), axesFor(xs), fc.integer({ min: 1, max: 3 }))), ([xs, axes, n]) => {
          const batches = xs.map((x, i) => (axes[i] === null ? x : stackAt(Array.from({ length: n }, (_, b) => example(x, b)), axes[i] as number)));
          const got = T.vmap((...a: T.Tensor[]) => c.f(...a), axes)(...batches);
          const each = Array.from({ length: n }, (_, b) => c.f(...xs.map((x, i) => (axes[i] === null ? x : example(x, b)))));
          assert.deepEqual(got.shape, [n, ...each[0].shape]);
          assertClose(got.data, each.flatMap((e) => Array.from(e.data)), 1e-12, 1e-12, c.name);
        }),
        { numRuns: 8 },
      );
    }));
  }
}

const w = T.tensor([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]]);
const f = (x: T.Tensor) => T.sum(T.tanh(T.matmul(T.reshape(x, [1, 3]), w)));
const xs = T.tensor([[0.1, 0.2, 0.3], [-1, 0.5, 2], [0.7, -0.3, 0.4], [1.5, 1, -2]]);
const rows = (t: T.Tensor) => Array.from({ length: t.shape[0] }, (_, i) => T.tensor((t.toArray() as number[][])[i]));

test("vmap composes with grad both ways, with jit, and with itself", () => {
  const perRow = rows(xs).map((r) => Array.from(T.grad(f)(r).data));
  assertClose(T.vmap(T.grad(f))(xs).data, perRow.flat(), 1e-12, 1e-15, "vmap(grad)");
  assertClose(T.grad((x: T.Tensor) => T.sum(T.vmap(f)(x)))(xs).data, perRow.flat(), 1e-12, 1e-15, "grad(vmap)");
  assertClose(T.jit(T.vmap(T.grad(f)))(xs).data, perRow.flat(), 1e-12, 1e-15, "jit(vmap(grad))");
  assertClose(T.vmap(T.jit(T.grad(f)))(xs).data, perRow.flat(), 1e-12, 1e-15, "vmap(jit(grad))");
  // vmap of vmap: a batch of batches, mapped over both leading axes.
  const twice = T.vmap(T.vmap(f))(T.reshape(xs, [2, 2, 3]));
  assert.deepEqual(twice.shape, [2, 2]);
  assertClose(twice.data, rows(xs).map((r) => f(r).item()), 1e-12, 1e-15, "vmap(vmap)");
  // inAxes 1 maps over columns; null shares an argument.
  const g = (x: T.Tensor, s: T.Tensor) => T.sum(T.mul(x, s));
  assertClose(T.vmap(g, [1, null])(T.transpose(xs), T.tensor(2)).data, rows(xs).map((r) => 2 * T.sum(r).item()), 1e-12, 1e-15, "inAxes");
});

test("per-example gradients: the mean of the seed's per-example backprop equals mean(vmap(grad(cost of one example))) equals grad of the batch cost", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 6 }), (seed, n) => {
      const net = nn.network([4, 5, 3], "scaled");
      const params = net.init(T.key(seed)) as readonly T.Tree[];
      const x = T.uniform(T.key(seed + 1), [n, 4]), y = T.uniform(T.key(seed + 2), [n, 3]);
      const one = (p: readonly T.Tree[], xi: T.Tensor, yi: T.Tensor) => nn.quadratic(net.apply(p, T.reshape(xi, [1, 4])), T.reshape(yi, [1, 3]));
      const perExample = T.vmap(T.grad(one), [null, 0, 0])(params, x, y);
      const meanOfVmap = T.treeMap(perExample, (g) => T.mean(g, 0));
      const batch = T.grad((p: readonly T.Tree[]) => nn.quadratic(net.apply(p, x), y))(params);
      // The seed's update_mini_batch: backprop one example at a time, then the mean.
      const seedGrads = rows(x).map((xi, i) => nn.backprop(nn.denseLayers(params), T.reshape(xi, [1, 4]), T.reshape(rows(y)[i], [1, 3]), "quadratic").grads);
      const seedMean = nn.denseLayers(params).map((_, l) => ({
        w: T.mul(seedGrads.map((g) => g[l].w).reduce((a, b) => T.add(a, b)), 1 / n),
        b: T.mul(seedGrads.map((g) => g[l].b).reduce((a, b) => T.add(a, b)), 1 / n),
      }));
      const flat = (t: T.Tree) => T.treeLeaves(t).flatMap((l) => Array.from(l.data));
      assertClose(flat(meanOfVmap), flat(batch), 1e-10, 1e-14, "mean(vmap(grad)) vs grad(batch)");
      assertClose(flat(nn.denseLayers(meanOfVmap as readonly T.Tree[])), flat(seedMean), 1e-10, 1e-14, "mean(vmap(grad)) vs seed's backprop");
    }),
    { numRuns: 15 },
  );
});

test("vmap refuses what it cannot map, naming it", () => {
  assert.throws(() => T.vmap((a: T.Tensor) => a, [0, 0])(xs), /vmap: inAxes has 2 entries for 1 arguments/);
  assert.throws(() => T.vmap((a: T.Tensor, b: T.Tensor) => T.add(a, b))(T.zeros([2, 3]), T.zeros([3, 3])), /vmap: mapped axes differ in size \(2 and 3 at argument 1\)/);
  assert.throws(() => T.vmap((a: T.Tensor) => a, [2])(T.zeros([2, 3])), /vmap: argument 0 has shape \[2x3\], with no axis 2 to map over/);
  assert.throws(() => T.vmap((a: T.Tensor) => a, [null])(T.zeros([2])), /vmap: no tensor is mapped/);
  assert.throws(() => T.vmap((a: T.Tensor) => T.scalar(a.item()))(T.zeros([2])), /vmap: the numbers of a batched tensor cannot be read inside vmap/);
  let leaked: T.Tensor | undefined;
  T.vmap((a: T.Tensor) => ((leaked = a), a))(T.zeros([2]));
  assert.throws(() => T.exp(leaked as T.Tensor), /vmap: a batched tensor was used after its vmap returned/);
  assert.throws(() => T.vmap((a: T.Tensor) => T.softmax(a))(T.zeros([2])), /softmax: needs at least one axis, got \[scalar\]/);
  assert.throws(() => T.vmap((a: T.Tensor) => T.matmul(a, T.ones([2])))(T.zeros([2, 3])), /matmul: inner dimensions differ/);
  // An example's vector times itself is numpy's dot product, mapped.
  assert.deepEqual(T.vmap((a: T.Tensor) => T.matmul(a, a))(T.tensor([[1, 2], [3, 4]])).toArray(), [5, 25]);
});

test("vmap of an unbatched result repeats it for every example", () => {
  const out = T.vmap((_a: T.Tensor) => T.tensor([1, 2]))(T.zeros([3, 4]));
  assert.deepEqual(out.toArray(), [[1, 2], [1, 2], [1, 2]]);
});
