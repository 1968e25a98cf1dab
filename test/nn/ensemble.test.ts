/** The ensemble's vote: the majority class, ties to the earliest member's choice; one member is itself. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { majorityVote } from "../../nn/index.ts";

test("majorityVote: the class most members predict, a tie going to the earliest member's among the tied", () => {
  const p = (...xs: number[]) => Int32Array.from(xs);
  assert.deepEqual(Array.from(majorityVote([p(1, 2, 3), p(1, 5, 4), p(7, 5, 4)], 10)), [1, 5, 4]);
  assert.deepEqual(Array.from(majorityVote([p(3), p(4)], 10)), [3]);
  assert.deepEqual(Array.from(majorityVote([p(3), p(4), p(4), p(3)], 10)), [3]);
  assert.throws(() => majorityVote([p(1, 2), p(1)], 10), /different numbers of examples \(2, 1\)/);
  assert.throws(() => majorityVote([p(12)], 10), /class 12 is outside 0-9/);
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (xs, copies) => {
    const member = Int32Array.from(xs);
    assert.deepEqual(majorityVote(Array.from({ length: copies }, () => member), 10), member);
  }));
  // A class with more votes always wins, wherever its voters stand.
  fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 6 }), (a, b, extra, seed) => {
    fc.pre(a !== b);
    const members = [...Array(1 + extra).fill(a), ...Array(1).fill(b)].map((c) => Int32Array.from([c]));
    const shuffled = members.map((m, i) => members[(i + seed) % members.length]);
    assert.equal(majorityVote(shuffled, 10)[0], a);
  }));
});
