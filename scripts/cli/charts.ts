/** What a person looks at after a run: a terminal chart and an SVG file of the curves. */
import asciichart from "asciichart";

/** A small terminal line chart of accuracy (%) per epoch. */
export function terminalChart(accuracies: readonly number[]): string {
  if (accuracies.length < 2) return "";
  const width = 60;
  // Spread short runs over the width, sample long ones down to it.
  const points = Math.min(width, 2 * accuracies.length);
  const series = Array.from({ length: points }, (_, i) => accuracies[Math.round((i * (accuracies.length - 1)) / (points - 1))]);
  const chart = asciichart.plot(series, { height: 8, format: (x: number) => `${x.toFixed(2)}%`.padStart(8) });
  return `accuracy per epoch (epochs 0-${accuracies.length - 1}):\n${chart}`;
}

export interface Curve {
  readonly label: string;
  readonly values: readonly number[];
  readonly colour: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One panel of an SVG chart: curves over epochs with axes, ticks and a legend. */
function panel(title: string, curves: readonly Curve[], x0: number, y0: number, w: number, h: number, unit: string, legendAtBottom: boolean): string {
  const all = curves.flatMap((c) => c.values).filter(Number.isFinite);
  if (all.length === 0) return "";
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const n = Math.max(...curves.map((c) => c.values.length));
  const px = (i: number) => x0 + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  const py = (v: number) => y0 + h - ((v - lo) / (hi - lo)) * h;
  const parts: string[] = [
    `<text x="${x0}" y="${y0 - 10}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(unit === "%" ? 2 : 4)}${unit}</text>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) parts.push(`<text x="${px(i)}" y="${y0 + h + 16}" font-size="11" text-anchor="middle">${i}</text>`);
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 32}" font-size="12" text-anchor="middle">epoch</text>`);
  curves.forEach((c, ci) => {
    const pts = c.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${c.colour}" stroke-width="2"/>`);
    // Rising curves (accuracy) leave the bottom right free, falling ones (cost) the top right.
    const ly = legendAtBottom ? y0 + h - 10 - 16 * (curves.length - 1 - ci) : y0 + 18 + 16 * ci;
    parts.push(`<text x="${x0 + w - 8}" y="${ly}" font-size="12" text-anchor="end" fill="${c.colour}">${escapeXml(c.label)}</text>`);
  });
  return parts.join("\n");
}

/** An SVG file with an accuracy panel and a cost panel, viewable in any browser. */
export function svgChart(title: string, accuracy: readonly Curve[], cost: readonly Curve[]): string {
  const w = 640, h = 260;
  const body = [panel(`${title}: accuracy`, accuracy, 80, 40, w, h, "%", true), panel("cost", cost, 80, 40 + h + 80, w, h, "", false)].join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${w + 120}" height="${2 * h + 160}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`;
}
