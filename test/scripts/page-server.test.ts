/** The playground's server: one bad request fails only itself, only loopback Host names are served, shutdown never waits on a client. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { allowedHost, pageServer } from "../../scripts/cli/page-server.ts";
import { isLauncher } from "../../scripts/cli/lifeline.ts";
import { runScript, tempDir } from "../fixtures.ts";

/** One raw HTTP/1.1 request; resolves with the status line's code ("" when the connection closed without one). */
function rawRequest(port: number, path: string, host = `127.0.0.1:${port}`): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("close", () => resolve(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? ""));
    socket.on("error", () => resolve(""));
  });
}

async function withServer(body: (port: number, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  writeFileSync(join(dir, "present"), "bytes");
  const files = new Map([["index.html", { type: "text/html", body: new TextEncoder().encode("<p>page</p>") }]]);
  const server = pageServer(files, dir, new Set(["present", "missing"]));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  try {
    await body(port, dir);
  } finally {
    await server.closeNow();
  }
}

test("a malformed escape or a missing data file is a 400 or 404 for that request, and the server goes on", async () => {
  await withServer(async (port) => {
    for (const path of ["/%", "/%zz", "/%ff", "/data/%", "/data/%E0%A4%A"]) assert.equal(await rawRequest(port, path), "400", path);
    assert.equal(await rawRequest(port, "/data/missing"), "404");
    assert.equal(await rawRequest(port, "/data/nope"), "404");
    assert.equal(await rawRequest(port, "/data/present"), "200");
    assert.equal(await rawRequest(port, "/"), "200", "still serving");
  });
});

test("only loopback names with the server's port are served (no DNS rebinding)", async () => {
  await withServer(async (port) => {
    for (const host of ["evil.example", `evil.example:${port}`, "127.0.0.1", `127.0.0.1:${port + 1}`, `localhost.evil:${port}`]) assert.equal(await rawRequest(port, "/", host), "403", host);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) assert.equal(await rawRequest(port, "/", host), "200", host);
  });
  assert.equal(allowedHost(undefined, 8000), false);
  assert.equal(allowedHost("localhost", 80), true);
});

test("closing the server does not wait for a client holding a half-sent request", async () => {
  const files = new Map([["index.html", { type: "text/html", body: new Uint8Array(1) }]]);
  const server = pageServer(files, tempDir(), new Set());
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  const connected = new Promise((r) => server.once("connection", r));
  const socket = connect(port, "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nHost: 127"));
  socket.on("error", () => {});
  await connected;
  const closed = await Promise.race([server.closeNow().then(() => "closed"), new Promise((r) => setTimeout(() => r("waiting"), 3000))]);
  socket.destroy();
  assert.equal(closed, "closed");
});

test("playground: a port outside 0-65535 is a one-line usage error", async () => {
  for (const port of ["99999", "65536", "-1"]) {
    const r = await runScript("playground", ["--port", port]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --port: expected a port number from 0 to 65535/);
  }
});

test("the launchers the trainer watches: sh -c, npm, npx and tsx, not the user's shell or a test runner", () => {
  assert.ok(isLauncher(["sh", "-c", "node scripts/launch.mjs train"]));
  assert.ok(isLauncher(["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "train"]));
  assert.ok(isLauncher(["node", "/x/node_modules/tsx/dist/cli.mjs", "scripts/train.ts"]));
  assert.ok(isLauncher(["npm", "run", "train"]));
  assert.ok(isLauncher(["npm exec tsx scripts/train.ts --data /tmp/x"]), "npm's process.title, one string");
  assert.ok(!isLauncher(["bash"]));
  assert.ok(!isLauncher(["-bash"]));
  assert.ok(!isLauncher(["node", "--import", "tsx", "--test", "test/x.test.ts"]));
  assert.ok(!isLauncher(["/usr/bin/python3", "run.py"]));
});
