/**
 * Reads digits from pictures with a saved model: PNG or JPEG, any size and colours, one file, several, or a
 * folder of them. One file prints the digit and the ten scores; several print a line each; --json prints one
 * JSON list. --show-input writes the 28×28 image the network was given.
 */
import { readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { PNG } from "pngjs";
import { argmaxRows, cast, Tensor } from "../core/index.ts";
import { toMnistDigit } from "../datasets/index.ts";
import { readPicture } from "./cli/picture.ts";
import { backendFlag } from "./cli/backend.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { checkOutputs, makeDirectory, readInputFile, writeFileAtomicBytes } from "./cli/files.ts";
import { booleanFlag, commandLine, invokedAs, nonEmpty } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";

const table = {
  backend: { ...backendFlag, default: undefined, help: `${backendFlag.help} (default: the one the model was trained with)` },
  json: booleanFlag('print one JSON list of {"file", "digit", "scores"}'),
  "show-input": { codec: nonEmpty, placeholder: "PATH", help: "write the normalised 28×28 image fed to the network: a PNG file for one picture, a directory for several" },
} as const;

const PICTURE = /\.(png|jpe?g)$/i;

/** The largest picture file read: a 40-megapixel PNG without compression is 160 MB. */
const MAX_PICTURE_BYTES = 200 * 2 ** 20;

function readBytes(path: string): Buffer {
  return readInputFile(path, MAX_PICTURE_BYTES, "picture");
}

/** Where --show-input writes each picture's 28×28 input in DIR: its base name, with -2, -3, … where two pictures share one. */
function showInputNames(files: readonly string[], dir: string): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = basename(file, extname(file));
    let name = `${base}.28x28.png`;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}.28x28.png`;
    used.add(name);
    return join(dir, name);
  });
}

/** The pictures named: files as given, and the PNG and JPEG files inside any folder, sorted; several when more than one file or any folder. */
function pictures(paths: readonly string[]): { files: string[]; several: boolean } {
  const files = paths.flatMap((p) => {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      return [p]; // reading it will say what is wrong
    }
    if (!isDir) return [p];
    const inside = readdirSync(p).filter((n) => PICTURE.test(n)).sort().map((n) => join(p, n));
    if (inside.length === 0) throw new UserError(`${p}: a folder with no .png, .jpg or .jpeg files`);
    return inside;
  });
  return { files, several: files.length > 1 || paths.some((p) => statSafe(p)?.isDirectory() === true) };
}

/** The 28×28 input as a PNG: white ink on black, as MNIST's digits are. */
function inputPng(pixels: Float64Array): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

runMain(() => {
  const parsed = commandLine(
    table,
    { usage: "npm run predict -- MODEL.json PICTURE... [flags]", about: "Reads the digit in each picture (PNG or JPEG, any size, dark-on-light or light-on-dark; files or folders) with a saved model." },
    { min: 2, max: Infinity, names: "the model file and at least one picture" },
  );
  if (parsed === undefined) return 0;
  const [modelPath, ...given] = parsed.positionals;
  // A picture where the model should be (the arguments swapped) gets one clear line, not a JSON parser's.
  const model = readModel(modelPath, parsed.flags.backend, `a picture where the model file should be; give the model first: ${invokedAs("predict")} MODEL.json PICTURE...`);
  if (model.net.inputSize !== 784) throw new UserError(`${modelPath}: the model takes ${model.net.inputSize} inputs; predict reads 28×28 digits (784)`);
  const { files, several } = pictures(given);
  const show = parsed.flags["show-input"];
  if (show !== undefined) {
    if (!several) checkOutputs([["--show-input", show]], [modelPath, ...files]);
    else {
      makeDirectory(show, "--show-input");
      if (!statSafe(show)?.isDirectory()) throw new UserError(`--show-input: with ${files.length} pictures, give a directory (${show} is not one)`);
    }
  }
  // Each picture on its own: with several, a bad one is reported and the rest are still read.
  const read = files.map((file): { file: string; input?: Float64Array; error?: string } => {
    try {
      const digit = toMnistDigit(readPicture(file, readBytes(file)));
      if (digit._tag === "Left") throw new UserError(`${file}: ${digit.left.message}`);
      return { file, input: digit.right };
    } catch (e) {
      if (!(e instanceof UserError) || !several) throw e;
      return { file, error: e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message };
    }
  });
  const good = read.filter((r) => r.input !== undefined);
  const batch = new Float64Array(784 * good.length);
  good.forEach((r, i) => batch.set(r.input!, 784 * i));
  const out = good.length === 0 ? undefined : model.net.apply(model.params, cast(new Tensor([good.length, 784], batch), model.dtype));
  const digits = out === undefined ? [] : argmaxRows(out);
  const scoresOf = (i: number) => Array.from(out!.data.subarray(10 * i, 10 * i + 10));
  if (show !== undefined) {
    const targets = several ? showInputNames(good.map((r) => r.file), show) : [show];
    checkOutputs(targets.map((t) => ["--show-input", t] as const), [modelPath, ...files]);
    good.forEach((r, i) => writeFileAtomicBytes(targets[i], inputPng(r.input!), "--show-input"));
  }
  let at = 0;
  const results = read.map((r) => (r.error !== undefined ? { file: r.file, error: r.error } : { file: r.file, digit: digits[at], scores: scoresOf(at++) }));
  for (const r of results) if ("error" in r) process.stderr.write(`error: ${r.file}: ${r.error}\n`);
  if (parsed.flags.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else if (!several) {
    const only = results[0] as { digit: number; scores: number[] };
    const scores = only.scores.map((s, i) => `  ${i}: ${s.toFixed(4)}${i === only.digit ? "  <" : ""}`);
    process.stdout.write(`digit: ${only.digit}\nscores:\n${scores.join("\n")}\n`);
  } else {
    for (const r of results) if (!("error" in r)) process.stdout.write(`${r.file}: ${r.digit} (score ${r.scores[r.digit].toFixed(4)})\n`);
  }
  const failed = results.length - good.length;
  if (failed > 0) {
    process.stderr.write(`${failed} of ${results.length} pictures could not be read\n`);
    return 1;
  }
  return 0;
});

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
