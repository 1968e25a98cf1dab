import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { assertClose, tensorOf } from "../helpers.ts";

/** A random dense+sigmoid stack (1–4 layers of 1–20 units), its params, and a batch of 1–16 examples. */
const stackAndBatch = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 5 }),
    batch: fc.integer({ min: 1, max: 16 }),
    seed: fc.integer({ min: 0, max: 1e9 }),
    init: fc.constantFrom<nn.InitScheme>("normal", "scaled"),
  })
  .chain(({ sizes, batch, seed, init }) =>
    fc.record({
      net: fc.constant(nn.network(sizes, init)),
      seed: fc.constant(seed),
      x: tensorOf([batch, sizes[0]], 0, 1),
      y: tensorOf([batch, sizes[sizes.length - 1]], 0, 1),
    }),
  );

const costPairs: [nn.BackpropCost, nn.Cost][] = [["quadratic", nn.quadratic], ["cross-entropy", nn.crossEntropy]];

for (const [name, cost] of costPairs) {
  test(`autodiff gradient equals the seed's backprop for any dense-sigmoid stack (${name})`, () => {
    fc.assert(
      fc.property(stackAndBatch, ({ net, seed, x, y }) => {
        const params = net.init(T.key(seed)) as readonly T.Tree[];
        const [value, grad] = T.valueAndGrad((p: readonly T.Tree[]) => cost(net.apply(p, x), y))(params);
        const ref = nn.backprop(nn.denseLayers(params), x, y, name);
        assertClose([value.item()], [ref.loss], 1e-9, 1e-12, "loss");
        const auto = nn.denseLayers(grad);
        assert.equal(auto.length, ref.grads.length);
        auto.forEach((g, l) => {
          assertClose(g.w.data, ref.grads[l].w.data, 1e-9, 1e-13, `layer ${l} ∇w`);
          assertClose(g.b.data, ref.grads[l].b.data, 1e-9, 1e-13, `layer ${l} ∇b`);
        });
      }),
      { numRuns: 40 },
    );
  });
}

test("one sgd step through the tape equals the seed's update_mini_batch", () => {
  fc.assert(
    fc.property(stackAndBatch, fc.double({ min: 0.01, max: 5, noNaN: true }), ({ net, seed, x, y }, eta) => {
      const params = net.init(T.key(seed));
      const opt = nn.sgd(eta);
      const r = nn.step(net, nn.quadratic, opt)(params, opt.init(params), { x, y });
      const ref = nn.updateMiniBatch(nn.denseLayers(params as readonly T.Tree[]), x, y, eta, "quadratic");
      nn.denseLayers(r.params as readonly T.Tree[]).forEach((p, l) => {
        assertClose(p.w.data, ref[l].w.data, 1e-12, 1e-12, `layer ${l} w`);
        assertClose(p.b.data, ref[l].b.data, 1e-12, 1e-12, `layer ${l} b`);
      });
    }),
    { numRuns: 30 },
  );
});

test("on the wasm kernels (float32), the autodiff gradient equals the float64 backprop to float32 precision", () => {
  const wasm = T.createWasmKernels({ arenaBytes: 1 << 20 });
  fc.assert(
    fc.property(stackAndBatch, ({ net, seed, x, y }) => {
      const p64 = net.init(T.key(seed)) as readonly T.Tree[];
      const p32 = T.treeMap(p64, (t) => T.cast(t, "float32"));
      const auto = T.withKernels(wasm, () =>
        T.valueAndGrad((p: readonly T.Tree[]) => nn.quadratic(net.apply(p, T.cast(x, "float32")), T.cast(y, "float32")))(p32));
      // The reference runs in float64 on the same float32-rounded numbers.
      const back = T.treeMap(p32, (t) => T.cast(t, "float64"));
      const ref = nn.backprop(nn.denseLayers(back), T.cast(T.cast(x, "float32"), "float64"), T.cast(T.cast(y, "float32"), "float64"), "quadratic");
      nn.denseLayers(auto[1]).forEach((g, l) => {
        assertClose(g.w.data, ref.grads[l].w.data, 1e-3, 1e-5, `layer ${l} ∇w`);
        assertClose(g.b.data, ref.grads[l].b.data, 1e-3, 1e-5, `layer ${l} ∇b`);
      });
    }),
    { numRuns: 30 },
  );
});

test("the hand-written backprop gives the same gradient on the wasm kernels as on the reference", () => {
  const wasm = T.createWasmKernels({ arenaBytes: 1 << 20 });
  fc.assert(
    fc.property(stackAndBatch, ({ net, seed, x, y }) => {
      const p32 = T.treeMap(net.init(T.key(seed)), (t) => T.cast(t, "float32")) as readonly T.Tree[];
      const [x32, y32] = [T.cast(x, "float32"), T.cast(y, "float32")];
      const onWasm = T.withKernels(wasm, () => nn.backprop(nn.denseLayers(p32), x32, y32, "cross-entropy"));
      const ref = nn.backprop(nn.denseLayers(T.treeMap(p32, (t) => T.cast(t, "float64"))), T.cast(x32, "float64"), T.cast(y32, "float64"), "cross-entropy");
      onWasm.grads.forEach((g, l) => assertClose(g.w.data, ref.grads[l].w.data, 1e-3, 1e-5, `layer ${l} ∇w`));
    }),
    { numRuns: 30 },
  );
});
