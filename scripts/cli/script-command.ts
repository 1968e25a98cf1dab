/** How to start one of these scripts in a child process, from the sources (with tsx) or from the built package. */
import { fileURLToPath } from "node:url";

/** node's arguments to run the script `name` beside `from` (an import.meta.url): compiled .js runs as it is, .ts through tsx. */
export function scriptArgs(from: string, name: string): string[] {
  const built = from.endsWith(".js");
  const file = fileURLToPath(new URL(`./${name}.${built ? "js" : "ts"}`, from));
  return built ? [file] : ["--import", "tsx", file];
}
