import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PNG } from "pngjs";
import { loadIdxDirectory, mnistDirectory } from "../../datasets/index.ts";
import { runScript, tempDir } from "../fixtures.ts";

/** An MNIST test digit drawn as a person would: `scale`× larger, black ink on white, in RGB, off-centre on a wider page. */
function drawDigit(image: Uint8Array, scale: number): PNG {
  const w = 28 * scale + 40, h = 28 * scale + 10;
  const png = new PNG({ width: w, height: h });
  png.data.fill(255);
  for (let y = 0; y < 28 * scale; y++) for (let x = 0; x < 28 * scale; x++) {
    const ink = image[Math.floor(y / scale) * 28 + Math.floor(x / scale)];
    const i = 4 * ((y + 3) * w + x + 30);
    png.data[i] = png.data[i + 1] = png.data[i + 2] = 255 - ink;
  }
  return png;
}

test("predict reads MNIST digits redrawn as large black-on-white PNGs", async () => {
  const out = tempDir();
  const model = join(out, "model.json");
  const trained = await runScript("train", ["--train-size", "5000", "--epochs", "3", "--save", model]);
  assert.equal(trained.code, 0, trained.stderr);
  const data = loadIdxDirectory(mnistDirectory());
  if (data._tag === "Left") throw data.left;
  const test10 = data.right.test;
  const indices = Array.from({ length: 10 }, (_, i) => i);
  const runs = await Promise.all(indices.map((i) => {
    const file = join(out, `digit-${i}.png`);
    writeFileSync(file, PNG.sync.write(drawDigit(test10.images.subarray(i * 784, (i + 1) * 784), 3)));
    return runScript("predict", [model, file]);
  }));
  let right = 0;
  runs.forEach((r, i) => {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^digit: \d\nscores:\n(  \d: [\d.]+( {2}<)?\n){10}$/);
    if (Number(/^digit: (\d)/.exec(r.stdout)![1]) === test10.labels[i]) right++;
  });
  // A network at ~90% on MNIST reads at least 8 of these 10 once they are brought back to MNIST's form.
  assert.ok(right >= 8, `${right} / 10 read right`);
});
