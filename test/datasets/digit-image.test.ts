/** predict's normaliser puts digits where MNIST has them (issue 12, item 19). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { toMnistDigit } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";

const centreOfMass = (px: ArrayLike<number>) => {
  let m = 0, cx = 0, cy = 0;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = px[y * 28 + x];
    m += v; cx += v * x; cy += v * y;
  }
  return [cx / m, cy / m];
};

test("MNIST's own digits, read back as pictures, keep MNIST's centre of mass (14, 14 in pixel indices) and mostly their pixels", () => {
  const r = loadIdxDirectory(mnistDirectory());
  assert.ok(r._tag === "Right");
  const t10k = r.right.test;
  const n = 200;
  let sx = 0, sy = 0, unchanged = 0;
  for (let i = 0; i < n; i++) {
    const raw = t10k.images.subarray(i * 784, (i + 1) * 784);
    const rgba = new Uint8Array(784 * 4);
    raw.forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
    const out = toMnistDigit({ width: 28, height: 28, rgba });
    assert.ok(out._tag === "Right");
    const [cx, cy] = centreOfMass(out.right);
    sx += cx; sy += cy;
    const [rx, ry] = centreOfMass(raw);
    if (Math.abs(cx - rx) < 0.75 && Math.abs(cy - ry) < 0.75) unchanged++;
  }
  assert.ok(Math.abs(sx / n - 14) < 0.15 && Math.abs(sy / n - 14) < 0.15, `mean centre ${sx / n}, ${sy / n}`);
  assert.ok(unchanged >= 0.95 * n, `${unchanged} of ${n} stayed within 0.75 px of where MNIST has them`);
});
