/** Starting the playground's server in a child process and waiting for the URL it prints (benchmarks and tests). */
import { spawn } from "node:child_process";
import { UserError } from "./exit.ts";

export interface RunningServer {
  readonly url: string;
  /** Stops the server (and, when it was started through npm, npm's process with it). */
  stop(): void;
}

/**
 * Runs `cmd args` (a command that serves the playground and prints `playground: URL`) in `cwd`, in a process
 * group of its own so that stopping it also stops a child it started (npm exec does).
 */
export function startPlaygroundServer(cmd: string, args: readonly string[], cwd: string): Promise<RunningServer> {
  const server = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const stop = () => {
    try {
      process.kill(-server.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  };
  return new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /playground: (http:\/\/\S+)/.exec(out);
      if (m !== null) ok({ url: m[1], stop });
    });
    server.stderr.on("data", (d: Buffer) => (out += d.toString()));
    server.once("exit", (code) => fail(new UserError(`${[cmd, ...args].join(" ")} exited (${code}): ${out.trim().split("\n").pop() ?? ""}`)));
  });
}
