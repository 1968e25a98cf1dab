/**
 * The playground page: the form, the buttons, the curves, the tiles and the drawing pad. All computing is in
 * the worker (worker.ts); this file only sends settings and pixels and draws what comes back.
 */
import uPlot from "uplot";
import { toMnistDigit } from "../datasets/index.ts";
import { COST_WINDOW, type FromWorker, type LayerGradient, type Mistake, type PlaygroundConfig, type RunState, type ToWorker } from "./protocol.ts";
import { defaultConfig } from "./setup.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
// ?kernels=js runs the JavaScript kernels, as a browser without WebAssembly SIMD does (to compare, or to test
// that path); ?threads=2 adds the wasm kernels' helper thread (on a cross-origin isolated page), as --threads 2.
const workerUrl = new URL("./worker.js", import.meta.url);
const pageQuery = new URLSearchParams(location.search);
for (const k of ["kernels", "threads"]) {
  const v = pageQuery.get(k);
  if (v !== null) workerUrl.searchParams.set(k, v);
}
const worker = new Worker(workerUrl, { type: "module" });
const send = (m: ToWorker) => worker.postMessage(m);

// ---- settings ----
const fields: Record<keyof PlaygroundConfig, string> = {
  spec: "spec", init: "init", cost: "cost", costExpression: "cost-expression", eta: "eta", batchSize: "batch-size",
  epochs: "epochs", lambda: "lambda", momentum: "momentum", trainSize: "train-size", seed: "seed",
};
const input = (k: keyof PlaygroundConfig) => $<HTMLInputElement>(fields[k]);
for (const k of Object.keys(fields) as (keyof PlaygroundConfig)[]) input(k).value = String(defaultConfig[k]);
// A link can set any field: ?epochs=1&trainSize=2000 (what the tests and a teacher's handout use). A value a
// field cannot hold (?epochs=abc) is said, not left as a blank field.
const linkProblems: string[] = [];
for (const [k, v] of new URLSearchParams(location.search)) {
  if (!Object.hasOwn(fields, k)) continue;
  const field = input(k as keyof PlaygroundConfig);
  field.value = v;
  if (field.value !== v) {
    field.value = String(defaultConfig[k as keyof PlaygroundConfig]);
    linkProblems.push(`?${k}=${v} in the address is not ${field instanceof HTMLSelectElement ? `one of ${[...field.options].map((o) => o.value).join(", ")}` : "a number"}; using ${field.value}`);
  }
}
const showCustom = () => ($("custom-cost-label").hidden = input("cost").value !== "custom");
input("cost").addEventListener("change", showCustom);
showCustom();

function readConfig(): PlaygroundConfig {
  const num = (k: keyof PlaygroundConfig) => (input(k).value.trim() === "" ? NaN : Number(input(k).value));
  return {
    spec: input("spec").value, init: input("init").value as PlaygroundConfig["init"], cost: input("cost").value as PlaygroundConfig["cost"],
    costExpression: input("costExpression").value, eta: num("eta"), batchSize: num("batchSize"), epochs: num("epochs"),
    lambda: num("lambda"), momentum: num("momentum"), trainSize: num("trainSize"), seed: num("seed"),
  };
}

// ---- status, errors, log ----
const errorLine = $("error");
const showError = (message: string | null) => {
  errorLine.hidden = message === null;
  errorLine.textContent = message ?? "";
};
const log = $("log");
const addLog = (line: string) => {
  log.textContent += `${line}\n`;
  log.scrollTop = log.scrollHeight;
};

if (linkProblems.length > 0) showError(linkProblems.join("; "));

/** The status line says what the page is doing (it said "Ready" while training). */
let readyText = "Ready.";
let progressText = "";
function showStatus(s: RunState): void {
  const text: Record<RunState, string> = {
    loading: "Loading MNIST…",
    idle: readyText,
    running: `Training${progressText}…`,
    pausing: "Pausing after this mini-batch…",
    paused: `Paused${progressText}: Resume goes on exactly where it stopped.`,
    finished: `Finished${progressText}. ${readyText}`,
  };
  $("status").textContent = text[s];
}

const buttons = { start: $<HTMLButtonElement>("start"), pause: $<HTMLButtonElement>("pause"), resume: $<HTMLButtonElement>("resume"), reset: $<HTMLButtonElement>("reset"), save: $<HTMLButtonElement>("save") };
function setRunState(s: RunState): void {
  document.body.dataset.state = s;
  showStatus(s);
  buttons.start.disabled = !(s === "idle" || s === "finished");
  buttons.pause.disabled = s !== "running";
  buttons.resume.disabled = s !== "paused";
  buttons.reset.disabled = s === "loading" || s === "idle";
  $<HTMLInputElement>("load").disabled = s === "running" || s === "pausing" || s === "loading";
}
setRunState("loading");

