/** What a person looks at after a run: a terminal chart and an SVG file of the curves. */
import asciichart from "asciichart";

/** A small terminal line chart of accuracy (%) per epoch. */
export function terminalChart(accuracies: readonly number[]): string {
  if (accuracies.length < 2) return "";
  const width = 60;
  // Spread short runs over the width, sample long ones down to it.
  const points = Math.min(width, 2 * accuracies.length);
  const series = Array.from({ length: points }, (_, i) => accuracies[Math.round((i * (accuracies.length - 1)) / (points - 1))]);
  // A row per round-number tick, about eight of them.
  const ticks = niceTicks(Math.min(...series), Math.max(...series), 8);
  const min = ticks[0], max = ticks[ticks.length - 1] > min ? ticks[ticks.length - 1] : min + 1;
  const digits = decimals(ticks);
  const chart = asciichart.plot(series, { min, max, height: Math.max(1, ticks.length - 1), format: (x: number) => `${x.toFixed(digits)}%`.padStart(8) });
  return `accuracy per epoch (epochs 0-${accuracies.length - 1}):\n${chart}`;
}

export interface Curve {
  readonly label: string;
  readonly values: readonly number[];
  readonly colour: string;
}

function escapeXml(s: string): string {
  // XML 1.0 has no way to write most control characters, nor a lone surrogate: they become U+FFFD.
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Ticks on round numbers (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  // The round step nearest (by ratio) to an even split into `count`.
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).reduce((a, b) => (Math.abs(Math.log(b / raw)) < Math.abs(Math.log(a / raw)) ? b : a));
  const first = Math.floor(lo / step + 1e-9) * step, last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step / 2; k++) ticks.push(Number((first + k * step).toPrecision(15)));
  return ticks;
}

/** Digits a tick label needs to show its step exactly (0.05 → 2, 2.5 → 1, 10 → 0). */
function decimals(ticks: readonly number[]): number {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const text = Number(step.toPrecision(6)).toString();
  return text.includes(".") ? Math.min(6, text.length - text.indexOf(".") - 1) : 0;
}

export interface Panel {
  readonly title: string;
  readonly unit: "%" | "";
  /** Plot log₁₀ of the values (positive ones), ticks at powers of ten: for numbers over orders of magnitude. */
  readonly log?: boolean;
  /** The x axis's name (default "epoch"). */
  readonly xLabel?: string;
  readonly curves: readonly Curve[];
  /** A marked point: the best epoch of the curve at `curve`, with its label. */
  readonly best?: { readonly curve: number; readonly epoch: number; readonly label: string };
}

const PLOT_W = 560, PLOT_H = 240, LEFT = 80, LEGEND_W = 420, PANEL_GAP = 90;

/** One panel: curves over epochs with round-number ticks; the legend sits right of the plot, never over a curve. */
function drawPanel(p: Panel, y0: number): string {
  const x0 = LEFT, w = PLOT_W, h = PLOT_H;
  const scale = (v: number) => (p.log === true ? (v > 0 ? Math.log10(v) : NaN) : v);
  const all = p.curves.flatMap((c) => c.values.map(scale)).filter(Number.isFinite);
  if (all.length === 0) return "";
  const ticks = p.log === true
    ? Array.from({ length: Math.ceil(Math.max(...all)) - Math.floor(Math.min(...all)) + 1 }, (_, i) => Math.floor(Math.min(...all)) + i)
    : niceTicks(Math.min(...all), Math.max(...all));
  const lo = ticks[0], hi = ticks[ticks.length - 1] > lo ? ticks[ticks.length - 1] : lo + 1;
  const n = Math.max(...p.curves.map((c) => c.values.length));
  const px = (i: number) => x0 + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  const py = (v: number) => y0 + h - ((v - lo) / (hi - lo)) * h;
  const digits = decimals(ticks);
  const parts: string[] = [
    `<text x="${x0}" y="${y0 - 10}" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (const v of ticks) {
    parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${p.log === true ? `1e${v}` : `${v.toFixed(digits)}${p.unit}`}</text>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) parts.push(`<text x="${px(i)}" y="${y0 + h + 16}" font-size="11" text-anchor="middle">${i}</text>`);
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 32}" font-size="12" text-anchor="middle">${escapeXml(p.xLabel ?? "epoch")}</text>`);
  p.curves.forEach((c, ci) => {
    const pts = c.values.map(scale).map((v, i) => (Number.isFinite(v) ? `${px(i).toFixed(1)},${py(v).toFixed(1)}` : "")).filter((x) => x !== "").join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${c.colour}" stroke-width="2"/>`);
    const ly = y0 + 14 + 18 * ci;
    parts.push(`<line x1="${x0 + w + 16}" x2="${x0 + w + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${c.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${x0 + w + 42}" y="${ly}" font-size="12" fill="#333">${escapeXml(c.label)}</text>`);
  });
  if (p.best !== undefined) {
    const raw = p.curves[p.best.curve]?.values[p.best.epoch];
    const v = raw === undefined ? undefined : scale(raw);
    if (v !== undefined && Number.isFinite(v)) {
      parts.push(`<circle cx="${px(p.best.epoch)}" cy="${py(v)}" r="5" fill="none" stroke="#000" stroke-width="1.5"/>`);
      parts.push(`<text x="${px(p.best.epoch)}" y="${py(v) + (py(v) < y0 + 20 ? 18 : -9)}" font-size="11" text-anchor="middle">${escapeXml(p.best.label)}</text>`);
    }
  }
  return parts.join("\n");
}

/** An SVG file of panels stacked (accuracy, then costs), viewable in any browser. */
export function svgChart(title: string, panels: readonly Panel[]): string {
  const shown = panels.filter((p) => p.curves.some((c) => c.values.some(Number.isFinite)));
  const body = shown.map((p, i) => drawPanel(p, 60 + i * (PLOT_H + PANEL_GAP))).join("\n");
  const height = 60 + shown.length * (PLOT_H + PANEL_GAP);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${LEFT + PLOT_W + LEGEND_W}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>
${body}
</svg>
`;
}
