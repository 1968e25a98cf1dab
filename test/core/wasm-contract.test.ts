/** The TypeScript ↔ AssemblyScript contract: one declaration (core/kernels/wasm-contract.ts), checked against the built module. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { assemblyContract, PROGRAM_OPS, RECORD_WORDS } from "../../core/kernels/wasm-contract.ts";
import { wasmKernelsBase64 } from "../../core/kernels/wasm-module.generated.ts";

const module = new WebAssembly.Module(Buffer.from(wasmKernelsBase64, "base64"));
const exported = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
const instance = new WebAssembly.Instance(module, Object.fromEntries(
  [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))].map((m) => [m, { memory: new WebAssembly.Memory({ initial: 4 }), abort() {} }]),
));

test("every program op is a module export taking exactly the arguments its record holds", () => {
  for (const [name, kinds] of PROGRAM_OPS) {
    assert.equal(exported.get(name), "function", `${name} is exported`);
    const f = (instance.exports as Record<string, (...a: number[]) => void>)[name];
    assert.equal(f.length, kinds.length, `${name}: the contract says ${kinds.length} arguments, the module takes ${f.length}`);
    assert.ok(kinds.length < RECORD_WORDS, `${name}: its op code and ${kinds.length} arguments fit a record`);
  }
  assert.equal(exported.get("run"), "function");
});

test("the module's run switch is the contract's, case for case, and the AssemblyScript source does not declare its own", () => {
  const generated = assemblyContract();
  PROGRAM_OPS.forEach(([name, kinds], code) => {
    const args = [...kinds].map((k, i) => `${k === "f" ? "real" : "arg"}(r, ${i + 1})`).join(", ");
    assert.ok(generated.includes(`case ${code}: ${name}(${args}); break;`), `case ${code} calls ${name}`);
  });
  const source = readFileSync("core/kernels/assembly/kernels.ts", "utf8");
  for (const name of ["RECORD_WORDS", "SCRATCH_TAIL", "TEMP_ENTRIES", "TN_TRANSPOSE_BELOW", "TN_REGISTER_WIDTH"]) {
    assert.doesNotMatch(source, new RegExp(`const ${name}\\b`), `${name} is declared once, in wasm-contract.ts`);
  }
  assert.doesNotMatch(source, /export function run\(/, "run is generated from the contract");
});

test("every method the backend calls on the module is one the module exports", () => {
  const declaration = readFileSync("core/kernels/wasm-exports.ts", "utf8");
  const declared = /interface WasmExports \{([\s\S]*?)\n\}/.exec(declaration)?.[1] ?? "";
  const methods = [...declared.matchAll(/^\s+(\w+)\(([^)]*)\)/gm)].map((m) => [m[1], m[2].trim() === "" ? 0 : m[2].split(",").length] as const);
  assert.ok(methods.length > 10);
  for (const [name, arity] of methods) {
    assert.equal(exported.get(name), "function", `WasmExports.${name} is exported by the module`);
    assert.equal((instance.exports as Record<string, (...a: number[]) => void>)[name].length, arity, `WasmExports.${name} declares ${arity} arguments`);
  }
});
