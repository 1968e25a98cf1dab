/** A run's flags from the command line or, resuming, from its checkpoint: what a checkpoint records, and what may change. */
import { resolve } from "node:path";
import { decodeCheckpointHeader } from "../../nn/index.ts";
import { orFail, UserError } from "./exit.ts";
import { readModelOrCheckpoint } from "./files.ts";
import { parseFlags, type FlagValues } from "./flags.ts";
import { changeableOnResume, runFlags, trainFlags } from "./train-flags.ts";

export type Flags = FlagValues<typeof trainFlags>;

function parse(argv: readonly string[]) {
  return parseFlags(argv, trainFlags, { min: 0, max: 0, names: "" });
}

/** The run flags as the user gave them, to store in a checkpoint (paths made absolute). */
export function recordedOptions(given: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(runFlags)) {
    const v = given[name];
    if (v !== undefined) out[name] = name === "data" || name === "spec" ? resolve(v[0]) : v[0];
  }
  return out;
}

/** Two raw flag values mean the same: equal as numbers when both are, else as text (paths resolved). */
function sameValue(name: string, a: string, b: string): boolean {
  if (name === "data" || name === "spec") return resolve(a) === resolve(b);
  const na = Number(a), nb = Number(b);
  return a.trim() !== "" && b.trim() !== "" && Number.isFinite(na) && Number.isFinite(nb) ? na === nb : a === b;
}

/**
 * With --resume, the checkpoint's run flags come back, re-decoded like typed ones. The original command
 * may be repeated with --resume added: a run flag given again with the same value is accepted; only a
 * changed value is refused (except those that may change). A checkpoint holds only run settings: where
 * outputs go is decided by the command line alone.
 */
export function resumeFlags(path: string, given: Readonly<Record<string, readonly string[]>>): { flags: Flags; options: Record<string, string>; raw: unknown } {
  const raw = readModelOrCheckpoint(path, "checkpoint");
  const header = orFail(decodeCheckpointHeader(raw, path));
  for (const name of Object.keys(header.options)) {
    if (!Object.hasOwn(runFlags, name)) throw new UserError(`${path}: options.${name} is not a run setting (outputs and other choices are made on the command line)`);
  }
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(runFlags, name) || changeableOnResume.has(name)) continue;
    const recorded = header.options[name] ?? (runFlags as Record<string, { default?: string }>)[name].default;
    const now = given[name][0];
    if (recorded === undefined || !sameValue(name, recorded, now)) {
      throw new UserError(`--${name} cannot change when resuming: the checkpoint has ${recorded === undefined ? "none" : recorded}, the command line ${now}`);
    }
  }
  const options: Record<string, string> = { ...header.options };
  for (const name of changeableOnResume) if (given[name] !== undefined) options[name] = given[name][0];
  const argv = [...Object.entries(options).flatMap(([k, v]) => [`--${k}=${v}`]), ...Object.entries(given).filter(([k]) => !Object.hasOwn(runFlags, k)).flatMap(([k, v]) => [`--${k}=${v[0]}`])];
  const parsed = parse(argv);
  if (parsed._tag === "Left") throw new UserError(`${path}: ${parsed.left.message}`);
  return { flags: parsed.right.flags, options, raw };
}

