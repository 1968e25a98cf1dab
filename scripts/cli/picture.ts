/**
 * Pictures for predict: PNG or JPEG bytes to RGBA, with every size checked before memory is spent on it
 * (the declared width and height, each side, and what a PNG's compressed data inflates to), and large
 * photos brought down to about a megapixel before the digit is looked for (a digit needs far fewer pixels;
 * the normaliser's passes over 12 million took 5 s).
 */
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import type { RgbaImage } from "../../datasets/index.ts";
import { UserError } from "./exit.ts";

/** The largest picture decoded, in pixels (a 12-megapixel photo is well inside; RGBA takes 4 bytes a pixel). */
export const MAX_PIXELS = 40e6;
/** The longest side decoded: a 1 × 40,000,000 strip is "within" MAX_PIXELS but costs the PNG decoder a buffer per row. */
export const MAX_SIDE = 20_000;
/** Pictures above this many pixels are averaged down to it before the digit is looked for. */
export const WORKING_PIXELS = 1_200_000;

const PNG_SIGNATURE = "89504e470d0a1a0a";

export type PictureKind = "png" | "jpeg" | "gif" | "json" | "other";

export function kindOf(bytes: Uint8Array): PictureKind {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b.subarray(0, 8).toString("hex") === PNG_SIGNATURE) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.subarray(0, 4).toString("latin1") === "GIF8") return "gif";
  return b.subarray(0, 64).toString("utf8").trimStart().startsWith("{") ? "json" : "other";
}

function checkSize(path: string, width: number, height: number): void {
  if (width === 0 || height === 0) throw new UserError(`${path}: a picture of ${width}×${height} pixels has nothing to read`);
  if (width > MAX_SIDE || height > MAX_SIDE) throw new UserError(`${path}: ${width}×${height} pixels has a side longer than the ${MAX_SIDE} predict reads; scale the picture down`);
  if (width * height > MAX_PIXELS) throw new UserError(`${path}: ${width}×${height} pixels is more than the ${MAX_PIXELS / 1e6} million predict reads; scale the picture down`);
}

/** Bytes per pixel of a PNG colour type and bit depth (rounded up to whole bytes per row by the caller). */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The most bytes a PNG of this header can inflate to: its rows (each with its filter byte), per pass when interlaced. */
function pngRawBytes(width: number, height: number, bits: number, colourType: number, interlaced: boolean): number {
  const bitsPerPixel = (PNG_CHANNELS[colourType] ?? 4) * bits;
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  // Adam7's seven passes: [x start, x step, y start, y step].
  const passes = [[0, 8, 0, 8], [4, 8, 0, 8], [0, 4, 4, 8], [2, 4, 0, 4], [0, 2, 2, 4], [1, 2, 0, 2], [0, 1, 1, 2]];
  return passes.reduce((n, [x0, dx, y0, dy]) => n + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

/** Checks a PNG's header and that its image data inflates to no more than the header allows, before pngjs decodes it. */
function checkPng(path: string, bytes: Buffer): void {
  if (bytes.length < 33 || bytes.subarray(12, 16).toString("latin1") !== "IHDR") throw new UserError(`${path}: not a PNG image we can decode (no IHDR header)`);
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  checkSize(path, width, height);
  const limit = pngRawBytes(width, height, bytes[24], bytes[25], bytes[28] === 1);
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at), type = bytes.subarray(at + 4, at + 8).toString("latin1");
    if (at + 12 + length > bytes.length) break; // pngjs names a cut file
    if (type === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === "IEND") break;
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new UserError(`${path}: its image data inflates to more than its ${width}×${height} pixels need; not a PNG predict reads`);
    // Other damage: pngjs gives the message.
  }
}

/** Width and height from a JPEG's frame header (SOFn), without decoding; undefined when there is none. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  for (let at = 2; at + 9 < bytes.length;) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    at += 2 + length;
  }
  return undefined;
}

/** libjpeg-turbo compiled to WebAssembly: 12 MP in ~0.4 s and ~150 MB (jpeg-js took 2.3 s and ~490 MB). */
type JpegTurbo = { decode(source: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } };
let turbo: JpegTurbo | undefined;
function jpegTurbo(): JpegTurbo {
  turbo ??= createRequire(import.meta.url)("@cwasm/jpeg-turbo") as JpegTurbo;
  return turbo;
}

function decodeJpeg(path: string, bytes: Buffer): RgbaImage {
  const size = jpegSize(bytes);
  if (size !== undefined) checkSize(path, size.width, size.height);
  try {
    const img = jpegTurbo().decode(bytes);
    return { width: img.width, height: img.height, rgba: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
  } catch {
    // libjpeg-turbo's wasm build cannot say what is wrong (its error path is a longjmp it does not have): jpeg-js can.
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new UserError(/maxResolutionInMP|maxMemoryUsage/.test(msg) ? `${path}: more than the ${MAX_PIXELS / 1e6} million pixels predict reads; scale the picture down` : `${path}: not a JPEG image we can decode (${msg})`);
    }
  }
}

/** The picture averaged down by a whole factor in each direction, so it has at most `pixels` pixels (the same picture when it already has). */
export function shrink(img: RgbaImage, pixels = WORKING_PIXELS): RgbaImage {
  const f = Math.ceil(Math.sqrt((img.width * img.height) / pixels));
  if (f <= 1) return img;
  const w = Math.floor(img.width / f), h = Math.floor(img.height / f);
  const out = new Uint8Array(4 * w * h);
  const sums = new Float64Array(4 * w);
  for (let y = 0; y < h; y++) {
    sums.fill(0);
    for (let dy = 0; dy < f; dy++) {
      const row = (y * f + dy) * img.width * 4;
      for (let x = 0; x < w; x++) {
        for (let dx = 0, p = row + x * f * 4; dx < f; dx++, p += 4) {
          sums[4 * x] += img.rgba[p];
          sums[4 * x + 1] += img.rgba[p + 1];
          sums[4 * x + 2] += img.rgba[p + 2];
          sums[4 * x + 3] += img.rgba[p + 3];
        }
      }
    }
    for (let i = 0; i < 4 * w; i++) out[4 * w * y + i] = Math.round(sums[i] / (f * f));
  }
  return { width: w, height: h, rgba: out };
}

/** Decodes a PNG or JPEG to RGBA (at most WORKING_PIXELS of it), refusing what is too large before decoding it. */
export function readPicture(path: string, bytes: Buffer): RgbaImage {
  const kind = kindOf(bytes);
  if (kind === "png") {
    checkPng(path, bytes);
    let png: PNG;
    try {
      // pngjs decodes every PNG colour type and bit depth to 8-bit RGBA.
      png = PNG.sync.read(bytes);
    } catch (e) {
      throw new UserError(`${path}: not a PNG image we can decode (${e instanceof Error ? e.message : String(e)})`);
    }
    return shrink({ width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) });
  }
  if (kind === "jpeg") return shrink(decodeJpeg(path, bytes));
  throw new UserError(`${path}: not a PNG or JPEG picture${kind === "json" ? " (it looks like a model file: the model comes first, then the pictures)" : ""}`);
}
