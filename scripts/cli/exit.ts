/** How scripts end: results on stdout, `error: …` on stderr with a code a shell can test. */
export const EXIT_USAGE = 2; // a bad flag, file, spec, model or image
export const EXIT_DIVERGED = 3; // training produced NaN or infinity
export const EXIT_INTERRUPTED = 130; // SIGINT/SIGTERM, as shells report Ctrl-C

/** A user-facing failure: the message is printed as one line, never with a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly code: number = EXIT_USAGE) {
    super(message);
  }
}

/** Runs a script's main; user errors print one line and exit with their code, bugs print their stack. */
export async function runMain(main: () => Promise<number | void> | number | void): Promise<void> {
  // A reader that goes away (`| head`) is not an error: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = e.code;
    } else {
      process.stderr.write(`internal error (please report): ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

/** Unwraps an Either from the library, turning Left into a UserError. */
export function orFail<A>(r: { readonly _tag: "Left"; readonly left: Error } | { readonly _tag: "Right"; readonly right: A }, code = EXIT_USAGE): A {
  if (r._tag === "Left") throw new UserError(r.left.message, code);
  return r.right;
}
