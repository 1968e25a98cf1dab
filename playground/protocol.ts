/** The messages between the page and its training worker (structured-clone data only). */

export type BuiltInCost = "quadratic" | "cross-entropy" | "log-likelihood";

/** What the page's form sets: the seed's flags, a spec and a cost. */
export interface PlaygroundConfig {
  /** The network spec as JSON text (decoded in the worker, as the CLI decodes a --spec file). */
  readonly spec: string;
  /** "normal" (the seed's) or "scaled": applied to dense layers whose spec names no init. */
  readonly init: "normal" | "scaled";
  readonly cost: BuiltInCost | "custom";
  /** The learner's cost over a, y and n, when cost is "custom". */
  readonly costExpression: string;
  readonly eta: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly lambda: number;
  readonly momentum: number;
  /** Training images used (the first N of the seed's 50,000). */
  readonly trainSize: number;
  readonly seed: number;
}

export type ToWorker =
  | { readonly type: "start"; readonly config: PlaygroundConfig }
  | { readonly type: "pause" }
  | { readonly type: "resume" }
  | { readonly type: "reset" }
  | { readonly type: "predict"; readonly pixels: Float64Array }
  | { readonly type: "loadModel"; readonly name: string; readonly bytes: ArrayBuffer }
  | { readonly type: "saveModel" };

/** One layer's gradient norm after an epoch, for the page's chart: a line per layer. */
export interface LayerGradient {
  /** "layer 0 (dense 30)": its place in the spec and what it is. */
  readonly label: string;
  readonly norm: number;
}

/** A misclassified test digit. */
export interface Mistake {
  readonly index: number;
  readonly predicted: number;
  readonly truth: number;
  readonly pixels: Uint8Array;
}

/** Training examples averaged into one point of the cost chart: 50 points a 50,000-image epoch, each a window's mean. */
export const COST_WINDOW = 1000;

export type RunState = "loading" | "idle" | "running" | "pausing" | "paused" | "finished";

export type FromWorker =
  | { readonly type: "ready"; readonly kernels: string; readonly note: string | null; readonly trainImages: number; readonly testImages: number }
  | { readonly type: "state"; readonly state: RunState }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "log"; readonly line: string }
  /**
   * About every 0.1 s: the cost chart's new points, each the mean cost over a fixed window of training
   * examples (COST_WINDOW) at the fractional epoch where it ends, and the speed since the last report.
   */
  | { readonly type: "progress"; readonly points: readonly { readonly epoch: number; readonly cost: number }[]; readonly epoch: number; readonly imagesPerSecond: number }
  | {
      readonly type: "epoch";
      readonly epoch: number;
      readonly trainCost: number;
      readonly testAccuracy: number;
      readonly validationAccuracy: number | null;
      readonly confusion: number[][];
      readonly mistakes: readonly Mistake[];
      readonly imagesPerSecond: number;
      /** Each layer with parameters: ‖∂C/∂b‖ (its biases, the book's chapter 5 measure; else all its parameters) over the first 1,000 training images. */
      readonly gradients: readonly LayerGradient[];
    }
  /** The first layer's incoming weights, unit by unit (units × inputs), for the tiles. */
  | { readonly type: "weights"; readonly units: number; readonly inputs: number; readonly w: Float32Array }
  | { readonly type: "prediction"; readonly outputs: readonly number[] }
  | { readonly type: "evaluated"; readonly name: string; readonly correct: number; readonly total: number; readonly confusion: number[][]; readonly mistakes: readonly Mistake[] }
  | { readonly type: "model"; readonly json: string };
