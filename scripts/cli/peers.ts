/**
 * The peer benchmarks bench runs beside tsgrad (numpy, PyTorch, the C yardstick): scripts kept outside the
 * package, in the development workspace's shared/peers/ beside this checkout, or wherever TSGRAD_PEERS says.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./exit.ts";

/** Where the peer scripts are looked for. */
export function peersDirectory(): string {
  const given = process.env.TSGRAD_PEERS;
  if (given !== undefined && given !== "") return resolve(given);
  // From scripts/cli/ (a checkout) or dist/scripts/cli/ (a build): the checkout's parent holds shared/peers.
  const here = fileURLToPath(import.meta.url);
  const checkout = resolve(here, here.includes("/dist/") ? "../../../.." : "../../..");
  return resolve(checkout, "../shared/peers");
}

/** The path of a peer script, refusing (one line saying where peers come from) when it is absent. */
export function peerScript(name: string, flag: string): string {
  const path = resolve(peersDirectory(), name);
  if (!existsSync(path)) {
    throw new UserError(`${flag}: the peer script ${name} is not in ${peersDirectory()}; the peers are not part of tsgrad's package: they live in its development workspace (shared/peers beside the checkout), or set TSGRAD_PEERS to the folder that holds them`);
  }
  return path;
}
