/**
 * The plain-JavaScript consumer (examples/consumer/app.mjs), run against this checkout's sources: it trains
 * XOR, uses JAX's conventions, and makes six mistakes a JS caller can make, each of which must be caught with
 * a message naming the function (never a wrong number). The packed package runs the same file in
 * test/package/package.slow.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

test("examples/consumer/app.mjs in plain JS: trains, follows JAX's conventions, and every mistake is caught by name", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "--import", "./test/fixtures/tsgrad-from-sources.mjs", "examples/consumer/app.mjs"], { encoding: "utf8" });
  const losses = [...out.matchAll(/loss ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 5);
  assert.ok(losses[4] < losses[0] / 10, `the loss falls: ${losses}`);
  assert.match(out, /^value 1 grad 0\.5$/m);
  assert.match(out, /^chain state entries 2$/m);
  const caught = [...out.matchAll(/^caught: (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(caught, [
    "mul: operand 2 must be a Tensor or a number, got an array (make it one with tensor(…))",
    "sigmoid: argument 1 must be a Tensor, got the number 3",
    "normal: the shape must be an array of whole numbers ≥ 0, e.g. [3] or [2, 3], got the number 3",
    "grad: unknown option \"argnum\" (the options are argnums and hasAux)",
    "vmap: inAxes must be a number or an array with one entry per argument, got the string \"0\"",
    "tensor: expected a number at [1], got the string \"2\"",
  ]);
});
