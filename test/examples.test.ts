import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

// The README's examples must run as written.
const run = (file: string) => execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8" });

test("examples/gradient.ts prints the gradient tree", () => {
  const out = run("examples/gradient.ts");
  assert.match(out, /df\/dw = \[ \[ 0\.6193\d+ \], \[ -0\.1802\d+ \] \]/);
  assert.match(out, /df\/db = \[ 0 \]/);
});

test("examples/custom-cost.ts trains XOR with a user-defined Huber cost", () => {
  assert.match(run("examples/custom-cost.ts"), /predicted: \[ 0, 1, 1, 0 \]/);
});
