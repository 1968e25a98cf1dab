/** io-ts decoding with one readable line per failure, naming the field (`layers[1]`) and what was wrong. */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import * as t from "io-ts";

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

/** Decodes `value` with `codec`; the error names what was being read. */
export function decodeWith<A, O>(codec: t.Type<A, O, unknown>, value: unknown, what: string): Either<Error, A> {
  const r = codec.decode(value);
  return r._tag === "Right" ? right(r.right) : left(new Error(formatErrors(r.left, what)));
}
