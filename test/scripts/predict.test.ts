import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import type { Dataset } from "../../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../../node/index.ts";
import { runScript, tempDir } from "../fixtures.ts";

/**
 * A page of w×h pixels (w, h beyond the digit's 28·scale) with an MNIST digit `scale`× larger at (left, top):
 * `shade` gives each pixel's RGB from its position and the digit's ink byte there (0 off the digit).
 */
function page(image: Uint8Array, scale: number, [w, h]: [number, number], [left, top]: [number, number], shade: (x: number, y: number, ink: number) => [number, number, number]): PNG {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const dx = x - left, dy = y - top;
    const ink = dx >= 0 && dy >= 0 && dx < 28 * scale && dy < 28 * scale ? image[Math.floor(dy / scale) * 28 + Math.floor(dx / scale)] : 0;
    png.data.set([...shade(x, y, ink), 255], 4 * (y * w + x));
  }
  return png;
}

/** An MNIST test digit drawn as a person would: `scale`× larger, black ink on white, in RGB, off-centre on a wider page. */
function drawDigit(image: Uint8Array, scale: number): PNG {
  return page(image, scale, [28 * scale + 40, 28 * scale + 10], [30, 3], (_x, _y, ink) => [255 - ink, 255 - ink, 255 - ink]);
}

/** A small model (5,000 images, 3 epochs), trained once for the tests below, and MNIST's test images. */
let shared: Promise<{ model: string; t10k: Dataset }> | undefined;
function modelAndDigits(): Promise<{ model: string; t10k: Dataset }> {
  shared ??= (async () => {
    const model = join(tempDir(), "model.json");
    const trained = await runScript("train", ["--train-size", "5000", "--epochs", "3", "--save", model]);
    assert.equal(trained.code, 0, trained.stderr);
    const data = loadIdxDirectory(mnistDirectory());
    if (data._tag === "Left") throw data.left;
    return { model, t10k: data.right.test };
  })();
  return shared;
}