// ---- charts (uPlot: small, canvas-drawn, made for live series) ----
// Each chart fills its column and follows it when the window (or a phone) changes width.
const chartWidth = (id: string) => Math.max(200, Math.floor(($(id).parentElement?.clientWidth ?? 400) - 4));
const costData: [number[], number[]] = [[], []];
const accuracyData: [number[], (number | null)[], number[]] = [[], [], []];
/**
 * The cost on a log axis (a cost falls by orders of magnitude: a linear axis set by the first epochs flattens
 * the rest onto zero); a cost that is not positive (a custom one may be) gets a linear axis that follows the data.
 */
function makeCostChart(log: boolean): uPlot {
  return new uPlot({
    title: `training cost (mean over each ${COST_WINDOW.toLocaleString("en")} images${log ? ", log scale" : ""})`, legend: { live: false }, width: chartWidth("cost-chart"), height: 220,
    scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
    series: [{ label: "epoch" }, { label: "cost", stroke: "#c0392b", width: 1.5, points: { show: false } }],
    axes: [{ label: "epoch" }, {}],
  }, costData, $("cost-chart"));
}
let costLog = true;
let costChart = makeCostChart(costLog);
const accuracyChart = new uPlot({
  title: "accuracy after each epoch (%)", legend: { live: false }, width: chartWidth("accuracy-chart"), height: 220, scales: { x: { time: false } },
  series: [{ label: "epochs" }, { label: "validation", stroke: "#2874a6", width: 1.5 }, { label: "test", stroke: "#1e8449", width: 1.5 }],
  axes: [{ label: "epochs done" }, {}],
}, accuracyData, $("accuracy-chart"));
/** ‖∂C/∂b‖ per layer after each epoch, on a log scale: made at the first epoch, when the layers are known. */
let gradientData: number[][] = [[]];
let gradientChart: uPlot | undefined;
const LAYER_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"];
function addGradients(epoch: number, layers: readonly LayerGradient[]): void {
  if (layers.length === 0) return;
  if (gradientChart === undefined || gradientData.length !== layers.length + 1) {
    gradientChart?.destroy();
    gradientData = [[], ...layers.map(() => [])];
    gradientChart = new uPlot({
      title: "gradient norm per layer, ‖∂C/∂b‖ (log scale)", legend: { live: false }, width: chartWidth("gradient-chart"), height: 220,
      scales: { x: { time: false }, y: { distr: 3 } },
      series: [{ label: "epochs" }, ...layers.map((l, i) => ({ label: l.label, stroke: LAYER_COLOURS[i % LAYER_COLOURS.length], width: 1.5 }))],
      axes: [{ label: "epochs done" }, {}],
    }, gradientData as uPlot.AlignedData, $("gradient-chart"));
  }
  gradientData[0].push(epoch + 1);
  layers.forEach((l, i) => gradientData[i + 1].push(l.norm));
  gradientChart.setData(gradientData as uPlot.AlignedData);
  // The norms so far, for the browser test to read.
  document.body.dataset.gradientNorms = JSON.stringify(gradientData.slice(1));
}
new ResizeObserver(() => {
  costChart.setSize({ width: chartWidth("cost-chart"), height: 220 });
  accuracyChart.setSize({ width: chartWidth("accuracy-chart"), height: 220 });
  gradientChart?.setSize({ width: chartWidth("gradient-chart"), height: 220 });
}).observe($("train"));
/** Before any data a chart says what will appear in it. */
function showPlaceholders(): void {
  $("cost-empty").hidden = costData[0].length > 0;
  $("accuracy-empty").hidden = accuracyData[0].length > 0;
  $("gradient-empty").hidden = gradientData[0].length > 0;
}
function addCostPoints(points: readonly { epoch: number; cost: number }[]): void {
  for (const p of points) {
    costData[0].push(p.epoch);
    costData[1].push(p.cost);
  }
  if (costLog && points.some((p) => !(p.cost > 0))) {
    costLog = false;
    costChart.destroy();
    costChart = makeCostChart(false);
  }
  costChart.setData(costData);
  // How many points the chart holds, for the browser test to read.
  document.body.dataset.costPoints = String(costData[0].length);
  showPlaceholders();
}
function clearCharts(): void {
  for (const a of costData) a.length = 0;
  for (const a of accuracyData) a.length = 0;
  if (!costLog) {
    costLog = true;
    costChart.destroy();
    costChart = makeCostChart(true);
  }
  costChart.setData(costData);
  accuracyChart.setData(accuracyData);
  gradientChart?.destroy();
  gradientChart = undefined;
  gradientData = [[]];
  delete document.body.dataset.gradientNorms;
  showPlaceholders();
}
showPlaceholders();

