/**
 * Command-line flags: node's parseArgs splits them, io-ts codecs decode each value from its string.
 * Every mistake becomes one message naming the flag; `--help` text is made from the same table.
 */
import { readFileSync } from "node:fs";
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
  /** A yes/no switch: `--name`, `--name=true|false`, `--no-name` (and `--name true|false`, as before). */
  readonly switch?: boolean;
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
export const portNumber = fromString("port", "expected a port number from 0 to 65535", (s) => {
  const n = /^\d+$/.test(s.trim()) ? Number(s) : undefined;
  return n !== undefined && n <= 65535 ? n : undefined;
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
const yesNo = fromString<boolean>("boolean", "expected true or false", (s) => (s === "true" ? true : s === "false" ? false : undefined));

/** A yes/no switch with its default. */
export function booleanFlag(help: string, byDefault = false): Flag<boolean> & { default: string; switch: true } {
  return { codec: yesNo, default: String(byDefault), placeholder: "", help: `${help} (a switch: --no-… to turn off)`, switch: true };
}

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
  /** --version / -V was given: print the version and stop. */
  readonly version?: boolean;
}

function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

const looksNegative = (a: string) => /^-(\d|\.\d)/.test(a);

/**
 * Brings argv to the form parseArgs reads: `--eta 0.5 3` for a flag that takes several values becomes
 * `--eta 0.5 --eta 3`; a switch alone becomes `--name=true` (`--name true|false` keeps its value) and
 * `--no-name` becomes `--name=false`; a value that starts with "-" but is a number (`--eta -1`) is joined
 * to its flag, so the value check names it.
 */
function normalise(argv: readonly string[], table: FlagTable): string[] {
  const out: string[] = [];
  let many: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith("--")) {
      const [name, value] = [a.slice(2).split("=")[0], a.includes("=") ? a.slice(a.indexOf("=") + 1) : undefined];
      const negated = name.startsWith("no-") ? table[name.slice(3)] : undefined;
      if (negated?.switch === true && value === undefined) {
        out.push(`--${name.slice(3)}=false`);
        many = undefined;
        continue;
      }
      const flag = table[name];
      if (flag?.switch === true && value === undefined) {
        const next = argv[i + 1];
        out.push(`--${name}=${next === "true" || next === "false" ? next : "true"}`);
        if (next === "true" || next === "false") i++;
        many = undefined;
        continue;
      }
      if (flag !== undefined && value === undefined && i + 1 < argv.length && looksNegative(argv[i + 1])) {
        out.push(`${a}=${argv[++i]}`);
        many = flag.many === true ? a : undefined;
        continue;
      }
      many = flag?.many === true && value === undefined ? a : undefined;
      out.push(a);
    } else if (many !== undefined && out[out.length - 1] !== many) {
      out.push(many, a);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The closest of `choices` to `word`, when it is close enough to be a likely typo. */
export function nearest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of choices) {
    const d = distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && (bestD <= Math.max(2, Math.floor(word.length / 3)) || best.startsWith(word)) ? best : undefined;
}

/** Parses and decodes argv against the table; the error message is one line naming the flag. */
export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T, positionals: { min: number; max: number; names: string }): Either<Error, Parsed<T>> {
  let raw: ReturnType<typeof parseArgs>;
  try {
    raw = parseArgs({
      args: normalise(argv, table),
      strict: true,
      allowPositionals: positionals.max > 0,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
        ...Object.fromEntries(Object.entries(table).map(([k, f]) => [k, { type: "string" as const, multiple: true }])),
      },
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // parseArgs's messages are long; keep the first sentence and make it name the flag the user typed.
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      const typed = unknown[1].replace(/^-+/, "").split("=")[0];
      const guess = nearest(typed, [...Object.keys(table), ...Object.entries(table).filter(([, f]) => f.switch === true).map(([k]) => `no-${k}`), "help", "version"]);
      return left(new Error(`unknown flag ${unknown[1]}${guess !== undefined ? `; did you mean --${guess}?` : ""} (see --help)`));
    }
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (ambiguous) return left(new Error(`${ambiguous[1]}: a value starting with "-" must be written ${ambiguous[1]}=VALUE`));
    const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(msg);
    if (missing) return left(new Error(`${missing[1]}: needs a value`));
    const positional = /Unexpected argument '([^']+)'/.exec(msg);
    if (positional) return left(new Error(`unexpected argument ${JSON.stringify(positional[1])} (see --help)`));
    return left(new Error(msg.split(". ")[0]));
  }
  if (raw.values.help === true) return right({ flags: {} as FlagValues<T>, given: {}, positionals: raw.positionals, help: true });
  if (raw.values.version === true) return right({ flags: {} as FlagValues<T>, given: {}, positionals: raw.positionals, help: false, version: true });
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
  const rows = Object.entries(table).map(([k, f]) => [f.switch === true ? `--[no-]${k}` : `--${k} ${f.placeholder}`, f.help + (f.default !== undefined ? ` (default ${f.default})` : "")]);
  const width = Math.max(...rows.map(([a]) => a.length), 10);
  return [`usage: ${usage}`, "", about, "", ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`), `  ${"--help, -h".padEnd(width)}  this text`, `  ${"--version, -V".padEnd(width)}  tsgrad's version`].join("\n");
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
  if (parsed.right.version === true) {
    process.stdout.write(`tsgrad ${packageVersion()}\n`);
    return undefined;
  }
  if (!parsed.right.help) return parsed.right;
  process.stdout.write(`${helpText(invokedUsage(help.usage), help.about, table)}\n`);
  return undefined;
}

/**
 * The command as the user started it, for usage lines and hints: `tsgrad train` (or `npx tsgrad train`)
 * when started through the tsgrad command, which says so in TSGRAD_INVOKED_AS; else `npm run train --`.
 */
export function invokedAs(script: string): string {
  // Another command of the same CLI is named the same way: `tsgrad evaluate` suggests `tsgrad train`.
  const via = /^((?:npx )?tsgrad) [\w-]+$/.exec(process.env.TSGRAD_INVOKED_AS ?? "");
  return via !== null ? `${via[1]} ${script}` : `npm run ${script} --`;
}

/** A usage line written as `npm run NAME -- …`, naming the command as it was started. */
function invokedUsage(usage: string): string {
  const m = /^npm run ([\w:-]+) --(.*)$/.exec(usage);
  return m === null ? usage : `${invokedAs(m[1])}${m[2]}`;
}

/** tsgrad's version, from its package.json (found from this file in a checkout and in dist/ alike). */
export function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "tsgrad" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: try the next level up
    }
  }
  return "unknown";
}
