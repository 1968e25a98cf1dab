/** The playground's learner-written costs: they equal the costs they spell, by value and gradient; mistakes are one line. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { grad, tensor, type Tensor } from "../../core/index.ts";
import { crossEntropy, quadratic, type Cost } from "../../nn/index.ts";
import { compileCost } from "../../playground/cost-expression.ts";
import { checkNumbers, defaultConfig, networkOf } from "../../playground/setup.ts";

const compiled = (text: string): Cost => {
  const r = compileCost(text);
  if (r._tag === "Left") throw r.left;
  return r.right;
};
const errorOf = (text: string) => {
  const r = compileCost(text);
  return r._tag === "Left" ? r.left.message : "no error";
};

/** A batch of outputs strictly inside (0, 1) and one-hot targets. */
const batch = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.tuple(
    fc.array(fc.array(fc.double({ min: 0.02, max: 0.98, noNaN: true }), { minLength: 10, maxLength: 10 }), { minLength: n, maxLength: n }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }),
  ).map(([a, labels]) => ({ a: tensor(a), y: tensor(labels.map((l) => Array.from({ length: 10 }, (_, c) => (c === l ? 1 : 0)))) })),
);

function sameCost(mine: Cost, reference: Cost, a: Tensor, y: Tensor): void {
  const v = mine(a, y).item(), r = reference(a, y).item();
  assert.ok(Math.abs(v - r) <= 1e-12 * Math.max(1, Math.abs(r)), `value ${v} vs ${r}`);
  const g = grad((out: Tensor) => mine(out, y))(a).data, h = grad((out: Tensor) => reference(out, y))(a).data;
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - h[i]) <= 1e-10 * Math.max(1, Math.abs(h[i])), `gradient ${i}: ${g[i]} vs ${h[i]}`);
}

test("written out, the seed's quadratic cost and cross-entropy equal nn's, value and gradient", () => {
  const q = compiled("sum((a - y)^2) / (2*n)");
  const ce = compiled("-sum(y*log(a) + (1 - y)*log(1 - a)) / n");
  fc.assert(fc.property(batch, ({ a, y }) => {
    sameCost(q, quadratic, a, y);
    sameCost(ce, crossEntropy, a, y);
  }), { numRuns: 50 });
});

test("a Huber cost through minimum and abs is ½r² inside 1 and |r| − ½ outside", () => {
  const huber = compiled("sum(minimum(abs(a - y), 1) * (abs(a - y) - 0.5 * minimum(abs(a - y), 1))) / n");
  const a = tensor([[0.5, 3, -2, 0, 0, 0, 0, 0, 0, 0]]), y = tensor([[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]);
  assert.equal(huber(a, y).item(), 0.125 + 2.5 + 1.5 + 0.5);
});

test("precedence: ^ binds tighter than unary minus and is right-associative; * before +; functions of numbers fold", () => {
  const y = tensor([[1, 0]]), a = tensor([[1, 1]]);
  const value = (text: string) => compiled(`(${text}) * sum(a)`)(a, y).item() / 2;
  assert.equal(value("-2^2"), -4);
  assert.equal(value("2^3^2"), 512);
  assert.equal(value("1 + 2 * 3 - 4 / 2"), 5);
  assert.equal(value("sqrt(16) + exp(0) + maximum(2, 3)"), 8);
  assert.equal(value("1.5e1 + .5"), 15.5);
  assert.equal(compiled("mean(sum(a, 1))")(a, y).item(), 2);
});

test("mistakes are one line naming what and where, and nothing trains", () => {
  assert.equal(errorOf(""), "cost: the expression is empty");
  assert.equal(errorOf("sum((a - y)^2"), 'cost: expected ")" but found the end');
  assert.equal(errorOf("sum(a) $ 2"), 'cost: unexpected "$" at column 8');
  assert.match(errorOf("sum(b)"), /^cost: unknown name "b" at column 5: use a, y, n, numbers and sum, mean, abs/);
  assert.match(errorOf("maximum(a)"), /^cost: maximum at column 1 takes 2 arguments, got 1$/);
  assert.match(errorOf("sum(a, y)"), /^cost: sum at column 1: its second argument is an axis/);
  assert.match(errorOf("2 * n"), /does not depend on a/);
  assert.match(errorOf("(a - y)^2"), /must be one number, but this expression gives shape \[2x10\]: wrap it in sum/);
  assert.match(errorOf("sum(log(a - y))"), /^cost: its value is not a finite number on a sample batch/);
  assert.match(errorOf("sum(a, 5)"), /^cost: /);
  for (const text of ["sum((a - y)^2", "sum(b)", "(a - y)^2"]) assert.doesNotMatch(errorOf(text), /\n/);
});

test("the page's settings: spec, init and numbers are checked with one line naming the field", () => {
  const net = (spec: string) => {
    const r = networkOf({ ...defaultConfig, spec }, 784, 10);
    return r._tag === "Left" ? r.left.message : "ok";
  };
  assert.equal(net(defaultConfig.spec), "ok");
  assert.match(net("{"), /^network spec: not JSON/);
  assert.match(net('{"input":100,"layers":[{"dense":10}]}'), /^network spec: input must be the 784 pixels/);
  assert.match(net('{"input":784,"layers":[{"dense":30}]}'), /^network spec: the last dense layer must have 10 units/);
  assert.match(net('{"input":784,"layers":["sigmoid"],"extra":1}'), /extra/);
  const scaled = networkOf({ ...defaultConfig, init: "scaled" }, 784, 10);
  assert.ok(scaled._tag === "Right" && JSON.stringify(scaled.right.spec).includes('"init":"scaled"'));
  const numbers = checkNumbers({ ...defaultConfig, eta: 0, batchSize: 2.5, momentum: 1, trainSize: 60000 }, 50000);
  assert.ok(numbers._tag === "Left");
  assert.match(numbers.left.message, /η must be a number above 0, got 0; batch size must be a whole number from 1 to 60000, got 2.5; training images must be a whole number from 1 to 50000, got 60000; momentum must be/);
});
