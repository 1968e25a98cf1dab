/** Reading a model file given on the command line, and computing with it as it was trained. */
import { cast, treeMap, type DType } from "../../core/index.ts";
import { decodeModel, type Model } from "../../nn/index.ts";
import { useBackend, type BackendName } from "./backend.ts";
import { orFail, UserError } from "./exit.ts";
import { invokedAs } from "./flags.ts";
import { MAX_SAFETENSORS_BYTES, parseModelOrCheckpoint, readInputFile } from "./files.ts";
import { kindOf } from "./picture.ts";

/**
 * A model file's contents, or one line saying what else the file is (a picture, a spec, a checkpoint).
 * `picture` words the picture case for the caller (predict, whose arguments may be swapped).
 */
export function readModelFile(path: string, picture?: string): unknown {
  const bytes = readInputFile(path, MAX_SAFETENSORS_BYTES, "model file");
  const kind = kindOf(bytes);
  if (kind === "png" || kind === "jpeg" || kind === "gif") {
    throw new UserError(`${path}: ${picture ?? `a ${kind.toUpperCase()} picture (predict reads pictures: ${invokedAs("predict")} MODEL PICTURE), not a model file`}`);
  }
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
export function readModel(path: string, backend?: BackendName, picture?: string): Model & { readonly dtype: DType } {
  const value = readModelFile(path, picture);
  const model = orFail(decodeModel(value, path));
  const recorded = model.options.backend;
  const name = backend ?? (recorded === "wasm" || recorded === "js" || recorded === "reference" ? recorded : "wasm");
  const { dtype } = useBackend(name);
  return { ...model, params: treeMap(model.params, (t) => cast(t, dtype)), dtype };
}
