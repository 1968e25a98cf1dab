/**
 * Brings a picture of a digit to MNIST's form: white ink on black, the digit scaled to fit a
 * 20×20 box keeping its aspect ratio, placed in 28×28 with its centre of mass at the centre.
 * Pure: RGBA pixels in, 784 intensities in [0, 1] out.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, row-major. */
  readonly rgba: Uint8Array;
}

const SIDE = 28;
const BOX = 20;
/** Where MNIST puts a digit's centre of mass, in pixel indices (the same on both axes). */
const MNIST_CENTRE = 14;

/** Ink intensity per pixel in [0, 1]: luminance over a white background, inverted if the picture is dark-on-light. */
function inkOf(img: RgbaImage): Float64Array {
  const n = img.width * img.height;
  const lum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = img.rgba[4 * i + 3] / 255;
    const l = (0.299 * img.rgba[4 * i] + 0.587 * img.rgba[4 * i + 1] + 0.114 * img.rgba[4 * i + 2]) / 255;
    lum[i] = a * l + (1 - a); // transparent pixels count as white paper
  }
  // The border is background: if it is light, the ink is dark.
  let border = 0, count = 0;
  for (let x = 0; x < img.width; x++) { border += lum[x] + lum[(img.height - 1) * img.width + x]; count += 2; }
  for (let y = 0; y < img.height; y++) { border += lum[y * img.width] + lum[y * img.width + img.width - 1]; count += 2; }
  const lightBackground = border / count > 0.5;
  // Ink is measured from the background level, so a grey page does not become a grey digit.
  const bg = lightBackground ? border / count : 0;
  const ink = new Float64Array(n);
  for (let i = 0; i < n; i++) ink[i] = lightBackground ? Math.max(0, (bg - lum[i]) / Math.max(bg, 1e-9)) : lum[i];
  return ink;
}

/** Area-averaging resample of a w×h crop to ow×oh (each output pixel averages the input area it covers). */
function resample(src: Float64Array, sw: number, x0: number, y0: number, w: number, h: number, ow: number, oh: number): Float64Array {
  const out = new Float64Array(ow * oh);
  const sx = w / ow, sy = h / oh;
  for (let oy = 0; oy < oh; oy++) {
    const ya = oy * sy, yb = ya + sy;
    for (let ox = 0; ox < ow; ox++) {
      const xa = ox * sx, xb = xa + sx;
      let acc = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          acc += wx * wy * src[(y0 + y) * sw + x0 + x];
        }
      }
      out[oy * ow + ox] = acc / (sx * sy);
    }
  }
  return out;
}

/** The 784 MNIST-style intensities of a digit picture, or an error when there is no digit to see. */
export function toMnistDigit(img: RgbaImage): Either<Error, Float64Array> {
  if (img.width < 1 || img.height < 1) return left(new Error("image is empty"));
  const ink = inkOf(img);
  let max = 0;
  for (const v of ink) if (v > max) max = v;
  if (max < 0.1) return left(new Error("image has no visible digit (it is blank or has no contrast)"));
  // Bounding box of the ink, ignoring faint noise.
  const threshold = 0.2 * max;
  let minX = img.width, minY = img.height, maxX = -1, maxY = -1;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    if (ink[y * img.width + x] >= threshold) {
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  const w = maxX - minX + 1, h = maxY - minY + 1;
  const scale = BOX / Math.max(w, h);
  const ow = Math.max(1, Math.round(w * scale)), oh = Math.max(1, Math.round(h * scale));
  const small = resample(ink, img.width, minX, minY, w, h, ow, oh);
  // Centre of mass of the scaled digit goes where MNIST's digits have theirs: pixel (14, 14) counted from 0
  // (measured: 14.00, 13.99 over t10k), not the field's geometric centre 13.5.
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    const v = small[y * ow + x];
    mass += v; cx += v * x; cy += v * y;
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const dx = clamp(Math.round(MNIST_CENTRE - cx / mass), 0, SIDE - ow);
  const dy = clamp(Math.round(MNIST_CENTRE - cy / mass), 0, SIDE - oh);
  const out = new Float64Array(SIDE * SIDE);
  let peak = 0;
  for (const v of small) if (v > peak) peak = v;
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) out[(dy + y) * SIDE + dx + x] = Math.min(1, small[y * ow + x] / peak);
  return right(out);
}
