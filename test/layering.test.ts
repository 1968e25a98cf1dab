import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === "assembly" ? [] : sources(p);
    return p.endsWith(".ts") && !p.endsWith(".generated.ts") ? [p] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]);

test("core/, nn/, datasets/ and playground/ use no Node-only module, so they run unchanged in a browser (node/ holds what needs Node)", () => {
  for (const file of [...sources("core"), ...sources("nn"), ...sources("datasets"), ...sources("playground")]) {
    const text = readFileSync(file, "utf8");
    assert.ok(!importsOf(file).some((i) => i.startsWith("node:")), `${file} imports a node: module`);
    assert.doesNotMatch(text, /\bprocess\.|\brequire\(|\bBuffer\./, `${file} uses a Node global`);
  }
});

/** The folders each floor may import from (its own included); npm packages and node: modules are not ours. */
const allowed: Readonly<Record<string, readonly string[]>> = {
  core: ["core"],
  nn: ["core", "nn"],
  datasets: ["core", "datasets"],
  node: ["core", "datasets", "node"],
  playground: ["core", "nn", "datasets", "playground"],
  scripts: ["core", "nn", "datasets", "node", "scripts"],
};

/** The top folder a relative import from `file` lands in ("" for a package or node: module). */
function folderOf(file: string, spec: string): string {
  if (!spec.startsWith(".")) return "";
  return relative(".", resolve(dirname(file), spec)).split(sep)[0];
}

/** The imports of `file` (given its import specifiers) that break the floors' rule. */
function violations(file: string, imports: readonly string[]): string[] {
  const from = file.split(/[\\/]/)[0];
  return imports.filter((i) => {
    const to = folderOf(file, i);
    return to !== "" && !(allowed[from] ?? []).includes(to);
  });
}

test("imports point down only: core imports nothing of ours above it; nn and datasets never import each other, node, scripts or tests", () => {
  for (const dir of Object.keys(allowed)) {
    for (const file of sources(dir)) assert.deepEqual(violations(file, importsOf(file)), [], `${file} imports across the floors`);
  }
});

test("the floors' rule catches a planted import of each forbidden kind (and lets the allowed ones through)", () => {
  const planted: [string, string][] = [
    ["core/tensor.ts", "../nn/index.ts"], ["core/ops/conv.ts", "../../datasets/index.ts"], ["core/jit.ts", "../scripts/cli/exit.ts"],
    ["nn/dense.ts", "../datasets/index.ts"], ["nn/train.ts", "../node/index.ts"], ["nn/spec.ts", "../scripts/cli/flags.ts"], ["nn/model.ts", "../test/helpers.ts"],
    ["datasets/idx.ts", "../nn/index.ts"], ["datasets/split.ts", "../node/index.ts"], ["datasets/dataset.ts", "../scripts/train.ts"],
    ["node/load.ts", "../nn/index.ts"], ["node/load.ts", "../scripts/cli/exit.ts"],
    ["playground/main.ts", "../node/index.ts"], ["playground/worker.ts", "../scripts/cli/charts.ts"],
    ["scripts/train.ts", "../test/fixtures.ts"], ["scripts/cli/data.ts", "../../playground/setup.ts"],
  ];
  for (const [file, spec] of planted) assert.deepEqual(violations(file, [spec]), [spec], `${file} importing ${spec} is caught`);
  const fine: [string, string][] = [["nn/dense.ts", "../core/index.ts"], ["node/load.ts", "../datasets/index.ts"], ["scripts/train.ts", "../nn/index.ts"], ["core/ops/conv.ts", "../tensor.ts"], ["nn/spec.ts", "fp-ts/lib/Either.js"]];
  for (const [file, spec] of fine) assert.deepEqual(violations(file, [spec]), [], `${file} may import ${spec}`);
});

test("other folders reach core/, nn/ and datasets/ only through their index.ts", () => {
  for (const dir of ["core", "nn", "datasets", "node", "scripts", "playground", "examples"]) {
    for (const file of sources(dir)) {
      for (const i of importsOf(file)) {
        const m = /^(\.\.\/)+(core|nn|datasets|node)\/(.+)$/.exec(i);
        if (m !== null && !file.startsWith(`${m[2]}/`)) assert.equal(m[3], "index.ts", `${file} imports ${i}`);
      }
    }
  }
});
