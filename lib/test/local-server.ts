/**
 * A tiny HTTP server owned by a test, for what a real tiled server cannot be made to do on cue:
 * send broken JSON, fail with 503 twice, hang, or echo the headers it received; and a raw TCP
 * server (`rawServers`) for answers node:http will not write: split, broken, endless, or not HTTP.
 */
import * as http from "node:http";
import * as net from "node:net";
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

export interface RawConnection {
  socket: net.Socket;
  /** The request's head exactly as received (up to and including the blank line). */
  request: string;
  /** Resolves when the server side sees the connection closed. */
  closed: Promise<void>;
}

export interface RawServer {
  url: string;
  port: number;
  /** Every connection that sent a whole request head, in order (to count attempts). */
  connections: RawConnection[];
}

export type RawResponder = (socket: net.Socket, request: string) => void;

/**
 * `rawServer(respond)` for one test file: a TCP server that reads one request head per connection,
 * then hands the socket to `respond` to write whatever it likes. Closed (its sockets destroyed)
 * after the test that started it.
 */
export function rawServers(): (respond: RawResponder, host?: string) => Promise<RawServer> {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });
  return async (respond: RawResponder, host = "127.0.0.1") => {
    const connections: RawConnection[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("error", () => undefined); // the client destroys sockets on purpose
      let head = "";
      let closedResolve: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (closedResolve = resolve));
      socket.on("close", () => {
        sockets.delete(socket);
        closedResolve();
      });
      const onData = (data: Buffer) => {
        head += data.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        const request = head.slice(0, end + 4);
        connections.push({ socket, request, closed });
        respond(socket, request);
      };
      socket.on("data", onData);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, connections };
  };
}
