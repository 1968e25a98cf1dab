/** Reading a model file given on the command line. */
import { decodeModel, type Model } from "../../nn/index.ts";
import { orFail } from "./exit.ts";
import { readJsonFile } from "./files.ts";

export function readModel(path: string): Model {
  return orFail(decodeModel(readJsonFile(path), path));
}
