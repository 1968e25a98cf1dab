/**
 * The playground's HTTP server: the page's files from memory and MNIST's four files from disk, on loopback.
 * A request can only fail itself (a bad escape, a missing file, a foreign Host are answered, never thrown),
 * and only requests that name this server by a loopback name and its port are served: any web page can make
 * a browser send requests to localhost, and a DNS name rebound to 127.0.0.1 must not read the page's data.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import type { PageFile } from "./playground-files.ts";

/** Without these a browser will not share wasm memory with a Worker (so no helper thread); the page works either way. */
export const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Whether a Host header names this server: a loopback name and our port (the port may be left out only for 80). */
export function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (m === null || !LOOPBACK_NAMES.includes(m[1])) return false;
  return m[2] === undefined ? port === 80 : Number(m[2]) === port;
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...isolation, "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
}

/** The request handler: page files by name, `data/NAME` from `dataDir` for MNIST's file names. */
export function pageHandler(files: ReadonlyMap<string, PageFile>, dataDir: string, dataNames: ReadonlySet<string>, port: () => number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!allowedHost(req.headers.host, port())) return answer(res, 403, "this server answers only to localhost, 127.0.0.1 and [::1] with its port");
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { ...isolation, allow: "GET, HEAD" }).end();
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? "/").split("?")[0]);
    } catch {
      return answer(res, 400, "bad request: the path is not a valid percent-encoded URL");
    }
    const name = path === "/" ? "index.html" : path.slice(1);
    const page = files.get(name);
    if (page !== undefined) {
      res.writeHead(200, { ...isolation, "content-type": page.type, "cache-control": "no-store" });
      return void res.end(req.method === "HEAD" ? undefined : page.body);
    }
    const m = /^data\/([\w-]+)$/.exec(name);
    if (m === null || !dataNames.has(m[1])) return answer(res, 404, "not found");
    const file = join(dataDir, m[1]);
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return answer(res, 404, "not found");
      size = st.size;
    } catch {
      return answer(res, 404, `not found: ${m[1]} is missing from the data folder`);
    }
    res.writeHead(200, { ...isolation, "content-type": "application/octet-stream", "content-length": size });
    if (req.method === "HEAD") return void res.end();
    // Headers are sent: a file that vanishes now can only cut the response short.
    createReadStream(file).once("error", () => res.destroy()).pipe(res);
  };
}

/** A server for the page; `close` ends it, dropping idle and half-sent connections so shutdown never waits on a client. */
export function pageServer(files: ReadonlyMap<string, PageFile>, dataDir: string, dataNames: ReadonlySet<string>): Server & { closeNow(): Promise<void> } {
  let port = 0;
  const server = createServer(pageHandler(files, dataDir, dataNames, () => port));
  server.on("listening", () => (port = (server.address() as { port: number }).port));
  // A malformed request is the client's problem: answer 400 on the socket if it is still open.
  server.on("clientError", (_e, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return Object.assign(server, {
    closeNow: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  });
}
