/** io-ts decoding with one readable line per failure, naming the field (`layers[1]`) and what was wrong. */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { readableError } from "../core/index.ts";

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// The io-ts kind each `described` wrapper stands for, so paths see through the wrapper.
const wrapped = new WeakMap<object, string | undefined>();

function tagOf(type: t.Decoder<unknown, unknown>): string | undefined {
  const { _tag, type: inner } = type as { readonly _tag?: string; readonly type?: t.Decoder<unknown, unknown> };
  // An exact type validates through its inner type without an entry of its own.
  if (_tag === "ExactType" && inner !== undefined) return tagOf(inner);
  return _tag ?? wrapped.get(type);
}

// Kinds whose context entries are real fields or indices (union and intersection entries are branches).
const containers = new Set(["InterfaceType", "PartialType", "StrictType", "ArrayType", "ReadonlyArrayType", "DictionaryType", "TupleType"]);

/** The path of an io-ts error context, as `layers[1].dense`. */
function pathOf(context: t.Context): string {
  let path = "";
  for (let i = 1; i < context.length; i++) {
    if (!containers.has(tagOf(context[i - 1].type) ?? "")) continue;
    const k = context[i].key;
    path += /^\d+$/.test(k) ? `[${k}]` : path === "" ? k : `.${k}`;
  }
  return path;
}

/** One line for the most telling failure: one with our own message first, else the deepest. */
export function formatErrors(errors: t.Errors, what: string): string {
  const withMessage = errors.filter((e) => e.message !== undefined);
  const pool = withMessage.length > 0 ? withMessage : errors;
  const chosen = pool.reduce((a, b) => (b.context.length > a.context.length ? b : a));
  const path = pathOf(chosen.context);
  const expected = chosen.message ?? `expected ${chosen.context[chosen.context.length - 1].type.name}`;
  return `${what}${path === "" ? "" : ` field ${path}`}: ${expected}, got ${describe(chosen.value)}`;
}

/**
 * A codec that reports its failure as `message`, unless a part inside it already said more
 * (so an array of layers names the bad layer, not just "expected an array").
 */
export function described<A, O>(codec: t.Type<A, O, unknown>, message: string): t.Type<A, O, unknown> {
  const wrapper = new t.Type<A, O, unknown>(codec.name, codec.is, (u, c) => {
    const r = codec.validate(u, c);
    if (r._tag === "Right" || r.left.some((e) => e.message !== undefined)) return r;
    return t.failure(u, c, message);
  }, codec.encode);
  wrapped.set(wrapper, tagOf(codec));
  return wrapper;
}

/** A whole number ≥ 1. */
export const PositiveInt = described(
  t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1, "PositiveInt"),
  "expected a whole number ≥ 1",
);

/** A finite number (JSON has no NaN, but JavaScript values may). */
export const FiniteNumber = described(t.refinement(t.number, Number.isFinite, "FiniteNumber"), "expected a finite number");

/** Decodes `value` with `codec`; the error names what was being read. Nesting beyond MAX_JSON_DEPTH is refused first. */
export function decodeWith<A, O>(codec: t.Type<A, O, unknown>, value: unknown, what: string): Either<Error, A> {
  if (tooDeep(value)) return left(readableError(`${what}: nested more than ${MAX_JSON_DEPTH} levels deep; not a tsgrad file`));
  const r = codec.decode(value);
  return r._tag === "Right" ? right(r.right) : left(readableError(formatErrors(r.left, what)));
}

/**
 * `codec` for records that may hold only `keys`: an unknown key is an error naming it, where io-ts's
 * exact types would drop it silently (a misspelt `"inti": "scaled"` would train with the default init).
 */
export function closed<A, O>(codec: t.Type<A, O, unknown>, keys: readonly string[]): t.Type<A, O, unknown> {
  const known = new Set(keys);
  const wrapper = new t.Type<A, O, unknown>(codec.name, codec.is, (u, c) => {
    // The fields' own errors come first (a model given as a checkpoint says "format: expected …").
    const r = codec.validate(u, c);
    if (r._tag === "Left" || typeof u !== "object" || u === null || Array.isArray(u)) return r;
    const extra = Object.keys(u).find((k) => !known.has(k));
    return extra === undefined ? r : t.failure(u, c, `unknown key ${JSON.stringify(extra)} (known: ${keys.join(", ")})`);
  }, codec.encode);
  wrapped.set(wrapper, tagOf(codec));
  return wrapper;
}

/** A tuple of exactly these elements: io-ts's tuple drops extra ones without a word ([1, 2, 3] decodes as [1, 2]). */
export function exactTuple<A, B>(a: t.Type<A, unknown, unknown>, b: t.Type<B, unknown, unknown>): t.Type<[A, B], unknown, unknown> {
  const inner = t.tuple([a, b]);
  return new t.Type<[A, B], unknown, unknown>(`[${a.name}, ${b.name}]`, inner.is, (u, c) => (Array.isArray(u) && u.length !== 2 ? t.failure(u, c, `expected 2 elements, got ${u.length}`) : inner.validate(u, c)), inner.encode);
}

/** How deep JSON from a file may nest: far beyond any spec, model or checkpoint, far below the stack's limit. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `limit` arrays and objects (iterative: no recursion to overflow). */
export function tooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
