/**
 * The IDX format of MNIST: a magic number (0, 0, type, rank), big-endian 32-bit dimensions, then the
 * data. Only unsigned bytes (type 0x08) are read, which is what MNIST-style sets hold.
 * Parsing is pure (bytes in, Either out); every failure names the file and what is wrong.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";

export interface Idx {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Reads IDX bytes; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string, expectedRank?: number): Either<Error, Idx> {
  const fail = (what: string) => left(new Error(`${name}: ${what}`));
  if (bytes.length < 4) return fail(`too short to be an IDX file (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    return fail(`not an IDX file (magic number starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) return fail(`holds data of type ${hex(bytes[2])}; only unsigned bytes (0x08) are supported`);
  const rank = bytes[3];
  if (rank === 0) return fail("has rank 0 (no dimensions)");
  if (expectedRank !== undefined && rank !== expectedRank) return fail(`has ${rank} dimensions, expected ${expectedRank}`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) return fail(`is truncated inside its header (${bytes.length} of ${header} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) return fail(`dimension ${i} is 0`);
    dims.push(d);
    size *= d;
  }
  const expected = header + size;
  if (bytes.length < expected) return fail(`is truncated: dimensions ${dims.join("x")} need ${expected} bytes, file has ${bytes.length}`);
  if (bytes.length > expected) return fail(`has ${bytes.length - expected} bytes after its data (dimensions ${dims.join("x")})`);
  return right({ dims, data: bytes.subarray(header, expected) });
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
