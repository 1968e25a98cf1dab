/**
 * Reading a file given by a user, safely: only a regular file is opened (without blocking, and checked again
 * on the descriptor, so a FIFO or /dev/zero is refused instead of hanging or never ending), and the reader is
 * given its size first, to refuse it by what it declares before reading it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { readableError } from "../core/index.ts";

/** Why a file could not be used, in words (a missing file, a folder, no permission, a symlink loop…). */
export function fileProblem(e: unknown): string {
  const code = (e as { code?: string }).code;
  return code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied"
    : code === "ELOOP" ? "a symlink loop" : code === "ENOTDIR" ? "a part of the path is not a directory" : code === "ENAMETOOLONG" ? "the name is too long"
    : `cannot read (${code ?? (e instanceof Error ? e.message.split("\n")[0] : String(e))})`;
}

/**
 * Opens `path` if it is a regular file and hands `use` its descriptor and size (closing it after); otherwise
 * one error naming the path and what it is. `what` ("a picture", "an IDX file") says what was expected.
 */
export function withRegularFile<A>(path: string, what: string, use: (fd: number, size: number) => Either<Error, A>): Either<Error, A> {
  const refuse = (isDirectory: boolean) => left(readableError(isDirectory
    ? `${path}: is a directory, not ${what}`
    : `${path}: not a regular file (a FIFO, device or socket); give the path of ${what}`));
  let fd: number;
  try {
    if (statSync(path).isDirectory()) return refuse(true);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return left(readableError(`${path}: ${fileProblem(e)}`));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return refuse(st.isDirectory());
    return use(fd, st.size);
  } catch (e) {
    return left(readableError(`${path}: ${fileProblem(e)}`));
  } finally {
    closeSync(fd);
  }
}

/** Reads `size` bytes from the file, from byte `from` (its start by default), into `bytes`; an error if the file changed size meanwhile. */
export function readFully<B extends Uint8Array>(fd: number, bytes: B, size: number, path: string, from = 0): Either<Error, B> {
  let got = 0;
  for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, bytes, got, Math.min(size - got, 1 << 30), from + got);
  return got === size ? right(bytes) : left(readableError(`${path}: changed size while being read (${got} of ${size} bytes)`));
}
