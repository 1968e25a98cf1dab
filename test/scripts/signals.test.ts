/** Ctrl-C keeps the README's promise (issue 12, items 5 and 6): under npm and npx tsx, and when an epoch is one mini-batch. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blobDirectory, tempDir } from "../fixtures.ts";

const data = blobDirectory(600, 100, 8, 3);

/** Starts a command in a process group of its own and, once stdout shows `Epoch 0:`, sends SIGINT to the whole group, as a terminal's Ctrl-C does. */
function interruptAfterFirstEpoch(command: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
  let stdout = "", stderr = "", sent = false;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes("Epoch 0:")) {
        sent = true;
        process.kill(-(child.pid as number), "SIGINT");
      }
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

for (const [how, command, prefix] of [
  ["npm run train", npm, ["run", "-s", "train", "--"]],
  ["npx tsx scripts/train.ts", npx, ["tsx", "scripts/train.ts"]],
] as const) {
  test(`a terminal's Ctrl-C under ${how} stops after the mini-batch, writes the checkpoint and prints how to resume`, async () => {
    const ck = join(tempDir(), "ck.json");
    const r = await interruptAfterFirstEpoch(command, [...prefix, "--data", data, "--layers", "64,16,10", "--epochs", "200", "--batch-size", "2", "--checkpoint", ck]);
    assert.match(r.stderr, /SIGINT: stopping after this mini-batch and writing the checkpoint/);
    assert.match(r.stderr, new RegExp(`interrupted at epoch \\d+(, batch \\d+)?; resume with: npm run train -- --resume ${ck}`));
    assert.ok(existsSync(ck));
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /^Epoch 199:/m);
  });
}

test("Ctrl-C is honoured when an epoch is a single mini-batch", async () => {
  const ck = join(tempDir(), "ck.json");
  const r = await interruptAfterFirstEpoch(process.execPath, ["--import", "tsx", "scripts/train.ts", "--data", data, "--layers", "64,16,10", "--epochs", "3000", "--batch-size", "600", "--checkpoint", ck]);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /resume with: npm run train -- --resume /);
  assert.doesNotMatch(r.stdout, /^Epoch 2999:/m);
});
