/**
 * The playground's training speed against the CLI's, same machine, alternating: the seed's network trained
 * in the page (Web Worker, wasm kernels, one thread) and by npm run train, images/s per epoch from each one's
 * own clock (training steps only, as both report them). Needs Chromium (apt-get install -y chromium).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runMain, UserError } from "./cli/exit.ts";
import { commandLine, positiveInt } from "./cli/flags.ts";
import { median } from "./cli/stats.ts";
import { startPlaygroundServer } from "./cli/playground-server.ts";

const table = {
  epochs: { codec: positiveInt, default: "4", placeholder: "N", help: "epochs per run (the first, which traces and warms up, is reported apart)" },
  rounds: { codec: positiveInt, default: "3", placeholder: "N", help: "page and CLI runs, alternating" },
} as const;

const root = fileURLToPath(new URL("..", import.meta.url));

function chromiumPath(): string {
  try {
    const p = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
    if (p !== "") return p;
  } catch {
    // reported below
  }
  throw new UserError("Chromium is not installed (apt-get install -y chromium)");
}

runMain(async () => {
  const parsed = commandLine(table, { usage: "npm run bench:page -- [flags]", about: "Compares the playground page's training speed with npm run train's (seed network, 50,000 images, one thread)." }, { min: 0, max: 0, names: "" });
  if (parsed === undefined) return 0;
  const { epochs, rounds } = parsed.flags;
  const executablePath = chromiumPath();
  const server = await startPlaygroundServer(process.execPath, ["--import", "tsx", "scripts/playground.ts", "--port", "0"], root);
  const url = server.url;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  const page: number[][] = [], cli: number[][] = [];
  const scratch = mkdtempSync(join(tmpdir(), "tsgrad-bench-page-"));
  try {
    for (let r = 0; r < rounds; r++) {
      const tab = await browser.newPage();
      await tab.goto(`${url}?epochs=${epochs}`);
      await tab.waitForSelector("body[data-state=idle]", { timeout: 120000 });
      await tab.getByRole("button", { name: "Start" }).click();
      await tab.waitForSelector("body[data-state=finished]", { timeout: 600000 });
      page.push(((await tab.evaluate(() => document.body.dataset.epochImagesPerSecond)) ?? "").split(" ").map(Number));
      await tab.close();
      const log = join(scratch, `epochs-${r}.jsonl`);
      execFileSync(process.execPath, ["--import", "tsx", "scripts/train.ts", "--epochs", String(epochs), "--log", log], { cwd: root, stdio: "ignore" });
      cli.push(readFileSync(log, "utf8").trim().split("\n").map((l) => 50000 / (JSON.parse(l) as { seconds: number }).seconds));
      process.stderr.write(`round ${r + 1}: page ${page[r].map((x) => Math.round(x)).join(" ")}  cli ${cli[r].map((x) => Math.round(x)).join(" ")} images/s\n`);
    }
  } finally {
    await browser.close();
    server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const first = (runs: number[][]) => median(runs.map((x) => x[0]));
  const rest = (runs: number[][]) => median(runs.flatMap((x) => x.slice(1)));
  const rows = [["", "first epoch", `epochs 1-${epochs - 1} (median)`], ["page", first(page), rest(page)], ["npm run train", first(cli), rest(cli)]];
  for (const row of rows) process.stdout.write(`${String(row[0]).padEnd(15)}${row.slice(1).map((v) => (typeof v === "number" ? `${Math.round(v)} images/s` : v).padStart(24)).join("")}\n`);
  process.stdout.write(`page / cli: first epoch ${(first(page) / first(cli)).toFixed(2)}, later epochs ${(rest(page) / rest(cli)).toFixed(2)}\n`);
  return 0;
});