test("predict reads MNIST digits redrawn as large black-on-white PNGs", async () => {
  const out = tempDir();
  const { model, t10k: test10 } = await modelAndDigits();
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

/** A digit photographed on ruled paper: uneven light (a gradient and a shadow), faint ruled lines, grey ink. */
function photographDigit(image: Uint8Array, scale: number): PNG {
  const w = 28 * scale + 60, h = 28 * scale + 40;
  return page(image, scale, [w, h], [35, 18], (x, y, ink) => {
    let paper = 235 - 50 * (x / w) - 25 * (y / h); // lit from the top left
    paper -= 40 / (1 + Math.exp(-(x - 0.7 * w) / 6)) / (1 + Math.exp(-(y - 0.6 * h) / 6)); // a soft shadow in a corner
    if (y % 14 === 0) paper -= 45; // ruled lines
    const v = Math.round(paper * (1 - (0.75 * ink) / 255));
    return [v, v, Math.min(255, v + 10)];
  });
}

test("predict reads digits photographed on ruled paper in uneven light, as JPEG too, several at once, and says when there is no digit", async () => {
  const out = tempDir();
  const { model, t10k } = await modelAndDigits();
  const photos = join(out, "photos");
  mkdirSync(photos);
  for (let i = 0; i < 10; i++) {
    const png = photographDigit(t10k.images.subarray(i * 784, (i + 1) * 784), 4);
    if (i % 2 === 0) writeFileSync(join(photos, `d${i}.png`), PNG.sync.write(png));
    else writeFileSync(join(photos, `d${i}.jpg`), jpeg.encode({ data: png.data, width: png.width, height: png.height }, 85).data);
  }
  // The same digits as MNIST has them (28×28, white on black): what the model answers on those is the reference.
  const clean = join(out, "clean");
  mkdirSync(clean);
  for (let i = 0; i < 10; i++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) png.data.set([t10k.images[i * 784 + p], t10k.images[i * 784 + p], t10k.images[i * 784 + p], 255], 4 * p);
    writeFileSync(join(clean, `d${i}.png`), PNG.sync.write(png));
  }
  const [r, reference] = await Promise.all([runScript("predict", [model, photos, "--json", "true"]), runScript("predict", [model, clean, "--json", "true"])]);
  assert.equal(r.code, 0, r.stderr);
  type Answer = { file: string; digit: number; scores: number[] };
  const answers = JSON.parse(r.stdout) as Answer[], expected = JSON.parse(reference.stdout) as Answer[];
  assert.equal(answers.length, 10);
  const same = answers.filter((a, i) => a.digit === expected[i].digit).length;
  assert.ok(same >= 9, `${same} / 10 photographed digits read as their clean selves: ${answers.map((a) => a.digit)} against ${expected.map((a) => a.digit)}`);
  // One line per picture without --json.
  const lines = await runScript("predict", [model, join(photos, "d0.png"), join(photos, "d1.jpg")]);
  assert.match(lines.stdout, /^.*d0\.png: \d \(score [\d.]+\)\n.*d1\.jpg: \d \(score [\d.]+\)\n$/);
  // The 28×28 input, as the network saw it.
  const shown = join(out, "input.png");
  assert.equal((await runScript("predict", [model, join(photos, "d0.png"), "--show-input", shown])).code, 0);
  assert.deepEqual([PNG.sync.read(readFileSync(shown)).width, PNG.sync.read(readFileSync(shown)).height], [28, 28]);
  // A plain red square is not a digit; swapped arguments are one clean line.
  const red = new PNG({ width: 60, height: 60 });
  for (let p = 0; p < 3600; p++) {
    const x = p % 60, y = (p - x) / 60;
    red.data.set(x > 15 && x < 45 && y > 15 && y < 45 ? [220, 20, 20, 255] : [255, 255, 255, 255], 4 * p);
  }
  writeFileSync(join(out, "red.png"), PNG.sync.write(red));
  const square = await runScript("predict", [model, join(out, "red.png")]);
  assert.equal(square.code, 2);
  assert.match(square.stderr, /^error: .*red\.png: image has no digit-like ink \(a solid shape, not strokes\)$/m);
  const swapped = await runScript("predict", [join(photos, "d0.png"), model]);
  assert.equal(swapped.code, 2);
  assert.match(swapped.stderr, /^error: .*d0\.png: a picture where the model file should be; give the model first/m);
});

test("predict over a folder reports every picture: a bad one is a line on stderr and {file, error} in --json, the rest are read, exit 1", async () => {
  const { model, t10k } = await modelAndDigits();
  const dir = join(tempDir(), "mixed");
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "a.png"), PNG.sync.write(drawDigit(t10k.images.subarray(0, 784), 3)));
  writeFileSync(join(dir, "b.png"), "not a png at all");
  writeFileSync(join(dir, "c.jpg"), jpeg.encode({ ...(() => { const p = drawDigit(t10k.images.subarray(784, 1568), 3); return { data: p.data, width: p.width, height: p.height }; })() }, 90).data);
  writeFileSync(join(dir, "sub", "a.png"), PNG.sync.write(drawDigit(t10k.images.subarray(1568, 2352), 3)));
  const r = await runScript("predict", [model, dir, "--json"]);
  assert.equal(r.code, 1, r.stderr);
  const answers = JSON.parse(r.stdout) as { file: string; digit?: number; error?: string }[];
  assert.deepEqual(answers.map((a) => [a.file.slice(dir.length + 1), a.error === undefined]), [["a.png", true], ["b.png", false], ["c.jpg", true]]);
  assert.match(answers[1].error ?? "", /not a PNG or JPEG picture/);
  assert.match(r.stderr, /^error: .*b\.png: not a PNG or JPEG picture$/m);
  const plain = await runScript("predict", [model, dir]);
  assert.equal(plain.code, 1);
  assert.equal(plain.stdout.trim().split("\n").length, 2, "a line for each picture read");
  // --show-input DIR is made, and two pictures with one base name keep an image each.
  const shown = join(tempDir(), "new", "inputs");
  const both = await runScript("predict", [model, join(dir, "a.png"), join(dir, "sub", "a.png"), "--show-input", shown]);
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(readdirSync(shown).sort(), ["a-2.28x28.png", "a.28x28.png"]);
  // --show-input over the picture or the model is refused: nothing is overwritten.
  const before = readFileSync(join(dir, "a.png"));
  const over = await runScript("predict", [model, join(dir, "a.png"), "--show-input", join(dir, "a.png")]);
  assert.equal(over.code, 2);
  assert.match(over.stderr, /^error: --show-input would overwrite the input .*a\.png; give the output its own name$/m);
  assert.deepEqual(readFileSync(join(dir, "a.png")), before);
  assert.equal((await runScript("predict", [model, join(dir, "a.png"), "--show-input", model])).code, 2);
});
