/** Files the scripts write are written whole or not at all: a temp file beside the target, fsync, then rename. */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UserError } from "./exit.ts";

/** Checks up front that `path` can be written (its directory exists and it is not a directory), so a run fails before training, not after. */
export function checkWritable(path: string, flag: string): void {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${flag}: directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${flag}: ${path} is a directory`);
}

/** Writes `text` to `path` atomically: readers see the old file or the whole new one, never a part. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${path}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

/** Reads and parses a JSON file; failures name the file. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(code === "ENOENT" ? `${path}: no such file` : code === "EISDIR" ? `${path}: is a directory` : `${path}: cannot read (${code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}
