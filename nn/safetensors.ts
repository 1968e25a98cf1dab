/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian numbers. tsgrad writes its
 * model and checkpoint files this way when their name ends in .safetensors: no giant string is ever built,
 * so any network the spec limits allow fits, and PyTorch's `safetensors.torch.load_file` reads the weights.
 *
 * The file's non-tensor part (format, spec, options, history, …) goes as JSON text in the header's
 * `__metadata__.tsgrad`, with each tree's structure and null for each tensor; each tensor is named by its
 * path in that object (`params.0.w`, `optState.1.v.b`).
 * Decoding gives back the same object a JSON file holds, with `{shape, data}` where the arrays were, so one
 * decoder (io-ts, decodeTree) checks both forms.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { Tensor, type Tree, readableError } from "../core/index.ts";

const METADATA_KEY = "tsgrad";
/** A header larger than this is not one tsgrad wrote (a 50 M-parameter network's is a few kB). */
const MAX_HEADER_BYTES = 16 * 2 ** 20;

/** Whether bytes start like a safetensors file: a plausible header length, then `{`. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  return n > 1 && n <= Math.min(MAX_HEADER_BYTES, bytes.length - 8) && bytes[8] === 0x7b;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Every tensor of `trees`, named by its path (`params.0.w`), in a fixed order. */
function namedTensors(trees: Readonly<Record<string, Tree>>): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (t: Tree, path: string) => {
    if (t instanceof Tensor) out.push([path, t]);
    else if (Array.isArray(t)) (t as readonly Tree[]).forEach((x, i) => walk(x, `${path}.${i}`));
    else {
      const rec = t as { readonly [k: string]: Tree };
      for (const k of Object.keys(rec).sort()) {
        if (k.includes(".") || /^\d+$/.test(k)) throw new Error(`safetensors: a parameter key ${JSON.stringify(k)} cannot be named in a path`);
        walk(rec[k], `${path}.${k}`);
      }
    }
  };
  for (const [name, t] of Object.entries(trees)) walk(t, name);
  return out;
}

/**
 * The file as a list of byte chunks (header, then each tensor's numbers as they lie in memory), to be
 * written one after another. `metadata` is the file's other fields; `trees` its parameter trees by field path.
 */
export function encodeSafetensors(metadata: unknown, trees: Readonly<Record<string, Tree>>): Uint8Array[] {
  if (!isLittleEndian()) throw new Error("safetensors: this machine is big-endian; writing its numbers needs a byte swap tsgrad does not do");
  const tensors = namedTensors(trees);
  const header: Record<string, unknown> = { __metadata__: { [METADATA_KEY]: JSON.stringify(metadata) } };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype === "float32" ? "F32" : "F64", shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Padded with spaces so the numbers start 8-byte aligned (as the format recommends): readers can view them in place.
  let text = JSON.stringify(header);
  text += " ".repeat((8 - ((8 + text.length) % 8)) % 8);
  const head = new TextEncoder().encode(text);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setUint32(0, head.length, true);
  return [length, head, ...tensors.map(([, t]) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
}

interface Entry {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data_offsets: readonly [number, number];
}

function isEntry(v: unknown): v is Entry {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.dtype === "string" && Array.isArray(e.shape) && e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    && Array.isArray(e.data_offsets) && e.data_offsets.length === 2 && e.data_offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** A tree's structure with each tensor as null: the metadata keeps it, so empty parts (an activation's []) survive. */
export function treeSkeleton(t: Tree): unknown {
  if (t instanceof Tensor) return null;
  if (Array.isArray(t)) return (t as readonly Tree[]).map(treeSkeleton);
  const rec = t as { readonly [k: string]: Tree };
  return Object.fromEntries(Object.keys(rec).sort().map((k) => [k, treeSkeleton(rec[k])]));
}

/** Puts `value` in the null its path names inside `root` (segments of digits are array indices); false when there is no such null. */
function place(root: Record<string, unknown>, path: string, value: unknown): boolean {
  let at: unknown = root;
  const parts = path.split(".");
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i];
    if (typeof at !== "object" || at === null || ArrayBuffer.isView(at) || !Object.hasOwn(at, key)) return false;
    if (Array.isArray(at) !== /^\d+$/.test(key)) return false;
    const slot = (at as Record<string, unknown>)[key];
    if (i === parts.length - 1) {
      if (slot !== null) return false;
      (at as Record<string, unknown>)[key] = value;
    }
    at = slot;
  }
  return true;
}

/**
 * Reads a safetensors file tsgrad wrote: the object its metadata holds, with each tensor put back at its
 * path as `{shape, data}` (data a typed array viewing the file's bytes where aligned). Every length, range
 * and name is checked against the file; the object itself is for the model or checkpoint decoder to check.
 */
export function decodeSafetensors(bytes: Uint8Array, what: string): Either<Error, unknown> {
  const fail = (msg: string) => left(readableError(`${what}: ${msg}`));
  if (bytes.length < 8) return fail("too short for a safetensors file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES || n > bytes.length - 8) return fail(`its header says ${n} bytes, more than the file holds (${bytes.length})`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`its safetensors header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return fail("its safetensors header is not a JSON object");
  const { __metadata__: meta, ...entries } = header as Record<string, unknown>;
  const text = typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>)[METADATA_KEY] : undefined;
  if (typeof text !== "string") return fail(`a safetensors file without tsgrad's metadata (__metadata__.${METADATA_KEY}); not a tsgrad model or checkpoint`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    return fail(`its metadata is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof root !== "object" || root === null || Array.isArray(root)) return fail("its metadata is not a JSON object");
  const start = 8 + n, body = bytes.length - start;
  // The numbers must cover the data exactly, with no gaps or overlaps (the format's own rule).
  const ranges: [number, number, string][] = [];
  for (const [name, e] of Object.entries(entries)) {
    if (!isEntry(e)) return fail(`tensor ${name}: expected {"dtype", "shape", "data_offsets"}`);
    const size = e.dtype === "F32" ? 4 : e.dtype === "F64" ? 8 : 0;
    if (size === 0) return fail(`tensor ${name}: dtype ${e.dtype}; tsgrad reads F32 and F64`);
    const [from, to] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (from > to || to > body) return fail(`tensor ${name}: bytes ${from}-${to} are outside the file's ${body} bytes of data`);
    if (to - from !== count * size) return fail(`tensor ${name}: shape [${e.shape.join(", ")}] needs ${count * size} bytes, its range holds ${to - from}`);
    const at = bytes.byteOffset + start + from;
    const data = at % size === 0
      ? (size === 4 ? new Float32Array(bytes.buffer, at, count) : new Float64Array(bytes.buffer, at, count))
      : (size === 4 ? new Float32Array(bytes.slice(start + from, start + to).buffer) : new Float64Array(bytes.slice(start + from, start + to).buffer));
    if (!place(root as Record<string, unknown>, name, { shape: e.shape, data })) return fail(`tensor ${name}: names no tensor of the file's trees (or names one twice)`);
    ranges.push([from, to, name]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [from, to, name] of ranges) {
    if (from !== covered) return fail(`tensor ${name}: ${from < covered ? "overlaps the one before it" : "leaves a gap before it"}`);
    covered = to;
  }
  if (covered !== body) return fail(`${body - covered} bytes after the last tensor belong to none`);
  return right(root);
}
