/**
 * Reads digits from pictures with a saved model: PNG or JPEG, any size and colours, one file, several, or a
 * folder of them. One file prints the digit and the ten scores; several print a line each; --json prints one
 * JSON list. --show-input writes the 28×28 image the network was given.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { argmaxRows, cast, Tensor } from "../core/index.ts";
import { toMnistDigit, type RgbaImage } from "../datasets/index.ts";
import { backendFlag } from "./cli/backend.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { checkOutputs, writeFileAtomicBytes } from "./cli/files.ts";
import { booleanFlag, commandLine, nonEmpty, oneOf } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";

const table = {
  backend: { ...backendFlag, default: undefined, help: `${backendFlag.help} (default: the one the model was trained with)` },
  json: booleanFlag('print one JSON list of {"file", "digit", "scores"}'),
  "show-input": { codec: nonEmpty, placeholder: "PATH", help: "write the normalised 28×28 image fed to the network: a PNG file for one picture, a directory for several" },
} as const;

/** The largest picture predict decodes (a 12-megapixel photo is well inside; its RGBA takes 4 bytes a pixel). */
const MAX_PIXELS = 40e6;
const PNG_SIGNATURE = "89504e470d0a1a0a";
const PICTURE = /\.(png|jpe?g)$/i;

type Kind = "png" | "jpeg" | "json" | "other";

function kindOf(bytes: Buffer): Kind {
  if (bytes.length >= 8 && bytes.subarray(0, 8).toString("hex") === PNG_SIGNATURE) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  const head = bytes.subarray(0, 64).toString("utf8").trimStart();
  return head.startsWith("{") ? "json" : "other";
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(code === "ENOENT" ? `${path}: no such file` : code === "EISDIR" ? `${path}: is a directory` : `${path}: cannot read (${code ?? String(e)})`);
  }
}

/** Decodes a PNG or JPEG to RGBA, refusing pictures above MAX_PIXELS before decoding them. */
function readPicture(path: string, bytes: Buffer): RgbaImage {
  const kind = kindOf(bytes);
  if (kind === "png") {
    if (bytes.length >= 24 && bytes.subarray(12, 16).toString("latin1") === "IHDR") {
      const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
      if (width * height > MAX_PIXELS) throw new UserError(`${path}: ${width}×${height} pixels is more than the ${MAX_PIXELS / 1e6} million predict reads; scale the picture down`);
    }
    try {
      // pngjs decodes every PNG colour type and bit depth to 8-bit RGBA.
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new UserError(`${path}: not a PNG image we can decode (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (kind === "jpeg") {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new UserError(/maxResolutionInMP|maxMemoryUsage/.test(msg) ? `${path}: more than the ${MAX_PIXELS / 1e6} million pixels predict reads; scale the picture down` : `${path}: not a JPEG image we can decode (${msg})`);
    }
  }
  throw new UserError(`${path}: not a PNG or JPEG picture${kind === "json" ? " (it looks like a model file: the model comes first, then the pictures)" : ""}`);
}

/** The pictures named: files as given, and the PNG and JPEG files inside any folder, sorted. */
function pictures(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
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
  const first = readBytes(modelPath);
  const firstKind = kindOf(first);
  if (firstKind === "png" || firstKind === "jpeg") throw new UserError(`${modelPath}: a picture where the model file should be; give the model first: npm run predict -- MODEL.json PICTURE...`);
  const model = readModel(modelPath, parsed.flags.backend);
  if (model.net.inputSize !== 784) throw new UserError(`${modelPath}: the model takes ${model.net.inputSize} inputs; predict reads 28×28 digits (784)`);
  const files = pictures(given);
  const show = parsed.flags["show-input"];
  if (show !== undefined) {
    if (files.length === 1) checkOutputs([["--show-input", show]]);
    else if (!statSafe(show)?.isDirectory()) throw new UserError(`--show-input: with ${files.length} pictures, give a directory (${show} is not one)`);
  }
  const inputs = files.map((file) => {
    const digit = toMnistDigit(readPicture(file, readBytes(file)));
    if (digit._tag === "Left") throw new UserError(`${file}: ${digit.left.message}`);
    return digit.right;
  });
  const batch = new Float64Array(784 * files.length);
  inputs.forEach((x, i) => batch.set(x, 784 * i));
  const out = model.net.apply(model.params, cast(new Tensor([files.length, 784], batch), model.dtype));
  const digits = argmaxRows(out);
  const scoresOf = (i: number) => Array.from(out.data.subarray(10 * i, 10 * i + 10));
  if (show !== undefined) {
    files.forEach((file, i) => {
      const target = files.length === 1 ? show : join(show, `${basename(file, extname(file))}.28x28.png`);
      writeFileAtomicBytes(target, inputPng(inputs[i]), "--show-input");
    });
  }
  if (parsed.flags.json) {
    process.stdout.write(`${JSON.stringify(files.map((file, i) => ({ file, digit: digits[i], scores: scoresOf(i) })))}\n`);
  } else if (files.length === 1) {
    const scores = scoresOf(0).map((s, i) => `  ${i}: ${s.toFixed(4)}${i === digits[0] ? "  <" : ""}`);
    process.stdout.write(`digit: ${digits[0]}\nscores:\n${scores.join("\n")}\n`);
  } else {
    for (let i = 0; i < files.length; i++) process.stdout.write(`${files[i]}: ${digits[i]} (score ${scoresOf(i)[digits[i]].toFixed(4)})\n`);
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
