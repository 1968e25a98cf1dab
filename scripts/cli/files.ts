/**
 * Files the scripts write are written whole or not at all: a temp file beside the target, every byte
 * checked written, fsync, then rename. Only regular files (or new paths) are written: a symlink is
 * followed to its target, and a device, FIFO or socket is refused, so `--save /dev/full` cannot replace
 * a device with a file. Paths are checked before any work, so a run never fails at its end.
 */
import { accessSync, closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "./exit.ts";

const reason = (e: unknown) => {
  const code = (e as { code?: string }).code;
  return code === "ENOSPC" ? "no space left on the device" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : e instanceof Error ? e.message.split("\n")[0] : String(e);
};

/** Where writing `path` really goes (a symlink's target), checked: a regular file or a new one, in a writable directory. */
export function outputTarget(path: string, flag: string): string {
  let target = path;
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) {
    try {
      target = realpathSync(path);
    } catch {
      throw new UserError(`${flag}: ${path} is a symlink to a missing place`);
    }
    st = statSync(target);
  }
  if (st !== undefined) {
    if (st.isDirectory()) throw new UserError(`${flag}: ${path} is a directory`);
    if (!st.isFile()) throw new UserError(`${flag}: ${path} is not a regular file (a device, FIFO or socket); give the path of a file`);
  }
  const dir = dirname(target);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    dirStat = undefined;
  }
  if (dirStat === undefined || !dirStat.isDirectory()) throw new UserError(`${flag}: directory ${dir} does not exist`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${flag}: directory ${dir} is not writable`);
  }
  return target;
}

/**
 * Makes the directory `path` and any missing parents, one level at a time from the nearest existing folder,
 * which must be a writable directory (node's recursive mkdir spins forever under /proc).
 */
export function makeDirectory(path: string, flag: string): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "ENOENT") throw new UserError(`${flag}: cannot use ${at} (${reason(e)})`);
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw new UserError(`${flag}: ${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      throw new UserError(`${flag}: cannot make directory ${dir} (${reason(e)})`);
    }
  }
}

/** Checks every output up front, and that no two of them name the same file. */
export function checkOutputs(outputs: readonly (readonly [flag: string, path: string | undefined])[]): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const where = resolve(outputTarget(path, flag));
    const other = seen.get(where);
    if (other !== undefined) throw new UserError(`${other} and ${flag} name the same file (${path}); give each its own`);
    seen.set(where, flag);
  }
}

const tempPattern = (base: string) => new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.tmp$`);

/** Whether a process with this pid exists (ours or another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** Removes temp files of our own naming that a killed writer left beside `target`. */
function sweepStaleTemps(target: string): void {
  const dir = dirname(target), pattern = tempPattern(basename(target));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

/** Writes `text` to `path` atomically: readers see the old file or the whole new one, never a part; on any failure the old file stays. */
export function writeFileAtomic(path: string, text: string, flag = `cannot write ${path}`): void {
  writeFileAtomicBytes(path, Buffer.from(text, "utf8"), flag);
}

/** writeFileAtomic for bytes. */
export function writeFileAtomicBytes(path: string, bytes: Uint8Array, flag = `cannot write ${path}`): void {
  const target = outputTarget(path, flag);
  sweepStaleTemps(target);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      // writeSync may write less than asked (a full disk can give a short count before any error): loop, and treat no progress as failure.
      for (let at = 0; at < bytes.length;) {
        const n = writeSync(fd, bytes, at, bytes.length - at);
        if (n <= 0) throw Object.assign(new Error("no progress"), { code: "ENOSPC" });
        at += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${path}: ${reason(e)}; the previous file, if any, is unchanged`);
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
