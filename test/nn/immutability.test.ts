import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";
import * as nn from "../../nn/index.ts";
import { tensorOf } from "../helpers.ts";

const snapshot = (t: T.Tree) => T.treeLeaves(t).map((l) => Array.from(l.data));

const optimizers: [string, (n: number) => nn.Optimizer][] = [
  ["sgd", () => nn.sgd(0.5)],
  ["momentum", () => nn.momentum(0.5, 0.9)],
  ["chain(weightDecay, momentum)", (n) => nn.chain(nn.weightDecay(5, n), nn.momentum(0.1, 0.5))],
];

test("params and optimizer state are unchanged by apply and update, for any optimizer", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1e6 }),
      fc.constantFrom(...optimizers),
      tensorOf([4, 3], 0, 1),
      tensorOf([4, 2], 0, 1),
      (seed, [, make], x, y) => {
        const net = nn.network([3, 5, 2]);
        const params = net.init(T.key(seed));
        const opt = make(100);
        const s1 = nn.step(net, nn.quadratic, opt);
        const first = s1(params, opt.init(params), { x, y });
        const before = { p: snapshot(first.params), s: snapshot(first.optState), x: Array.from(x.data) };
        net.apply(first.params, x);
        const second = s1(first.params, first.optState, { x, y });
        assert.deepEqual({ p: snapshot(first.params), s: snapshot(first.optState), x: Array.from(x.data) }, before);
        assert.notDeepEqual(snapshot(second.params), before.p);
      },
    ),
    { numRuns: 20 },
  );
});
