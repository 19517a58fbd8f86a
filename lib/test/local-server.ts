/**
 * A tiny HTTP server owned by a test, for what a real tiled server cannot be made to do on cue:
 * send broken JSON, fail with 503 twice, hang, or echo the headers it received.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

export interface SeenRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface LocalServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

export async function startLocalServer(handler: Handler): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", headers: req.headers });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind, note the port, close. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * `serve(handler)` for one test file: starts a local server, closed after the test that started it.
 *
 * @example
 * const serve = localServers();
 * it("…", async () => { const server = await serve((_req, res) => sendJson(res, 200, {})); … });
 */
export function localServers(): (handler: Handler) => Promise<LocalServer> {
  const servers: LocalServer[] = [];
  afterEach(async () => {
    while (servers.length) await servers.pop()?.close();
  });
  return async (handler: Handler) => {
    const server = await startLocalServer(handler);
    servers.push(server);
    return server;
  };
}

/** Retry options that keep a test fast: 3 attempts, 5 ms apart. */
export const FAST_RETRY = { retry: { attempts: 3, initialDelayMs: 5, totalTimeoutMs: 5_000 } };

/** Answer with a binary body (Content-Length set by node:http). */
export function sendBytes(res: http.ServerResponse, body: Uint8Array, contentType = "application/octet-stream"): void {
  res.writeHead(200, { "content-type": contentType });
  res.end(body);
}

/**
 * Answer with a chunked JSON-typed body (no Content-Length) of `chunks` pieces of 64 KiB, written
 * as the client reads them (on "drain"), and stop writing if the client goes away.
 */
export function sendChunkedJson(res: http.ServerResponse, status: number, chunks: number): void {
  res.writeHead(status, { "content-type": "application/json" });
  const chunk = "x".repeat(64 * 1024);
  let sent = 0;
  const push = () => {
    while (sent < chunks && res.write(chunk)) sent++;
    if (sent < chunks && !res.destroyed) res.once("drain", push);
    else res.end();
  };
  push();
}
