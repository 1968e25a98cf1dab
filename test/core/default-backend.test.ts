/** The library's default: the fastest kernels (wasm SIMD, float32), tensors following the backend's dtype. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

test("by default the library runs the wasm kernels in float32 (float64 asked for gives the reference's numbers); setBackend switches, and mixed dtypes say how to cast", () => {
  // A fresh process without test/setup.ts (which puts the other tests on the reference kernels).
  const out = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "test/fixtures/default-backend.ts"], { encoding: "utf8" }));
  assert.equal(out.before.wasm, true, "WebAssembly SIMD runs on this Node");
  assert.deepEqual(out.before, { wasm: true, kernels: "wasm", dtype: "float32", tensor: "float32", normal: "float32", params: ["float32", "float32"] });
  assert.equal(out.mixed, `add: dtypes differ (float64 and float32); cast one to the other, e.g. cast(x, "float32") (tensors made without a dtype get the backend's, now float32)`);
  assert.deepEqual(out.js, { kernels: "fast", dtype: "float64", tensor: "float64" });
  assert.equal(out.float64.dtype, "float64");
  assert.ok(out.float64.gap < 1e-13, `float64 on the default kernels equals the reference: gap ${out.float64.gap}`);
  assert.equal(out.bad, `setBackend: the backends are "wasm", "js" and "reference", got "gpu"`);
});
