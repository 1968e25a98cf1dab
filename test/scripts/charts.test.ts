/** Charts (issue 12, item 23): round-number ticks, titles that carry the settings, a best-epoch marker, legends beside the plot. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { niceTicks, svgChart, terminalChart } from "../../scripts/cli/charts.ts";

test("ticks are round numbers (1, 2, 2.5 or 5 times a power of ten) covering the range", () => {
  fc.assert(
    fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (lo, span) => {
      const ticks = niceTicks(lo, lo + span);
      assert.ok(ticks[0] <= lo + 1e-9 * span && ticks[ticks.length - 1] >= lo + span - 1e-9 * span, `${ticks} for [${lo}, ${lo + span}]`);
      assert.ok(ticks.length >= 2 && ticks.length <= 12, `${ticks}`);
      const step = ticks[1] - ticks[0];
      const mantissa = Number((step / 10 ** Math.floor(Math.log10(step) + 1e-12)).toPrecision(6));
      assert.ok([1, 2, 2.5, 5, 10].includes(mantissa), `step ${step}`); // (10: a step just under a power of ten after rounding)
    }),
    { numRuns: 200 },
  );
  assert.deepEqual(niceTicks(90.64, 94.99), [90, 91, 92, 93, 94, 95]);
});

test("the SVG chart titles its panels, marks the best epoch, and keeps each legend right of its plot", () => {
  const svg = svgChart("784-30-10, η=0.5, λ=5", [
    { title: "accuracy on the test set", unit: "%", curves: [{ label: "test accuracy", values: [90, 93, 92], colour: "#1f77b4" }], best: { curve: 0, epoch: 1, label: "best 93.00% (epoch 1)" } },
    { title: "quadratic cost", unit: "", curves: [{ label: "training cost (mean over the epoch's mini-batches)", values: [0.2, 0.1, 0], colour: "#ff7f0e" }] },
  ]);
  assert.match(svg, /784-30-10, η=0.5, λ=5/);
  assert.match(svg, /<circle [^>]*\/>\n<text [^>]*>best 93.00% \(epoch 1\)<\/text>/);
  for (const m of svg.matchAll(/<text x="(\d+)" y="\d+" font-size="12" fill="#333">/g)) assert.ok(Number(m[1]) > 80 + 560, "legend beside the plot");
  assert.match(svg, />0\.05</);
  assert.doesNotMatch(svg, />0\.050</);
});

test("the terminal chart's rows are round numbers", () => {
  const rows = terminalChart([90.64, 91.18, 93.9, 94.99]).split("\n").slice(1).map((l) => Number(/([\d.]+)%/.exec(l)![1]));
  assert.deepEqual(rows, [95, 94.5, 94, 93.5, 93, 92.5, 92, 91.5, 91, 90.5]);
});

test("the SVG is well-formed XML whatever the title: control characters and lone surrogates become U+FFFD, markup is escaped", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), (title) => {
    const svg = svgChart(title, [{ title: "t", unit: "%", curves: [{ label: title, values: [1, 2], colour: "#000" }] }]);
    assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
    assert.doesNotMatch(svg, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    const shown = /<text x="80" y="24"[^>]*>([^<]*)<\/text>/.exec(svg)?.[1] ?? "";
    const back = shown.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    assert.equal(back.length, title.length);
  }), { numRuns: 200 });
});
