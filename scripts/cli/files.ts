/**
 * Files the scripts write are written whole or not at all: a temp file beside the target, every byte
 * checked written, fsync, then rename. Only regular files (or new paths) are written: a symlink is
 * followed to its target, and a device, FIFO or socket is refused, so `--save /dev/full` cannot replace
 * a device with a file. Paths are checked before any work, so a run never fails at its end.
 */
import { accessSync, closeSync, constants, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { left } from "fp-ts/lib/Either.js";
import { decodeSafetensors, looksLikeSafetensors } from "../../nn/index.ts";
import { readFully, withRegularFile } from "../../node/index.ts";
import { orFail, UserError } from "./exit.ts";

const reason = (e: unknown) => {
  const code = (e as { code?: string }).code;
  return code === "ENOSPC" ? "no space left on the device" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : e instanceof Error ? e.message.split("\n")[0] : String(e);
};

/** Kernel file systems whose "files" are not files: writing there fails late or does something else. */
const KERNEL_FILE_SYSTEMS: Readonly<Record<number, string>> = {
  0x9fa0: "proc", 0x62656572: "sysfs", 0x64626720: "debugfs", 0x74726163: "tracefs", 0x27e0eb: "cgroup", 0x63677270: "cgroup2",
  0x73636673: "securityfs", 0x6e736673: "nsfs", 0xcafe4a11: "bpf", 0x42494e4d: "binfmt_misc", 0x1cd1: "devpts",
};

/** The longest file name most file systems take, in bytes. */
const NAME_MAX = 255;

/** The temp file written beside `target` before it is renamed into place. */
const tempName = (target: string) => join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);

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
  let kind: string | undefined;
  try {
    kind = KERNEL_FILE_SYSTEMS[statfsSync(dir).type];
  } catch {
    kind = undefined;
  }
  if (kind !== undefined) throw new UserError(`${flag}: ${dir} is on the kernel's ${kind} file system, not a place for files`);
  // Everything about the name is checked now, not after training: the temp file's name is the longest.
  const longest = Buffer.byteLength(basename(tempName(target)));
  if (longest > NAME_MAX) throw new UserError(`${flag}: the name ${basename(target)} is too long (${Buffer.byteLength(basename(target))} bytes; at most ${NAME_MAX - (longest - Buffer.byteLength(basename(target)))} with the temporary file written beside it)`);
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

/**
 * What a path names, to tell whether two paths are one file: device and inode where the file exists, else
 * its real directory and name, so links and symlinked folders (`D/alias/m.json`, alias → real) compare equal.
 */
function fileIdentity(path: string): string {
  try {
    const st = statSync(path);
    return `inode ${st.dev}:${st.ino}`;
  } catch {
    try {
      return `path ${join(realpathSync(dirname(resolve(path))), basename(path))}`;
    } catch {
      return `path ${resolve(path)}`;
    }
  }
}

/**
 * Checks every output up front, that no two of them name the same file, and that none is one of the inputs
 * (`--spec s.json --save s.json`); an output may be the input of its own flag (a checkpoint resumed and rewritten).
 */
export function checkOutputs(
  outputs: readonly (readonly [flag: string, path: string | undefined])[],
  inputs: readonly (readonly [flag: string, path: string | undefined] | string)[] = [],
): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const where = fileIdentity(outputTarget(path, flag));
    const other = seen.get(where);
    if (other !== undefined) throw new UserError(`${other} and ${flag} name the same file (${path}); give each its own`);
    seen.set(where, flag);
  }
  for (const input of inputs) {
    const [flag, path] = typeof input === "string" ? ["an input", input] : input;
    if (path === undefined) continue;
    const out = seen.get(fileIdentity(path));
    if (out !== undefined && out !== flag) throw new UserError(`${out} would overwrite ${flag === "an input" ? "the input" : `the ${flag} file`} ${path}; give the output its own name`);
  }
}


/** Whether a process with this pid exists (ours or another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes what a killed writer left beside `target`: entries named by `name(base)` (a pattern whose one group is
 * the writer's pid) whose process is gone. Temp files and a build's temporary folder alike.
 */
