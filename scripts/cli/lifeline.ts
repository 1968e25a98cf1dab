/**
 * Whether the command the user started is still there. `npm run train` is npm → `sh -c` → node: killing npm
 * (kill -9, or a process manager's SIGTERM/SIGINT to npm alone) leaves `sh` waiting on us, so watching our
 * parent is not enough. We watch every launcher between us and the user's own shell: `sh -c` wrappers and
 * the node processes of npm, npx and tsx, each by pid and start time (a reused pid is not the same process).
 */
import { readFileSync } from "node:fs";

interface Ancestor {
  readonly pid: number;
  readonly start: string;
}

function stat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may hold spaces and parentheses: the fields after it start at the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter((s) => s !== "");
  } catch {
    return [];
  }
}

const base = (s: string | undefined) => (s ?? "").split("/").pop() ?? "";

/** Node options that take the next argument as their value. */
const VALUED = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader", "--conditions", "-C"]);

/** The script node runs: its first argument that is neither an option nor an option's value. */
function scriptOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (VALUED.has(args[i])) i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** A process that only launches another command for the user: `sh -c …`, npm, npx, tsx. */
export function isLauncher(argv: readonly string[]): boolean {
  // A node program that set process.title (npm does: "npm exec tsx …") shows it as one string.
  const [exe, ...args] = argv.length === 1 ? argv[0].split(" ") : argv;
  if (["sh", "dash", "bash"].includes(base(exe))) return args[0] === "-c";
  if (["npm", "npx", "tsx"].includes(base(exe))) return true;
  if (base(exe) === "node" || base(exe).startsWith("node")) {
    const script = scriptOf(args);
    return /(^|\/)(npm-cli\.js|npx-cli\.js|npm|npx|tsx)$/.test(script ?? "") || /\/tsx\/dist\/cli\.m?js$/.test(script ?? "");
  }
  return false;
}

/** The launchers above this process, up to (not including) the first process that is not one (the user's shell, a service manager). */
function launchers(): Ancestor[] {
  const out: Ancestor[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    const s = stat(pid);
    if (s === undefined || !isLauncher(commandOf(pid))) break;
    out.push({ pid, start: s.start });
    pid = s.ppid;
  }
  return out;
}

/**
 * A check to call often (it reads /proc at most every `everyMs`): true once any launcher above us has gone,
 * or, with `parent` (the trainer's rule), once our parent has, whatever it is. A server leaves `parent` off, so
 * `nohup … &` from a shell that then exits keeps serving. Where /proc is missing it watches the parent only.
 */
export function lifeline(options: { readonly parent: boolean; readonly everyMs?: number }): () => boolean {
  const everyMs = options.everyMs ?? 500;
  const parent = process.ppid;
  const watched = launchers();
  const watchParent = options.parent || watched.length > 0;
  let last = performance.now();
  let gone = false;
  return () => {
    if (gone) return true;
    if (watchParent && process.ppid !== parent) return (gone = true);
    const now = performance.now();
    if (now - last < everyMs) return false;
    last = now;
    gone = watched.some((a) => stat(a.pid)?.start !== a.start);
    return gone;
  };
}
