/** Generated data for tests: small learnable IDX data sets and a way to run the scripts as a user would. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Stream, key } from "../core/index.ts";
import { encodeIdx } from "../datasets/index.ts";

/** A side×side image per example: class c is a bright blob at its own place on a 4×3 grid, plus noise. */
export function blobImages(count: number, side: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const s = new Stream(key(seed));
  const images = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = s.nextInt(10);
    labels[i] = c;
    const cx = ((c % 4) + 0.5) * (side / 4) + (s.nextFloat() - 0.5), cy = (Math.floor(c / 4) + 0.5) * (side / 3) + (s.nextFloat() - 0.5);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      const d2 = (x - cx) ** 2 + (y - cy) ** 2;
      const v = 255 * Math.exp(-d2 / 2) + 30 * s.nextFloat();
      images[i * side * side + y * side + x] = Math.min(255, Math.round(v));
    }
  }
  return { images, labels };
}

/** A temporary directory holding the four MNIST-named IDX files of blob images. */
export function blobDirectory(trainCount = 600, testCount = 200, side = 8, seed = 1): string {
  const dir = mkdtempSync(join(tmpdir(), "tsgrad-data-"));
  const write = (prefix: string, count: number, s: number) => {
    const { images, labels } = blobImages(count, side, s);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([count, side, side], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([count], labels));
  };
  write("train", trainCount, seed);
  write("t10k", testCount, seed + 1000);
  return dir;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tsgrad-out-"));
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `scripts/<name>.ts` with tsx, as `npm run <name> -- args` would. */
export function runScript(name: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", `scripts/${name}.ts`, ...args], { timeout: options.timeoutMs ?? 120000, env: { ...process.env, FORCE_COLOR: "0" } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
