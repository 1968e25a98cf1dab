/**
 * The playground in a real browser (Debian's Chromium through playwright-core; `npm run test:browser`, run by
 * .ci/run after npm test): trains in the page and logs the CLI's own epoch line, reads drawn digits, loads a
 * CLI-saved model with evaluate's accuracy, shows a bad custom cost's error, and takes the README's screenshots.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startPlaygroundServer, type RunningServer } from "../../scripts/cli/playground-server.ts";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";

const repo = resolve(".");
/** Where the screenshots go (the README's are copies of these). */
const shots = resolve(process.env.PLAYGROUND_SHOTS ?? join(repo, "test-output", "playground"));
const work = mkdtempSync(join(tmpdir(), "tsgrad-playground-"));
const cli = (script: string, args: readonly string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", join("scripts", `${script}.ts`), ...args], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function chromiumPath(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let server: RunningServer | undefined;
let url = "";
let browser: Browser | undefined;
const executablePath = chromiumPath();

before(async () => {
  if (executablePath === undefined) return;
  server = await startPlaygroundServer(process.execPath, ["--import", "tsx", "scripts/playground.ts", "--port", "0"], repo);
  url = server.url;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function open(query: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(`${url}?${query}`);
  await page.waitForSelector("body[data-state=idle]", { timeout: 60000 });
  return page;
}

async function trainInPage(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Start" }).click();
  await page.waitForSelector("body[data-state=finished]", { timeout: 180000 });
  assert.equal(await page.locator("#error").isHidden(), true, `no error line: ${await page.locator("#error").textContent()}`);
  return (await page.getByLabel("Training log").textContent()) ?? "";
}

/** Draws a stroke through points given as fractions of the pad, with mouse events, and reads the prediction. */
async function draw(page: Page, points: readonly (readonly [number, number])[]): Promise<string> {
  await page.getByRole("button", { name: "Clear drawing" }).click();
  const box = (await page.getByLabel("Drawing pad").boundingBox())!;
  const to = (p: readonly [number, number]) => [box.x + p[0] * box.width, box.y + p[1] * box.height] as const;
  await page.mouse.move(...to(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...to(p), { steps: 3 });
  await page.mouse.up();
  await page.waitForFunction(() => /Prediction: \d/.test(document.getElementById("predicted")?.textContent ?? ""), undefined, { timeout: 10000 });
  return ((await page.locator("#predicted").textContent()) ?? "").replace("Prediction: ", "");
}

const skip = executablePath === undefined ? "Chromium is not installed (apt-get install -y chromium)" : false;

test("one epoch on 2,000 images in the page logs the same Epoch 0 line as npm run train, above 80%", { skip }, async () => {
  const settings = ["--train-size", "2000", "--epochs", "1", "--cost", "cross-entropy", "--init", "scaled", "--eta", "1"];
  const cliLine = /^Epoch 0: \d+ \/ 10000 {3}training cost [\d.]+/m.exec(cli("train", settings))?.[0];
  const page = await open("trainSize=2000&epochs=1&cost=cross-entropy&init=scaled&eta=1");
  const logged = await trainInPage(page);
  const m = /^(Epoch 0: (\d+) \/ 10000 {3}training cost [\d.]+), [\d.]+ s$/m.exec(logged);
  assert.ok(m !== null, `an Epoch 0 line in the log: ${logged}`);
  assert.ok(Number(m[2]) > 8000, `above 80%: ${m[1]}`);
  assert.equal(m[1], cliLine, "the page's numbers are the CLI's (same kernels, same key)");
  assert.equal(await page.locator("#tiles canvas").count(), 30, "a tile per hidden unit");
  assert.equal(await page.locator("#confusion td").count(), 100);
  await page.close();
});

test("after a few epochs on a subset, a drawn 1 (a vertical stroke) and 0 (a circle) are read as 1 and 0; screenshots", { skip }, async () => {
  const page = await open("trainSize=10000&epochs=3&cost=cross-entropy&init=scaled&eta=1");
  const logged = await trainInPage(page);
  assert.match(logged, /^Epoch 2: \d+ \/ 10000 /m);
  mkdirSync(shots, { recursive: true });
  await page.locator("#train").screenshot({ path: join(shots, "playground-train.png") });
  assert.equal(await draw(page, [[0.5, 0.15], [0.5, 0.85]]), "1");
  const circle = Array.from({ length: 33 }, (_, i) => [0.5 + 0.25 * Math.sin((2 * Math.PI * i) / 32), 0.5 - 0.33 * Math.cos((2 * Math.PI * i) / 32)] as const);
  assert.equal(await draw(page, circle), "0");
  const bars = await page.getByRole("meter").evaluateAll((ms) => ms.map((m) => (m as HTMLMeterElement).value));
  assert.equal(bars.length, 10);
  assert.equal(bars.indexOf(Math.max(...bars)), 0, `the bar for 0 is the highest: ${bars}`);
  await page.locator("#draw").screenshot({ path: join(shots, "playground-draw.png") });
  await page.close();
});

test("a model saved by npm run train, loaded in the page, scores evaluate's accuracy to the digit; the page saves one the CLI reads", { skip }, async () => {
  const model = join(work, "cli-model.json");
  cli("train", ["--train-size", "1000", "--epochs", "2", "--save", model]);
  const evaluated = /accuracy: (\d+) \/ 10000/.exec(cli("evaluate", [model]))?.[1];
  const page = await open("");
  await page.getByLabel("Load model").setInputFiles(model);
  await page.waitForFunction(() => /cli-model\.json: \d+ \/ 10000/.test(document.getElementById("log")?.textContent ?? ""));
  const inPage = /cli-model\.json: (\d+) \/ 10000/.exec((await page.getByLabel("Training log").textContent()) ?? "")?.[1];
  assert.equal(inPage, evaluated);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Save model" }).click();
  const saved = join(work, "page-model.json");
  await (await download).saveAs(saved);
  assert.equal(/accuracy: (\d+) \/ 10000/.exec(cli("evaluate", [saved]))?.[1], evaluated, "the page's file is a model the CLI reads, with the same numbers");
  await page.close();
});

test("a custom cost: a syntax or shape mistake is one error line and training does not start; a Huber cost trains", { skip }, async () => {
  const page = await open("trainSize=1000&epochs=1&cost=custom");
  const expression = page.getByLabel("Custom cost expression (over a, y, n)");
  for (const [text, error] of [
    ["sum((a - y)^2", /^cost: expected "\)" but found the end$/],
    ["(a - y)^2 / n", /^cost: the cost must be one number, but this expression gives shape \[2x10\]: wrap it in sum/],
    ["sum(b)", /^cost: unknown name "b" at column 5/],
  ] as const) {
    await expression.fill(text);
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForFunction(() => (document.getElementById("error")?.textContent ?? "") !== "");
    assert.match((await page.getByRole("alert").textContent()) ?? "", error);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "idle", "training did not start");
    assert.equal((await page.getByLabel("Training log").textContent()) ?? "", "");
  }
  await expression.fill("sum(minimum(abs(a - y), 1) * (abs(a - y) - 0.5 * minimum(abs(a - y), 1))) / n");
  assert.match(await trainInPage(page), /^Epoch 0: \d+ \/ 10000 /m);
  await page.close();
});

test("?threads=2 adds the helper thread on this cross-origin isolated page: the Epoch 0 line of npm run train --threads 2", { skip }, async () => {
  const settings = ["--train-size", "2000", "--epochs", "1", "--threads", "2"];
  const cliLine = /^Epoch 0: \d+ \/ 10000 {3}training cost [\d.]+/m.exec(cli("train", settings))?.[0];
  const page = await open("threads=2&trainSize=2000&epochs=1");
  assert.match((await page.getByRole("status").textContent()) ?? "", /wasm \(float32 SIMD\), 2 threads\.$/);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  const logged = /^(Epoch 0: \d+ \/ 10000 {3}training cost [\d.]+)/m.exec(await trainInPage(page))?.[1];
  assert.equal(logged, cliLine);
  await page.close();
});

test("a convolutional spec trains in the page (the worker is nn's own loop) and shows its 20 filters as 5×5 tiles", { skip }, async () => {
  const spec = encodeURIComponent(JSON.stringify({ input: [1, 28, 28], layers: [{ conv: 20, kernel: 5 }, { maxPool: 2 }, "relu", "flatten", { dense: 10, init: "scaled" }, "softmax"] }));
  const page = await open(`spec=${spec}&cost=log-likelihood&eta=0.1&trainSize=1000&epochs=1`);
  assert.match(await trainInPage(page), /^Epoch 0: \d+ \/ 10000 /m);
  const tiles = page.locator("#tiles canvas");
  assert.equal(await tiles.count(), 20);
  assert.equal(await tiles.first().evaluate((c) => (c as HTMLCanvasElement).width), 5);
  await page.close();
});

test("pause mid-epoch and resume give the same epoch lines as an unbroken run; reset clears the network", { skip }, async () => {
  const lines = (log: string) => log.split("\n").filter((l) => l.startsWith("Epoch")).map((l) => l.replace(/, [\d.]+ s$/, ""));
  const page = await open("epochs=2");
  const unbroken = lines(await trainInPage(page));
  assert.equal(unbroken.length, 2);
  await page.getByRole("button", { name: "Start" }).click();
  await page.waitForFunction(() => /images\/s: \d/.test(document.getElementById("speed")?.textContent ?? ""));
  assert.match((await page.getByRole("status").textContent()) ?? "", /^Training epoch \d of 2, \d+% done…$/);
  await page.getByRole("button", { name: "Pause" }).click();
  await page.waitForSelector("body[data-state=paused]");
  assert.match((await page.getByRole("status").textContent()) ?? "", /^Paused.*: Resume goes on exactly where it stopped\.$/);
  const before = lines((await page.getByLabel("Training log").textContent()) ?? "");
  assert.ok(before.length < 2, "paused before the end");
  await page.getByRole("button", { name: "Resume" }).click();
  await page.waitForSelector("body[data-state=finished]", { timeout: 180000 });
  assert.deepEqual(lines((await page.getByLabel("Training log").textContent()) ?? ""), unbroken);
  await page.getByRole("button", { name: "Reset" }).click();
  await page.waitForSelector("body[data-state=idle]");
  assert.equal(await page.locator("#tiles canvas").count(), 0);
  assert.equal(await page.locator("#speed").textContent(), "images/s: –", "no speed left from the last run");
  assert.match((await page.getByRole("status").textContent()) ?? "", /^Ready: /);
  await page.getByRole("button", { name: "Save model" }).click();
  await page.waitForFunction(() => /no model to save yet/.test(document.getElementById("error")?.textContent ?? ""));
  await page.close();
});

test("the JavaScript kernels (what a browser without WebAssembly SIMD gets) train too, with a note on the page", { skip }, async () => {
  const page = await open("kernels=js&trainSize=1000&epochs=1");
  assert.match((await page.getByRole("status").textContent()) ?? "", /kernels: js \(float64\)\. Note: the JavaScript kernels/);
  assert.match(await trainInPage(page), /^Epoch 0: \d+ \/ 10000 /m);
  await page.close();
});

test("at phone and laptop widths nothing scrolls sideways; the cost chart has a point per 1,000 images on a log axis; the gradient chart a line per layer; charts say what will appear; a bad link value is said", { skip }, async () => {
  for (const [width, height] of [[390, 844], [1024, 768]]) {
    const page = await browser!.newPage({ viewport: { width, height } });
    page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(`${url}?epochs=2&trainSize=3000&init=scaled&cost=cross-entropy&eta=1`);
    await page.waitForSelector("body[data-state=idle]", { timeout: 60000 });
    const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(await sideways(), 0, `${width}px before training`);
    assert.equal(await page.locator("#cost-empty").isVisible(), true, "the empty cost chart says what will appear");
    // The menus show their whole choice.
    for (const id of ["init", "cost"]) assert.ok(await page.locator(`#${id}`).evaluate((e) => (e as HTMLSelectElement).scrollWidth <= (e as HTMLSelectElement).clientWidth + 24), `#${id} fits at ${width}px`);
    await trainInPage(page);
    assert.equal(await sideways(), 0, `${width}px after training`);
    assert.equal(await page.locator("#cost-empty").isVisible(), false);
    assert.match((await page.locator("#cost-chart").textContent()) ?? "", /mean over each 1,000 images, log scale/);
    assert.equal(await page.evaluate(() => document.body.dataset.costPoints), "6", "2 epochs of 3,000 images: 3 windows each");
    // The gradient chart: a line per layer with parameters (784-30-10: two), a positive norm per epoch.
    const norms = JSON.parse(await page.evaluate(() => document.body.dataset.gradientNorms ?? "[]")) as number[][];
    assert.equal(norms.length, 2, "a line per layer with parameters");
    assert.ok(norms.every((l) => l.length === 2 && l.every((v) => v > 0 && Number.isFinite(v))), JSON.stringify(norms));
    assert.equal(await page.locator("#gradient-empty").isVisible(), false);
    assert.match((await page.locator("#gradient-chart").textContent()) ?? "", /gradient norm per layer, ‖∂C\/∂b‖ \(log scale\)[\s\S]*layer 0: dense 30[\s\S]*layer 2: dense 10/);
    mkdirSync(shots, { recursive: true });
    if (width === 390) await page.screenshot({ path: join(shots, "playground-phone.png"), fullPage: true });
    await page.close();
  }
  const page = await open("epochs=abc&trainSize=2000");
  assert.match((await page.locator("#error").textContent()) ?? "", /\?epochs=abc in the address is not a number; using 30/);
  assert.equal(await page.locator("#epochs").inputValue(), "30");
  await page.close();
});

after(() => {
  // The README's pictures are the last run's, copied by hand from here when the page changes.
  if (executablePath !== undefined) process.stdout.write(`# screenshots in ${shots}\n`);
});
