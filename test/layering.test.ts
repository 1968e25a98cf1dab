import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
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

test("imports point down only: core imports nothing of ours above it; nn and datasets never import each other or scripts", () => {
  const rules: [string, RegExp][] = [
    ["core", /^\.\.\/+(\.\.\/)*(nn|datasets|node|scripts|test)\//],
    ["nn", /(datasets|node|scripts|test)\//],
    ["datasets", /(\/nn\/|\/node\/|scripts|test)\//],
    ["node", /(\/nn\/|scripts|test)\//],
    ["playground", /(\/node\/|scripts|test)\//],
  ];
  for (const [dir, forbidden] of rules) {
    for (const file of sources(dir)) {
      for (const i of importsOf(file)) assert.doesNotMatch(i, forbidden, `${file} imports ${i}`);
    }
  }
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