// ---- looking inside ----
function paintGrey(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, scale: number): void {
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i] * scale);
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

const tiles = $("tiles");
/** Each unit's incoming weights as a square tile: 28×28 for a dense layer on the pixels, k×k for a conv filter. */
function drawTiles(units: number, inputs: number, w: Float32Array): void {
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs) return;
  const shown = Math.min(units, 100);
  // A new network may have tiles of another size: start the strip again.
  if (tiles.firstElementChild !== null && (tiles.firstElementChild as HTMLCanvasElement).width !== side) tiles.replaceChildren();
  while (tiles.children.length > shown) tiles.lastChild!.remove();
  while (tiles.children.length < shown) {
    const c = document.createElement("canvas");
    c.width = c.height = side;
    c.setAttribute("aria-label", side === 28 ? `weights into hidden unit ${tiles.children.length}` : `filter ${tiles.children.length} of the first convolution`);
    tiles.append(c);
  }
  for (let u = 0; u < shown; u++) {
    let max = 1e-12;
    for (let i = 0; i < inputs; i++) max = Math.max(max, Math.abs(w[u * inputs + i]));
    const ctx = (tiles.children[u] as HTMLCanvasElement).getContext("2d")!;
    const img = ctx.createImageData(side, side);
    for (let i = 0; i < inputs; i++) {
      const v = w[u * inputs + i] / max, fade = Math.round(255 * (1 - Math.abs(v)));
      img.data.set(v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
  }
}

function drawConfusion(confusion: number[][]): void {
  const table = $<HTMLTableElement>("confusion");
  const max = Math.max(1, ...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const head = `<tr><th></th>${confusion.map((_, p) => `<th scope="col">${p}</th>`).join("")}</tr>`;
  const rows = confusion.map((row, t) => `<tr><th scope="row">${t}</th>${row.map((v, p) => {
    const bg = p === t ? "#e8f6ec" : `rgba(192, 57, 43, ${(0.6 * v) / max})`;
    return `<td style="background:${bg}">${v}</td>`;
  }).join("")}</tr>`).join("");
  table.innerHTML = head + rows;
}

function drawMistakes(list: readonly Mistake[]): void {
  const strip = $("mistakes");
  strip.replaceChildren(...list.map((m) => {
    const fig = document.createElement("figure");
    const c = document.createElement("canvas");
    c.width = c.height = 28;
    paintGrey(c, m.pixels, 1);
    c.setAttribute("aria-label", `test image ${m.index}: predicted ${m.predicted}, true ${m.truth}`);
    const cap = document.createElement("figcaption");
    cap.textContent = `${m.predicted} ← ${m.truth}`;
    fig.append(c, cap);
    return fig;
  }));
}

// ---- drawing a digit ----
const pad = $<HTMLCanvasElement>("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true })!;
const bars = $("bars");
const meters = Array.from({ length: 10 }, (_, d) => {
  const row = document.createElement("div");
  row.className = "bar";
  const meter = document.createElement("meter");
  meter.min = 0;
  meter.max = 1;
  meter.value = 0;
  meter.setAttribute("aria-label", `output for ${d}`);
  const value = document.createElement("span");
  value.textContent = "–";
  const label = document.createElement("span");
  label.textContent = String(d);
  row.append(label, meter, value);
  bars.append(row);
  return { meter, value };
});
let lastPixels: Float64Array | undefined;
function clearPad(): void {
  padCtx.fillStyle = "#fff";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  lastPixels = undefined;
  paintGrey($<HTMLCanvasElement>("normalised"), new Float64Array(784), 0);
  $("predicted").textContent = "Prediction: –";
  for (const m of meters) {
    m.meter.value = 0;
    m.value.textContent = "–";
  }
}
clearPad();
let stroke: { x: number; y: number } | undefined;
let pending = false;
const at = (e: PointerEvent) => ({ x: (e.offsetX * pad.width) / pad.clientWidth, y: (e.offsetY * pad.height) / pad.clientHeight });
pad.addEventListener("pointerdown", (e) => {
  pad.setPointerCapture(e.pointerId);
  stroke = at(e);
  drawTo(stroke);
});
pad.addEventListener("pointermove", (e) => {
  if (stroke !== undefined) drawTo(at(e));
});
const end = () => (stroke = undefined);
pad.addEventListener("pointerup", end);
pad.addEventListener("pointercancel", end);
function drawTo(p: { x: number; y: number }): void {
  padCtx.strokeStyle = "#000";
  padCtx.lineWidth = 22;
  padCtx.lineCap = padCtx.lineJoin = "round";
  padCtx.beginPath();
  padCtx.moveTo(stroke!.x, stroke!.y);
  padCtx.lineTo(p.x + 0.01, p.y);
  padCtx.stroke();
  stroke = p;
  if (!pending) {
    pending = true;
    requestAnimationFrame(readPad);
  }
}
/** The pad through the same normaliser as `npm run predict`, then to the network. */
function readPad(): void {
  pending = false;
  const img = padCtx.getImageData(0, 0, pad.width, pad.height);
  const digit = toMnistDigit({ width: img.width, height: img.height, rgba: new Uint8Array(img.data.buffer) });
  if (digit._tag === "Left") {
    $("predicted").textContent = `Prediction: – (${digit.left.message})`;
    return;
  }
  lastPixels = digit.right;
  paintGrey($<HTMLCanvasElement>("normalised"), digit.right, 255);
  if (!haveModel) $("predicted").textContent = "Prediction: – (start training or load a model first)";
  askPrediction();
}
let haveModel = false;
function askPrediction(): void {
  if (lastPixels !== undefined && haveModel) send({ type: "predict", pixels: lastPixels });
}
$("clear").addEventListener("click", clearPad);

function showPrediction(outputs: readonly number[]): void {
  const top = outputs.indexOf(Math.max(...outputs));
  $("predicted").textContent = `Prediction: ${top}`;
  outputs.forEach((v, d) => {
    meters[d].meter.value = Math.min(Math.max(v, 0), 1);
    meters[d].value.textContent = v.toFixed(3);
  });
}

// ---- buttons ----
buttons.start.addEventListener("click", () => {
  showError(null);
  progressText = "";
  $("speed").textContent = "images/s: –";
  delete document.body.dataset.epochImagesPerSecond;
  clearCharts();
  log.textContent = "";
  send({ type: "start", config: readConfig() });
});
buttons.pause.addEventListener("click", () => send({ type: "pause" }));
buttons.resume.addEventListener("click", () => send({ type: "resume" }));
buttons.reset.addEventListener("click", () => {
  haveModel = false;
  progressText = "";
  $("speed").textContent = "images/s: –";
  tiles.replaceChildren();
  send({ type: "reset" });
});
buttons.save.addEventListener("click", () => send({ type: "saveModel" }));
$<HTMLInputElement>("load").addEventListener("change", async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file === undefined) return;
  showError(null);
  send({ type: "loadModel", name: file.name, bytes: await file.arrayBuffer() });
  (e.target as HTMLInputElement).value = "";
});

// ---- messages from the worker ----
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case "ready":
      readyText = `Ready: ${m.trainImages.toLocaleString("en")} training and ${m.testImages.toLocaleString("en")} test images; kernels: ${m.kernels}.${m.note === null ? "" : ` Note: ${m.note}`}`;
      return showStatus((document.body.dataset.state ?? "idle") as RunState);
    case "state": return setRunState(m.state);
    case "error": return showError(m.message);
    case "log": return addLog(m.line);
    case "progress":
      addCostPoints(m.points);
      progressText = ` epoch ${Math.floor(m.epoch) + 1} of ${input("epochs").value}, ${Math.round(100 * (m.epoch % 1))}% done`;
      if (document.body.dataset.state === "running") showStatus("running");
      $("speed").textContent = `images/s: ${Math.round(m.imagesPerSecond).toLocaleString("en")}`;
      return askPrediction();
    case "epoch":
      accuracyData[0].push(m.epoch + 1);
      accuracyData[1].push(m.validationAccuracy);
      accuracyData[2].push(m.testAccuracy);
      accuracyChart.setData(accuracyData);
      addGradients(m.epoch, m.gradients);
      showPlaceholders();
      progressText = ` ${m.epoch + 1} of ${input("epochs").value} epochs`;
      $("speed").textContent = `images/s: ${Math.round(m.imagesPerSecond).toLocaleString("en")} (epoch ${m.epoch}'s training)`;
      // Every epoch's training speed, for scripts/bench-page.ts to read.
      document.body.dataset.epochImagesPerSecond = `${document.body.dataset.epochImagesPerSecond ?? ""} ${m.imagesPerSecond}`.trim();
      drawConfusion(m.confusion);
      drawMistakes(m.mistakes);
      return askPrediction();
    case "weights":
      haveModel = true;
      drawTiles(m.units, m.inputs, m.w);
      return askPrediction();
    case "prediction": return showPrediction(m.outputs);
    case "evaluated":
      drawConfusion(m.confusion);
      drawMistakes(m.mistakes);
      return askPrediction();
    case "model": {
      const url = URL.createObjectURL(new Blob([m.json], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "tsgrad-model.json";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      return;
    }
  }
};
worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);
