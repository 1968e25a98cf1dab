/**
 * Brings a picture of a digit to MNIST's form: white ink on black, the digit scaled to fit a
 * 20×20 box keeping its aspect ratio, placed in 28×28 with its centre of mass at the centre.
 * Pure: RGBA pixels in, 784 intensities in [0, 1] out.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { readableError } from "../core/index.ts";

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, row-major (a canvas's ImageData.data is a Uint8ClampedArray). */
  readonly rgba: Uint8Array | Uint8ClampedArray;
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
  const ink = new Float64Array(n);
  if (!lightBackground) {
    for (let i = 0; i < n; i++) ink[i] = lum[i];
    return ink;
  }
  // Ink is measured from the paper around it, so uneven light, a shadow or a grey page do not become ink.
  const paper = paperLevel(lum, img.width, img.height);
  for (let i = 0; i < n; i++) ink[i] = Math.max(0, (paper[i] - lum[i]) / Math.max(paper[i], 1e-9));
  removeRuledLines(ink, img.width, img.height);
  return ink;
}

/** The q-quantile of the values a[from], a[from + step], … (n of them). */
function quantile(a: Float64Array, from: number, step: number, n: number, q: number): number {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = a[from + i * step];
  v.sort();
  return v[Math.floor(q * (n - 1))];
}

/**
 * Ruled or squared paper: a line crosses the whole picture, so even the lightest fifth of its row (or
 * column) is dark; a digit's stroke never fills four fifths of one. That level is taken off each row and column.
 */
function removeRuledLines(ink: Float64Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const line = quantile(ink, y * w, 1, w, 0.2);
    if (line > 0) for (let x = 0; x < w; x++) ink[y * w + x] = Math.max(0, ink[y * w + x] - line);
  }
  for (let x = 0; x < w; x++) {
    const line = quantile(ink, x, w, h, 0.2);
    if (line > 0) for (let y = 0; y < h; y++) ink[y * w + x] = Math.max(0, ink[y * w + x] - line);
  }
}

/**
 * The brightness of the paper at each pixel of a dark-on-light picture: the brightest value of each block
 * of about a tenth of the picture, the largest over each block's neighbours (so a block inside a thick
 * stroke still sees paper), interpolated between block centres.
 */
function paperLevel(lum: Float64Array, w: number, h: number): Float64Array {
  const b = Math.max(4, Math.round(Math.min(w, h) / 10));
  const gw = Math.ceil(w / b), gh = Math.ceil(h / b);
  const block = new Float64Array(gw * gh);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const g = Math.floor(y / b) * gw + Math.floor(x / b);
    if (lum[y * w + x] > block[g]) block[g] = lum[y * w + x];
  }
  const grid = new Float64Array(gw * gh);
  for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) {
    let m = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const x = gx + dx, y = gy + dy;
      if (x >= 0 && y >= 0 && x < gw && y < gh) m = Math.max(m, block[y * gw + x]);
    }
    grid[gy * gw + gx] = m;
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) / b - 0.5, 0), gh - 1), y0 = Math.floor(fy), y1 = Math.min(y0 + 1, gh - 1), ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) / b - 0.5, 0), gw - 1), x0 = Math.floor(fx), x1 = Math.min(x0 + 1, gw - 1), tx = fx - x0;
      const top = grid[y0 * gw + x0] * (1 - tx) + grid[y0 * gw + x1] * tx;
      const bottom = grid[y1 * gw + x0] * (1 - tx) + grid[y1 * gw + x1] * tx;
      out[y * w + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
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

/** Otsu's threshold of values in [0, 1]: the level that best splits them into two classes (ink and paper). */
export function otsuThreshold(values: Float64Array): number {
  const bins = 256, hist = new Float64Array(bins);
  for (const v of values) hist[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
  let total = 0, sumAll = 0;
  for (let i = 0; i < bins; i++) { total += hist[i]; sumAll += i * hist[i]; }
  let wB = 0, sumB = 0, best = 0, bestVar = -1;
  for (let t = 0; t < bins; t++) {
    wB += hist[t];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t];
    const mB = sumB / wB, mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > bestVar) { bestVar = between; best = t; }
  }
  return (best + 1) / bins;
}

