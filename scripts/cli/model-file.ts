/** Reading a model file given on the command line, and computing with it as it was trained. */
import { cast, treeMap, type DType } from "../../core/index.ts";
import { decodeModel, type Model } from "../../nn/index.ts";
import { useBackend, type BackendName } from "./backend.ts";
import { orFail, UserError } from "./exit.ts";
import { invokedAs } from "./flags.ts";
import { MAX_SAFETENSORS_BYTES, parseModelOrCheckpoint, readInputFile } from "./files.ts";

/** The kind of file given where a model was expected, told by its first bytes, when it is one we know. */
function otherKind(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 8);
  if (head.toString("hex") === "89504e470d0a1a0a") return `a PNG picture (predict reads pictures: ${invokedAs("predict")} MODEL PICTURE)`;
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return `a JPEG picture (predict reads pictures: ${invokedAs("predict")} MODEL PICTURE)`;
  if (head.toString("latin1").startsWith("GIF8")) return "a GIF picture";
  return undefined;
}

/** A model file's contents, or one line saying what else the file is (a picture, a spec, a checkpoint). */
export function readModelFile(path: string): unknown {
  const bytes = readInputFile(path, MAX_SAFETENSORS_BYTES, "model file");
  const kind = otherKind(bytes);
  if (kind !== undefined) throw new UserError(`${path}: ${kind}, not a model file`);
  const value = parseModelOrCheckpoint(path, bytes, "model file");
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.format === "tsgrad-checkpoint") throw new UserError(`${path}: a training checkpoint, not a model file (continue it with ${invokedAs("train")} --resume ${path}; a run writes its model with --save)`);
    if (v.format === undefined && "input" in v && "layers" in v) throw new UserError(`${path}: a network spec, not a trained model (train it with ${invokedAs("train")} --spec ${path} --save MODEL.json)`);
  }
  return value;
}

/**
 * The model at `path`, its parameters in the precision of the backend it will run on: `backend` if given,
 * else the one it was trained with (so evaluation reproduces the accuracy training printed).
 */
export function readModel(path: string, backend?: BackendName): Model & { readonly dtype: DType } {
  const value = readModelFile(path);
  const model = orFail(decodeModel(value, path));
  const recorded = model.options.backend;
  const name = backend ?? (recorded === "wasm" || recorded === "js" || recorded === "reference" ? recorded : "wasm");
  const { dtype } = useBackend(name);
  return { ...model, params: treeMap(model.params, (t) => cast(t, dtype)), dtype };
}
