/** Flags as a user of git or npm expects them: switches, negative values reaching their check, --version, help, "did you mean". */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { booleanFlag, nearest, parseFlags, positiveNumber } from "../../scripts/cli/flags.ts";

const table = {
  json: booleanFlag("print JSON"),
  data: booleanFlag("copy the data", true),
  eta: { codec: positiveNumber, default: "3", placeholder: "X", help: "η" },
} as const;

const parse = (argv: string[], max = 2) => parseFlags(argv, table, { min: 0, max, names: "files" });

test("a yes/no option is a switch: --name, --name=true|false, --no-name, --name true|false, in any position", () => {
  const flagsOf = (argv: string[]) => {
    const r = parse(argv);
    assert.equal(r._tag, "Right", JSON.stringify(argv));
    return r._tag === "Right" ? r.right : undefined!;
  };
  assert.equal(flagsOf([]).flags.json, false);
  assert.equal(flagsOf([]).flags.data, true);
  assert.equal(flagsOf(["--json"]).flags.json, true);
  assert.equal(flagsOf(["--json", "a.json", "b.png"]).flags.json, true);
  assert.deepEqual(flagsOf(["--json", "a.json", "b.png"]).positionals, ["a.json", "b.png"]);
  assert.deepEqual(flagsOf(["a.json", "--json", "b.png"]).positionals, ["a.json", "b.png"]);
  assert.equal(flagsOf(["--json=false"]).flags.json, false);
  assert.equal(flagsOf(["--json=true"]).flags.json, true);
  assert.equal(flagsOf(["--json", "false"]).flags.json, false);
  assert.equal(flagsOf(["--no-data"]).flags.data, false);
  assert.equal(flagsOf(["--data=false"]).flags.data, false);
  const bad = parse(["--json=maybe"]);
  assert.ok(bad._tag === "Left" && /--json: expected true or false, got "maybe"/.test(bad.left.message));
});

test("--eta -1 and --eta=-1 both reach the value check", () => {
  for (const argv of [["--eta", "-1"], ["--eta=-1"], ["--eta", "-.5"]]) {
    const r = parse(argv);
    assert.ok(r._tag === "Left", JSON.stringify(argv));
    assert.match(r._tag === "Left" ? r.left.message : "", /^--eta: expected a finite number > 0, got "-/);
  }
});

test("an unknown flag suggests the nearest one", () => {
  const r = parse(["--jsn"]);
  assert.ok(r._tag === "Left");
  assert.match(r._tag === "Left" ? r.left.message : "", /unknown flag --jsn; did you mean --json\?/);
  assert.equal(nearest("epoch", ["epochs", "eta"]), "epochs");
  assert.equal(nearest("zzzzzz", ["epochs", "eta"]), undefined);
});

function tsgrad(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/tsgrad.mjs", ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }));
  });
}

test("tsgrad --version / -V, tsgrad help train = tsgrad train --help, an unknown command suggests the nearest", async () => {
  const version = (JSON.parse((await import("node:fs")).readFileSync("package.json", "utf8")) as { version: string }).version;
  for (const v of [["--version"], ["-V"], ["train", "--version"]]) {
    const r = await tsgrad(v);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `tsgrad ${version}`);
  }
  const [help, direct] = await Promise.all([tsgrad(["help", "train"]), tsgrad(["train", "--help"])]);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, direct.stdout);
  // The usage line names the command as it was started.
  assert.match(help.stdout, /^usage: tsgrad train \[flags\]/);
  assert.match((await tsgrad(["train", "--help"], { npm_command: "exec" })).stdout, /^usage: npx tsgrad train \[flags\]/);
  // Hints name the command the same way: evaluate given a checkpoint suggests tsgrad train --resume.
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const ck = join(mkdtempSync(join(tmpdir(), "tsgrad-flags-")), "ck.json");
  writeFileSync(ck, JSON.stringify({ format: "tsgrad-checkpoint" }));
  assert.match((await tsgrad(["evaluate", ck])).stderr, /a training checkpoint, not a model file \(continue it with tsgrad train --resume /);
  const typo = await tsgrad(["trian"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^error: unknown command "trian"; did you mean train\?/);
});