/** Labels the 8-connected components of `mask` (w×h); returns each pixel's component (-1 off the mask) and the sizes. */
function components(mask: Uint8Array, w: number, h: number): { label: Int32Array; sizes: number[] } {
  const label = new Int32Array(w * h).fill(-1);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (mask[start] === 0 || label[start] >= 0) continue;
    const id = sizes.length;
    let size = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      size++;
      const px = p % w, py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const x = px + dx, y = py + dy;
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const q = y * w + x;
        if (mask[q] !== 0 && label[q] < 0) { label[q] = id; stack.push(q); }
      }
    }
    sizes.push(size);
  }
  return { label, sizes };
}

/**
 * Keeps the ink of the digit only: pixels above Otsu's threshold form components, and the largest one, with
 * any other at least a quarter its size (a broken stroke), is kept; shadows, specks and ruled lines that do
 * not touch it are dropped. Returns undefined when what is left is a solid block, not strokes.
 */
function digitInk(ink: Float64Array, w: number, h: number): Float64Array | undefined {
  // Otsu splits paper from ink; a large faint area (a shadow, a stain) can pull it below the strokes, so the
  // threshold is also at least a third of the strong ink's level (its 99th percentile).
  const sorted = Float64Array.from(ink).sort();
  const strong = sorted[Math.floor(0.99 * (sorted.length - 1))];
  const threshold = Math.max(otsuThreshold(ink), strong / 3, 0.1);
  const mask = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) mask[i] = ink[i] >= threshold ? 1 : 0;
  const { label, sizes } = components(mask, w, h);
  if (sizes.length === 0) return undefined;
  // A loop, not Math.max(...sizes): a picture of 360,000 dots has as many pieces, more than a call takes arguments.
  let largest = 0;
  for (const size of sizes) if (size > largest) largest = size;
  const keep = sizes.map((s) => s >= largest / 4);
  // Kept components, grown by one pixel so the anti-aliased edge of each stroke stays.
  const kept = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) {
    if (label[i] < 0 || !keep[label[i]]) continue;
    const x = i % w, y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < w && yy < h) kept[yy * w + xx] = 1;
    }
  }
  let minX = w, minY = h, maxX = -1, maxY = -1, strokes = 0;
  for (let i = 0; i < ink.length; i++) {
    if (label[i] < 0 || !keep[label[i]]) continue;
    strokes++;
    const x = i % w, y = (i - x) / w;
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  const bw = maxX - minX + 1, bh = maxY - minY + 1;
  // A digit is strokes: a blob filling most of a box that is not long and thin (a "1") is not one.
  if (strokes > 0.85 * bw * bh && Math.max(bw, bh) < 3 * Math.min(bw, bh)) return undefined;
  const out = new Float64Array(ink.length);
  for (let i = 0; i < ink.length; i++) if (kept[i] !== 0) out[i] = ink[i];
  return out;
}

/** The 784 MNIST-style intensities of a digit picture, or an error when there is no digit to see. */
export function toMnistDigit(img: RgbaImage): Either<Error, Float64Array> {
  // (Checked first: a width and height the bytes do not hold would read past them, or run for minutes.)
  if (typeof img !== "object" || img === null || !(img.rgba instanceof Uint8Array || img.rgba instanceof Uint8ClampedArray)) {
    return left(readableError("image must be {width, height, rgba} with rgba a Uint8Array or Uint8ClampedArray of width × height × 4 bytes"));
  }
  if (!Number.isSafeInteger(img.width) || !Number.isSafeInteger(img.height) || img.width < 0 || img.height < 0) {
    return left(readableError(`image size must be whole numbers, got ${String(img.width)} × ${String(img.height)}`));
  }
  if (img.width < 1 || img.height < 1) return left(readableError("image is empty"));
  if (img.rgba.length !== img.width * img.height * 4) {
    return left(readableError(`image of ${img.width} × ${img.height} needs ${img.width * img.height * 4} RGBA bytes, got ${img.rgba.length}`));
  }
  const raw = inkOf(img);
  let rawMax = 0;
  for (const v of raw) if (v > rawMax) rawMax = v;
  if (rawMax < 0.1) return left(readableError("image has no visible digit (it is blank or has no contrast)"));
  const ink = digitInk(raw, img.width, img.height);
  if (ink === undefined) return left(readableError("image has no digit-like ink (a solid shape, not strokes)"));
  let max = 0;
  for (const v of ink) if (v > max) max = v;
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
