/** Reading a model file given on the command line, and computing with it as it was trained. */
import { cast, treeMap, type DType } from "../../core/index.ts";
import { decodeModel, type Model } from "../../nn/index.ts";
import { useBackend, type BackendName } from "./backend.ts";
import { orFail } from "./exit.ts";
import { readJsonFile } from "./files.ts";

/**
 * The model at `path`, its parameters in the precision of the backend it will run on: `backend` if given,
 * else the one it was trained with (so evaluation reproduces the accuracy training printed).
 */
export function readModel(path: string, backend?: BackendName): Model & { readonly dtype: DType } {
  const model = orFail(decodeModel(readJsonFile(path), path));
  const recorded = model.options.backend;
  const name = backend ?? (recorded === "wasm" || recorded === "js" || recorded === "reference" ? recorded : "wasm");
  const { dtype } = useBackend(name);
  return { ...model, params: treeMap(model.params, (t) => cast(t, dtype)), dtype };
}