export function sweepLeftovers(target: string, name: (escapedBase: string) => string): void {
  const dir = dirname(target);
  const pattern = new RegExp(`^${name(basename(target).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of names) {
    const m = pattern.exec(entry);
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/** Writes `text` to `path` atomically: readers see the old file or the whole new one, never a part; on any failure the old file stays. */
export function writeFileAtomic(path: string, text: string, flag = `cannot write ${path}`): void {
  writeFileAtomicBytes(path, Buffer.from(text, "utf8"), flag);
}

/** writeFileAtomic for bytes, given whole or as chunks written one after another (no one giant buffer). */
export function writeFileAtomicBytes(path: string, content: Uint8Array | readonly Uint8Array[], flag = `cannot write ${path}`): void {
  const chunks = content instanceof Uint8Array ? [content] : content;
  const target = outputTarget(path, flag);
  sweepLeftovers(target, (base) => `\\.${base}\\.(\\d+)\\.tmp`);
  const tmp = tempName(target);
  try {
    const fd = openSync(tmp, "w");
    try {
      // writeSync may write less than asked (a full disk can give a short count before any error): loop, and treat no progress as failure.
      for (const bytes of chunks) {
        for (let at = 0; at < bytes.length;) {
          const n = writeSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 30));
          if (n <= 0) throw Object.assign(new Error("no progress"), { code: "ENOSPC" });
          at += n;
        }
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

/**
 * The bytes of an input file, refusing (one line naming it) anything but a regular file before reading: a
 * FIFO or /dev/zero would block or never end. A file above `maxBytes` is refused by its size, before any of
 * it is read. `what` names what was expected ("picture", "model file").
 */
export function readInputFile(path: string, maxBytes: number, what = "file"): Buffer {
  const article = /^[aeiou]/i.test(what) ? "an" : "a";
  return orFail(withRegularFile(path, `${article} ${what}`, (fd, size) => size > maxBytes
    ? left(new Error(`${path}: ${(size / 2 ** 20).toFixed(0)} MiB is larger than any ${what} this reads (at most ${(maxBytes / 2 ** 20).toFixed(0)} MiB)`))
    : readFully(fd, Buffer.allocUnsafe(size), size, path)));
}

/** The largest JSON file read: V8's strings stop at ~512 M characters, and no spec, model or checkpoint tsgrad writes as JSON comes near. */
export const MAX_JSON_BYTES = 512 * 2 ** 20;
/** The largest safetensors file read: a 50 M-parameter network's Adam checkpoint in float64 with its best epoch's copy is 1.6 GB. */
export const MAX_SAFETENSORS_BYTES = 2 * 2 ** 30;

/**
 * Appends `text` (one whole record) to the file at `path`: written whole or not at all, so a full disk
 * leaves the file ending at its last whole record (cut back to its length before), and says so in one line.
 */
export function appendRecord(path: string, text: string, flag: string): void {
  const target = outputTarget(path, flag);
  const bytes = Buffer.from(text, "utf8");
  let fd: number;
  try {
    fd = openSync(target, "a");
  } catch (e) {
    throw new UserError(`cannot write ${path}: ${reason(e)}`);
  }
  let before = 0;
  try {
    before = fstatSync(fd).size;
    for (let at = 0; at < bytes.length;) {
      const n = writeSync(fd, bytes, at, bytes.length - at);
      if (n <= 0) throw Object.assign(new Error("no progress"), { code: "ENOSPC" });
      at += n;
    }
  } catch (e) {
    try {
      ftruncateSync(fd, before);
    } catch {
      // the record stays cut: say so below
    }
    throw new UserError(`cannot write ${path}: ${reason(e)}; the file keeps its records before this one`);
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses a JSON file; failures name the file. */
export function readJsonFile(path: string): unknown {
  return parseJson(path, readInputFile(path, MAX_JSON_BYTES, "JSON file"));
}

function parseJson(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** A model or checkpoint file as the object it holds, from JSON or safetensors (told apart by their first bytes). */
export function readModelOrCheckpoint(path: string, what: string): unknown {
  return parseModelOrCheckpoint(path, readInputFile(path, MAX_SAFETENSORS_BYTES, what), what);
}

/** readModelOrCheckpoint on bytes already read. */
export function parseModelOrCheckpoint(path: string, bytes: Buffer, what: string): unknown {
  if (looksLikeSafetensors(bytes)) return orFail(decodeSafetensors(bytes, path));
  if (bytes.length > MAX_JSON_BYTES) throw new UserError(`${path}: not a safetensors file, and too large for a JSON ${what} (at most ${MAX_JSON_BYTES / 2 ** 20} MiB)`);
  return parseJson(path, bytes);
}

/** A JSON file holds at most this many numbers (JSON.stringify builds one string, ~20 characters a number): above, write .safetensors. */
export const MAX_JSON_NUMBERS = 10_000_000;

/** Whether a file is written as safetensors (by its name) rather than JSON. */
export const isSafetensorsPath = (path: string) => /\.safetensors$/i.test(path);

/** Refuses, before training, a JSON output too large for JSON: it names the .safetensors form that holds it. */
export function checkJsonCapacity(flag: string, path: string | undefined, numbers: number): void {
  if (path === undefined || isSafetensorsPath(path) || numbers <= MAX_JSON_NUMBERS) return;
  const suggestion = path.replace(/\.json$/i, "") + ".safetensors";
  throw new UserError(`${flag} ${path}: ${numbers.toLocaleString("en-US")} numbers are too many for a JSON file (at most ${MAX_JSON_NUMBERS.toLocaleString("en-US")}); name it ${suggestion} to write it as safetensors`);
}
