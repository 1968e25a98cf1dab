/**
 * Command-line flags: node's parseArgs splits them, io-ts codecs decode each value from its string.
 * Every mistake becomes one message naming the flag; `--help` text is made from the same table.
 */
import { parseArgs } from "node:util";
import { left, right, type Either } from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { UserError } from "./exit.ts";

export interface Flag<A> {
  readonly codec: t.Decoder<unknown, A>;
  /** The value used when the flag is absent (a string, decoded like a typed one); none means optional. */
  readonly default?: string;
  readonly placeholder: string;
  readonly help: string;
  /** Takes several values: `--eta 0.5 3` (only for sweeps). */
  readonly many?: boolean;
}

export type FlagTable = Readonly<Record<string, Flag<unknown>>>;

type ValueOf<F> = F extends Flag<infer A>
  ? F extends { many: true } ? A[] : F extends { default: string } ? A : A | undefined
  : never;
export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

/** A codec from a flag's string to A, failing with `expected` in the message. */
export function fromString<A>(name: string, expected: string, parse: (s: string) => A | undefined): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => u !== undefined,
    (u, c) => {
      const v = typeof u === "string" ? parse(u) : undefined;
      return v === undefined ? t.failure(u, c, expected) : t.success(v);
    },
    (a) => a,
  );
}

const num = (s: string): number | undefined => (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : undefined);

export const positiveInt = fromString("positiveInt", "expected a whole number ≥ 1", (s) => {
  const n = /^\d+$/.test(s.trim()) ? Number(s) : undefined;
  return n !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
});
export const wholeNumber = fromString("wholeNumber", "expected a whole number ≥ 0", (s) => {
  const n = /^\d+$/.test(s.trim()) ? Number(s) : undefined;
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
});
export const positiveNumber = fromString("positiveNumber", "expected a finite number > 0", (s) => {
  const n = num(s);
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
});
export const nonNegativeNumber = fromString("nonNegativeNumber", "expected a finite number ≥ 0", (s) => {
  const n = num(s);
  return n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
});
export const fraction = fromString("fraction", "expected a number in [0, 1)", (s) => {
  const n = num(s);
  return n !== undefined && n >= 0 && n < 1 ? n : undefined;
});
export const nonEmpty = fromString("path", "expected a non-empty path", (s) => (s.length > 0 ? s : undefined));

/** Layer sizes such as 784,30,10: at least two whole numbers ≥ 1. */
export const layerSizes = fromString("layers", "expected at least two comma-separated whole numbers ≥ 1, like 784,30,10", (s) => {
  const parts = s.split(",").map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p))) return undefined;
  const n = parts.map(Number);
  return n.every((x) => Number.isSafeInteger(x) && x >= 1) ? n : undefined;
});

export function oneOf<const S extends string>(...choices: S[]): t.Type<S, unknown, unknown> {
  return fromString(choices.join("|"), `expected one of ${choices.join(", ")}`, (s) => (choices as string[]).includes(s) ? (s as S) : undefined);
}

export interface Parsed<T extends FlagTable> {
  readonly flags: FlagValues<T>;
  /** The flags the user typed, with their raw values (defaults excluded). */
  readonly given: Readonly<Record<string, readonly string[]>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** `--eta 0.5 3` for a flag that takes several values becomes `--eta 0.5 --eta 3`, as parseArgs reads it. */
function spreadMany(argv: readonly string[], table: FlagTable): string[] {
  const out: string[] = [];
  let many: string | undefined;
  for (const a of argv) {
    if (a.startsWith("--")) {
      const name = a.slice(2).split("=")[0];
      many = table[name]?.many === true && !a.includes("=") ? a : undefined;
      out.push(a);
    } else if (many !== undefined && out[out.length - 1] !== many) {
      out.push(many, a);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parses and decodes argv against the table; the error message is one line naming the flag. */
export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T, positionals: { min: number; max: number; names: string }): Either<Error, Parsed<T>> {
  let raw: ReturnType<typeof parseArgs>;
  try {
    raw = parseArgs({
      args: spreadMany(argv, table),
      strict: true,
      allowPositionals: positionals.max > 0,
      options: {
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(Object.entries(table).map(([k, f]) => [k, { type: "string" as const, multiple: true }])),
      },
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // parseArgs's messages are long; keep the first sentence and make it name the flag the user typed.
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) return left(new Error(`unknown flag ${unknown[1]} (see --help)`));
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (ambiguous) return left(new Error(`${ambiguous[1]}: a value starting with "-" must be written ${ambiguous[1]}=VALUE`));
    const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(msg);
    if (missing) return left(new Error(`${missing[1]}: needs a value`));
    const positional = /Unexpected argument '([^']+)'/.exec(msg);
    if (positional) return left(new Error(`unexpected argument ${JSON.stringify(positional[1])} (see --help)`));
    return left(new Error(msg.split(". ")[0]));
  }
  if (raw.values.help === true) return right({ flags: {} as FlagValues<T>, given: {}, positionals: raw.positionals, help: true });
  const typed: Record<string, readonly string[]> = {};
  const out: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(table)) {
    const value = raw.values[name];
    if (value === undefined && flag.default === undefined) {
      out[name] = undefined;
      continue;
    }
    const values = value === undefined ? [flag.default] : Array.isArray(value) ? value : [value];
    if (value !== undefined) typed[name] = values as string[];
    if (!flag.many && values.length > 1) return left(new Error(`--${name}: given ${values.length} times`));
    const decoded: unknown[] = [];
    for (const v of values) {
      const r = flag.codec.decode(v);
      if (r._tag === "Left") return left(new Error(`--${name}: ${r.left[0]?.message ?? "bad value"}, got ${describe(v)}`));
      decoded.push(r.right);
    }
    out[name] = flag.many ? decoded : decoded[0];
  }
  const n = raw.positionals.length;
  if (n < positionals.min || n > positionals.max) {
    return left(new Error(n < positionals.min ? `missing ${positionals.names} (see --help)` : `unexpected argument ${JSON.stringify(raw.positionals[positionals.max])} (see --help)`));
  }
  return right({ flags: out as FlagValues<T>, given: typed, positionals: raw.positionals, help: false });
}

/** The --help text: usage, then one line a flag with its default. */
export function helpText(usage: string, about: string, table: FlagTable): string {
  const rows = Object.entries(table).map(([k, f]) => [`--${k} ${f.placeholder}`, f.help + (f.default !== undefined ? ` (default ${f.default})` : "")]);
  const width = Math.max(...rows.map(([a]) => a.length), 10);
  return [`usage: ${usage}`, "", about, "", ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`), `  ${"--help".padEnd(width)}  this text`].join("\n");
}

/**
 * A script's command line: parses and decodes process.argv against the table; a mistake is a UserError
 * (one line, exit 2); --help prints the help and gives undefined, so the script just returns.
 */
export function commandLine<T extends FlagTable>(
  table: T,
  help: { readonly usage: string; readonly about: string },
  positionals: { min: number; max: number; names: string } = { min: 0, max: 0, names: "" },
): Parsed<T> | undefined {
  const parsed = parseFlags(process.argv.slice(2), table, positionals);
  if (parsed._tag === "Left") throw new UserError(parsed.left.message);
  if (!parsed.right.help) return parsed.right;
  process.stdout.write(`${helpText(help.usage, help.about, table)}\n`);
  return undefined;
}
