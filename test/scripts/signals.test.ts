/** Ctrl-C keeps the README's promise (issue 12, items 5-7): under npm and npx tsx, when an epoch is one mini-batch, when npm alone is killed, and in a sweep. */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
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

/** Polls `check` (reading the process table, not sleeping on a guess) until it holds or 20 s have passed. */
function untilTrue(check: () => boolean): boolean {
  const end = Date.now() + 20_000;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    execFileSync("sleep", ["0.05"]);
  }
}

/** Processes whose command line mentions `marker`, other than ps and grep. */
function processesWith(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n").filter((l) => l.includes(marker) && !l.includes("ps -eo"));
}

for (const [how, command, prefix, signal] of [
  ["npm run train", npm, ["run", "-s", "train", "--"], "SIGTERM"],
  ["npm run train", npm, ["run", "-s", "train", "--"], "SIGKILL"],
  ["npm run train", npm, ["run", "-s", "train", "--"], "SIGINT"],
  ["npx tsx scripts/train.ts", npx, ["tsx", "scripts/train.ts"], "SIGKILL"],
] as const) {
  test(`killing ${how} (${signal} to ${command} alone) stops the trainer too, with its checkpoint`, async () => {
    const dir = tempDir();
    const ck = join(dir, "ck.json");
    const child = spawn(command, [...prefix, "--data", data, "--layers", "64,16,10", "--epochs", "500", "--batch-size", "2", "--checkpoint", ck], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", sent = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes("Epoch 0:")) {
        sent = true;
        process.kill(child.pid as number, signal);
      }
    });
    // stdout closes when the last process holding it (the trainer) has exited.
    await new Promise((resolve) => child.stdout.on("close", resolve));
    assert.deepEqual(processesWith(ck), []);
    assert.match(stderr, /resume with: npm run train -- --resume /);
    assert.doesNotMatch(stdout, /^Epoch 499:/m);
  });
}

test("a sweep's SIGTERM ends its runs and removes its temporary directory", async () => {
  const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("tsgrad-sweep-")));
  const marker = blobDirectory(600, 100, 8, 4);
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/sweep.ts", "--data", marker, "--layers", "64,16,10", "--epochs", "500", "--batch-size", "2", "--eta", "1", "3", "--out", tempDir()], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "", sent = false;
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Both runs under way: the second has started and both trainers are there to be seen.
      if (!sent && stderr.includes("run 2/2") && untilTrue(() => processesWith(marker).length >= 2)) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    child.on("close", resolve);
  });
  assert.equal(code, 130, stderr);
  // The sweep ends its runs before it exits; each is gone once the process table no longer shows it.
  assert.ok(untilTrue(() => processesWith(marker).length === 0), `runs left: ${processesWith(marker).join("; ")}`);
  assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith("tsgrad-sweep-") && !before.has(n)), []);
});
