/**
 * live/socket.ts — the one place a websocket is opened, behind a small interface tests can fake.
 *
 * Node 20 (this project's floor) has no WebSocket without `--experimental-websocket`, a flag that
 * would have to reach every tslab kernel, vitest worker and script; and even with it the built-in
 * cannot report *why* a handshake failed, while tiled answers a refused subscription with an HTTP
 * status the client must tell apart (404 node not created yet, 401 bad key, 500 no streaming
 * cache). So this uses the `ws` package (8.23.0, no dependencies): its `unexpected-response` gives
 * status and body, and it has ping/pong for dead-peer detection and a `maxPayload` cap.
 *
 * @example
 * import { wsFactory } from "./lib/live/socket.js";
 * const sock = wsFactory("ws://127.0.0.1:8000/api/v1/stream/single/live?envelope_format=msgpack", { headers: {}, maxPayload: 64 << 20 }, {
 *   onMessage: (frame) => console.log(frame.length), onClose: (code, reason) => console.log(code, reason),
 *   onFailure: (err) => console.error(err.message) });
 * sock.close(1000, "done");
 */
import WebSocket from "ws";
import type { IncomingMessage } from "node:http";
import { TiledError, formatDetail, redactText } from "../errors.js";

/** What the subscription needs from a socket: frames in, close codes, a way to close it. */
export interface SocketHandlers {
  /** The handshake succeeded. */
  onOpen?(): void;
  /** One frame: bytes for a binary frame (msgpack), a string for a text frame (JSON). */
  onMessage(frame: Uint8Array | string): void;
  /** The connection closed after opening: the close code and reason as received. */
  onClose(code: number, reason: string): void;
  /** The connection never opened (refused handshake, nothing listening) or broke without a close frame before opening. */
  onFailure(error: TiledError): void;
}

export interface SocketOptions {
  headers: Record<string, string>;
  /**
   * Sent as the first message once open: tiled's first-message auth (`{"type": "auth",
   * "access_token": …}`), for login tokens, which tiled refuses in the handshake's header.
   */
  firstMessage?: string;
  /** Largest frame accepted; a bigger one closes the connection with 1009. */
  maxPayload: number;
  /** Send a ping this often (ms) and drop the connection when the pong is late; 0 = off. */
  heartbeatMs?: number;
  /** Texts (the API key) to keep out of error messages. */
  secrets?: readonly string[];
}

export interface LiveSocket {
  close(code?: number, reason?: string): void;
  /** Stop reading frames (the caller is behind): TCP then holds the server back. A few already read may still arrive. */
  pause?(): void;
  /** Read frames again. */
  resume?(): void;
}

/** Opens a socket; tests pass their own to replay recorded frames. */
export type SocketFactory = (url: string, options: SocketOptions, handlers: SocketHandlers) => LiveSocket;

const MAX_ERROR_BODY = 4096;

/** A refused handshake as a TiledError with the server's status and detail. */
function handshakeError(url: string, status: number, body: string, secrets: readonly string[]): TiledError {
  let detail: unknown = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === "object" && "detail" in parsed) detail = (parsed as { detail: unknown }).detail;
  } catch {
    /* not JSON: keep the text */
  }
  const advice =
    status === 404
      ? " The node does not exist (yet): subscribe to its parent and wait for its container-child-created."
      : status === 500
        ? " tiled answers 500 when the server has no `streaming_cache` configured (or the node cannot stream, like the root)."
        : status === 401 || status === 400
          ? " Check the API key (sent as `Authorization: Apikey …`; an api_key query parameter is ignored on websockets), or log in again."
          : status === 403
            ? " The server refused the query parameters (envelope_format must be json or msgpack, start an integer)."
            : "";
  return new TiledError(status === 404 ? "not-found" : status === 401 ? "unauthorized" : "http", `${status}: ${formatDetail(detail) || "(no detail)"} — websocket handshake refused.${advice}`, {
    status,
    url,
    detail,
    secrets,
  });
}

/** The default factory: the `ws` package. */
export const wsFactory: SocketFactory = (url, options, handlers) => {
  const secrets = options.secrets ?? [];
  const ws = new WebSocket(url, {
    headers: options.headers,
    maxPayload: options.maxPayload,
    // Messages are small (one row is ~2 kB) and on a LAN: deflate would cost latency, not save it.
    perMessageDeflate: false,
    handshakeTimeout: 30_000,
  });
  let opened = false;
  let failed = false;
  /** ws refused a frame over maxPayload: it sends 1009, but reports the close as 1006 unless the server answers with a close frame. */
  let tooLarge = false;
  let timer: NodeJS.Timeout | undefined;
  let awaitingPong = false;
  /** While paused no pong can be read: the heartbeat waits, rather than take a busy caller for a dead peer. */
  let paused = false;

  const fail = (error: TiledError) => {
    if (failed) return;
    failed = true;
    if (timer) clearInterval(timer);
    handlers.onFailure(error);
  };

  ws.on("unexpected-response", (req, res: IncomingMessage) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      if (size < MAX_ERROR_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    res.on("end", () => {
      fail(handshakeError(url, res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8").slice(0, MAX_ERROR_BODY), secrets));
      req.destroy();
    });
    res.on("error", () => fail(handshakeError(url, res.statusCode ?? 0, "", secrets)));
  });
  ws.on("open", () => {
    opened = true;
    if (options.firstMessage !== undefined) ws.send(options.firstMessage);
    if (options.heartbeatMs) {
      timer = setInterval(() => {
        if (paused) return;
        // No pong since the last ping: the peer (or the network) is gone without a close frame.
        if (awaitingPong) ws.terminate();
        else {
          awaitingPong = true;
          ws.ping();
        }
      }, options.heartbeatMs);
      timer.unref();
    }
    handlers.onOpen?.();
  });
  ws.on("pong", () => {
    awaitingPong = false;
  });
  ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
    if (failed) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    handlers.onMessage(isBinary ? bytes : bytes.toString("utf8"));
  });
  ws.on("error", (err: Error & { code?: string }) => {
    if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") tooLarge = true;
    if (opened) return; // after opening, the close event that follows carries the code (1006)
    const reason = err.code ?? err.message;
    fail(new TiledError("unreachable", `Cannot open a live subscription at ${redactText(url, secrets)} (${reason}).`, { url, cause: err, secrets }));
  });
  ws.on("close", (code: number, reason: Buffer) => {
    if (timer) clearInterval(timer);
    if (failed) return;
    if (!opened) {
      fail(new TiledError("unreachable", `The live subscription at ${redactText(url, secrets)} closed before opening (code ${code}).`, { url, secrets }));
      return;
    }
    if (tooLarge) handlers.onClose(1009, `a frame was larger than maxPayload (${options.maxPayload} bytes)`);
    else handlers.onClose(code, reason.toString("utf8"));
  });
  return {
    close(code = 1000, reason = "") {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    },
    pause() {
      paused = true;
      ws.pause();
    },
    resume() {
      paused = false;
      awaitingPong = false;
      ws.resume();
    },
  };
};
