/** Reads a digit from a PNG with a saved model: prints the digit and the ten scores. */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { argmaxRows, cast, Tensor } from "../core/index.ts";
import { toMnistDigit } from "../datasets/index.ts";
import { runMain, UserError } from "./cli/exit.ts";
import { commandLine } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";
import { backendFlag } from "./cli/backend.ts";

const table = {
  backend: { ...backendFlag, default: undefined, help: `${backendFlag.help} (default: the one the model was trained with)` },
} as const;

/** The largest picture predict decodes (a 12-megapixel photo is well inside; its RGBA takes 4 bytes a pixel). */
const MAX_PIXELS = 40e6;

function readPng(path: string): { width: number; height: number; rgba: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read (${code ?? String(e)})`);
  }
  // The size is read from the header before anything is decoded: a 20000×20000 picture would take gigabytes.
  const PNG_SIGNATURE = "89504e470d0a1a0a";
  if (bytes.length >= 24 && bytes.subarray(0, 8).toString("hex") === PNG_SIGNATURE && bytes.subarray(12, 16).toString("latin1") === "IHDR") {
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

runMain(() => {
  const parsed = commandLine(
    table,
    { usage: "npm run predict -- MODEL.json IMAGE.png", about: "Reads the digit in a PNG (any size, black-on-white or white-on-black) with a saved model." },
    { min: 2, max: 2, names: "the model file and the PNG image" },
  );
  if (parsed === undefined) return 0;
  const [modelPath, imagePath] = parsed.positionals;
  const model = readModel(modelPath, parsed.flags.backend);
  if (model.net.inputSize !== 784) throw new UserError(`${modelPath}: the model takes ${model.net.inputSize} inputs; predict reads 28×28 digits (784)`);
  const digitImage = toMnistDigit(readPng(imagePath));
  if (digitImage._tag === "Left") throw new UserError(`${imagePath}: ${digitImage.left.message}`);
  const pixels = digitImage.right;
  const out = model.net.apply(model.params, cast(new Tensor([1, 784], pixels), model.dtype));
  const digit = argmaxRows(out)[0];
  const scores = Array.from(out.data, (s, i) => `  ${i}: ${s.toFixed(4)}${i === digit ? "  <" : ""}`);
  process.stdout.write(`digit: ${digit}\nscores:\n${scores.join("\n")}\n`);
  return 0;
});
