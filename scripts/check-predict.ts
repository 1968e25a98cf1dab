/**
 * Holds predict's picture normaliser to MNIST's own form: the first N t10k digits are written as PNG files
 * (in memory), read back through predict's path (PNG decoding, then `toMnistDigit`), and classified; the
 * answer must be the one the model gives on the raw 28×28 image. Prints the agreement and both accuracies.
 */
import { PNG } from "pngjs";
import { argmaxRows, cast, Tensor } from "../core/index.ts";
import { toMnistDigit } from "../datasets/index.ts";
import { loadIdxDirectory, mnistDirectory } from "../node/index.ts";
import { orFail, runMain, UserError } from "./cli/exit.ts";
import { commandLine, positiveInt } from "./cli/flags.ts";
import { readModel } from "./cli/model-file.ts";

const table = {
  count: { codec: positiveInt, default: "1000", placeholder: "N", help: "how many t10k digits to check" },
} as const;

runMain(() => {
  const parsed = commandLine(table, { usage: "npm run check-predict -- MODEL.json [--count N]", about: "Checks that predict reads MNIST's own digits, written as PNGs, as the model reads the raw images." }, { min: 1, max: 1, names: "the model file" });
  if (parsed === undefined) return 0;
  const model = readModel(parsed.positionals[0]);
  if (model.net.inputSize !== 784) throw new UserError(`${parsed.positionals[0]}: the model takes ${model.net.inputSize} inputs; MNIST digits have 784`);
  const test = orFail(loadIdxDirectory(mnistDirectory())).test;
  const images = test.images; // read once: a set held as sparse rows makes its pixels behind a getter
  const n = Math.min(parsed.flags.count, test.count);
  const raw = new Float64Array(n * 784), read = new Float64Array(n * 784);
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) {
      const v = images[i * 784 + p];
      raw[i * 784 + p] = v / 255;
      png.data[4 * p] = png.data[4 * p + 1] = png.data[4 * p + 2] = v;
      png.data[4 * p + 3] = 255;
    }
    const decoded = PNG.sync.read(PNG.sync.write(png));
    const digit = toMnistDigit({ width: 28, height: 28, rgba: new Uint8Array(decoded.data) });
    if (digit._tag === "Left") throw new UserError(`t10k digit ${i}: ${digit.left.message}`);
    read.set(digit.right, i * 784);
  }
  const classify = (x: Float64Array) => argmaxRows(model.net.apply(model.params, cast(new Tensor([n, 784], x), model.dtype)));
  const a = classify(raw), b = classify(read);
  let same = 0, rightRaw = 0, rightRead = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) same++;
    if (a[i] === test.labels[i]) rightRaw++;
    if (b[i] === test.labels[i]) rightRead++;
  }
  const pct = (k: number) => `${((100 * k) / n).toFixed(2)}%`;
  process.stdout.write(`same answer: ${same} / ${n} (${pct(same)}); accuracy on the raw images ${pct(rightRaw)}, through predict's normaliser ${pct(rightRead)}\n`);
  return 0;
});
