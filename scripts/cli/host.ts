/**
 * What the host did while a benchmark ran: the share of CPU time the hypervisor gave to others (steal, from
 * /proc/stat) and the CPU seconds of this process's finished children (/proc/self/stat). Linux only: elsewhere
 * both are undefined, and the benchmarks say so instead of printing a number.
 */
import { readFileSync } from "node:fs";

// USER_HZ: the unit of /proc's CPU times, 100 on every Linux a Node runs on.
const TICKS = 100;

function procStatCpu(): number[] | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith("cpu "));
    return line?.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/** Starts watching steal; the function returns the share of all CPU time stolen since (0 to 1), or undefined. */
export function watchSteal(): () => number | undefined {
  const a = procStatCpu();
  return () => {
    const b = procStatCpu();
    if (a === undefined || b === undefined || a.length < 8 || b.length < 8) return undefined;
    const total = b.slice(0, 8).reduce((s, v, i) => s + v - a[i], 0);
    return total > 0 ? (b[7] - a[7]) / total : 0;
  };
}

/** CPU seconds (user + system) of this process's children that have ended and been waited for, or undefined. */
export function childrenCpuSeconds(): number | undefined {
  try {
    // Fields after the command's closing parenthesis: cutime and cstime are the 14th and 15th of them.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / TICKS;
  } catch {
    return undefined;
  }
}

/** "steal 0.3%" or "steal unknown (no /proc/stat)". */
export function stealText(share: number | undefined): string {
  return share === undefined ? "steal unknown (no /proc/stat here)" : `steal ${(100 * share).toFixed(1)}% of the host's CPU time`;
}
