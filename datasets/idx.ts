/**
 * The IDX format of MNIST: a magic number (0, 0, type, rank), big-endian 32-bit dimensions, then the
 * data. Only unsigned bytes (type 0x08) are read, which is what MNIST-style sets hold.
 * Parsing is pure (bytes in, Either out); every failure names the file and what is wrong.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { readableError } from "../core/index.ts";

export interface Idx {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Reads IDX bytes; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string, expectedRank?: number): Either<Error, Idx> {
  const declared = idxDeclaredSize(bytes, name, expectedRank, bytes.length);
  if (declared._tag === "Left") return declared;
  const { header, expected, dims } = declared.right;
  return right({ dims, data: bytes.subarray(header, expected) });
}

/**
 * What an IDX file's header declares: its header length, its dimensions and its whole size, checked against
 * `fileSize`. Only the header's bytes are needed, so a file can be judged by its first bytes and its size
 * before it is read (a 3 GB file whose header says 470 KB is refused without reading it).
 */
export function idxDeclaredSize(head: Uint8Array, name: string, expectedRank: number | undefined, fileSize: number): Either<Error, { header: number; expected: number; dims: number[] }> {
  const fail = (what: string) => left(readableError(`${name}: ${what}`));
  if (fileSize < 4 || head.length < 4) return fail(`too short to be an IDX file (${fileSize} bytes)`);
  if (head[0] !== 0 || head[1] !== 0) {
    return fail(`not an IDX file (magic number starts ${hex(head[0])} ${hex(head[1])}, expected 0x00 0x00)`);
  }
  if (head[2] !== UNSIGNED_BYTE) return fail(`holds data of type ${hex(head[2])}; only unsigned bytes (0x08) are supported`);
  const rank = head[3];
  if (rank === 0) return fail("has rank 0 (no dimensions)");
  if (expectedRank !== undefined && rank !== expectedRank) return fail(`has ${rank} dimensions, expected ${expectedRank}`);
  const header = 4 + 4 * rank;
  if (fileSize < header || head.length < header) return fail(`is truncated inside its header (${Math.min(fileSize, head.length)} of ${header} bytes)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) return fail(`dimension ${i} is 0`);
    dims.push(d);
    size *= d;
  }
  const expected = header + size;
  if (fileSize < expected) return fail(`is truncated: dimensions ${dims.join("x")} need ${expected} bytes, file has ${fileSize}`);
  // (An unknown size, Infinity: the header alone is being read.)
  if (fileSize > expected && Number.isFinite(fileSize)) return fail(`has ${fileSize - expected} bytes after its data (dimensions ${dims.join("x")})`);
  return right({ header, expected, dims });
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, "0")}`;
}

/** The IDX bytes of an array of unsigned bytes with the given dimensions (for tests and tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
