/**
 * live/subscription.ts — one node's live updates as an async iterator: in order, exactly once,
 * across reconnects.
 *
 * Like tiled's Python `tiled/client/stream.py` `Subscription`: it connects to
 * `/api/v1/stream/single/{path}` (msgpack envelope by default, API key in the `Authorization`
 * header because tiled ignores `?api_key=` on websockets), keeps its own position, and after an
 * abnormal close (1006, 1011, 1012 "Live subscription lost", a server restart) reconnects with
 * `start=<next expected>` a bounded number of times. What Python's client does not do: a gap in
 * `sequence` is first waited for briefly, then replayed by reconnecting with `start`, and only
 * reported (as a `gap` event) when the server's cache no longer holds it; duplicates are dropped;
 * a counter that began again (server restart) is reported as `reset`. Close 1000 ("Producer ended
 * stream") ends the iteration; an `AbortSignal` or `break` closes the socket.
 *
 * @example
 * import { subscribe } from "./lib/live/subscription.js";
 * const sub = subscribe("live/<uid>/primary/internal", { start: 1, signal: AbortSignal.timeout(60_000) });
 * for await (const ev of sub) if (ev.kind === "update") console.log(ev.message.type, ev.message.sequence);
 * console.log((await sub.schema).type, sub.stats);   // "table-schema", { reconnects, duplicates, … }
 */
import { Context } from "../context.js";
import { TiledError } from "../errors.js";
import { splitPath, streamUrl as nodeStreamUrl } from "../urls.js";
import { decodeFrame } from "./envelope.js";
import type { Envelope } from "./envelope.js";
import { isSchemaMessage } from "./schemas.js";
import type { SchemaMessage, UpdateMessage } from "./schemas.js";
import { Channel } from "./channel.js";
import { SequenceTracker } from "./sequence.js";
import { wsFactory } from "./socket.js";
import type { LiveSocket, SocketFactory } from "./socket.js";

/**
 * How long a subscription keeps reconnecting. A reconnect is a *failure* unless the connection
 * before it made progress: delivered an update not seen before, or stayed open `healthyAfterMs`
 * (an idle node behind a proxy that drops quiet sockets). Both bounds hold whatever the server
 * does: a server that sends its schema and drops the connection, again and again, uses up the
 * attempts (a schema is not progress), and a run of failures ends after `totalTimeoutMs` however
 * few attempts it took (a handshake may hang for 30 s each).
 */
export interface ReconnectPolicy {
  /** Consecutive failed connections tolerated before giving up (default 5). */
  attempts: number;
  /** Wait before the first retry, doubled each time (default 200 ms). */
  initialDelayMs: number;
  /** Longest wait between retries (default 5 s). */
  maxDelayMs: number;
  /** Longest time from the first of a run of failures to giving up (default 60 s). */
  totalTimeoutMs: number;
  /** A connection open this long counts as working even if no update came (default 30 s). */
  healthyAfterMs: number;
}

export interface SubscribeOptions {
  /**
   * The server, with its credentials (an API key or login tokens, sent in the handshake's
   * `Authorization` header): a client's `context`. Default: a context from the environment
   * (TILED_URL, TILED_API_KEY).
   */
  context?: Context;
  /** Default "msgpack" (binary payloads, decoded here); "json" makes the server convert them. */
  envelope?: Envelope;
  /**
   * Replay from this sequence (what the server's cache still holds), then go live. Default: live
   * only. Use 1 for a node created moments ago, so nothing between its creation and this
   * subscription is lost.
   */
  start?: number;
  signal?: AbortSignal;
  reconnect?: Partial<ReconnectPolicy>;
  /** Largest frame accepted (default 256 MiB: a frame of an array-data patch can be large). */
  maxPayload?: number;
  /**
   * Updates held for a caller slower than the server, in bytes of frames (default 64 MiB) and in
   * messages (default 10,000). Past either, the socket is paused (TCP holds the server back) until
   * the caller has taken half of them: memory stays bounded and nothing is dropped. A server that
   * gives up on a paused client closes the connection; the subscription then reconnects from the
   * next sequence, and what the server's cache no longer holds is reported as a `gap`.
   */
  maxBufferedBytes?: number;
  maxBufferedMessages?: number;
  /** How long an out-of-order update waits for the missing ones before they are replayed (default 250 ms). */
  gapGraceMs?: number;
  /** Client ping interval, to notice a silent dead peer (default 20 s, as uvicorn's own; 0 = off). */
  heartbeatMs?: number;
  /** For tests: open sockets some other way (e.g. replay recorded frames). */
  socket?: SocketFactory;
}

/** What the iterator yields. */
export type LiveEvent =
  | { kind: "update"; message: UpdateMessage }
  /** Sequences `from`..`to` were announced but neither arrived nor could be replayed (evicted from the server's cache). */
  | { kind: "gap"; from: number; to: number }
  /** The node's counter began again (the server restarted): updates after this restart from `sequence`. */
  | { kind: "reset"; sequence: number };

export interface SubscriptionStats {
  connections: number;
  reconnects: number;
  duplicates: number;
  /** Gaps filled by a replay (start=N) or by late arrivals. */
  gapsRecovered: number;
  /** Gaps reported as `gap` events. */
  gapsLost: number;
  /** Times the socket was paused because the caller had not taken the updates held (see maxBufferedBytes). */
  pauses: number;
  /** The most bytes of updates held at once (frames received, not yet taken by the caller). */
  peakBufferedBytes: number;
  /** The close code and reason that ended the subscription. */
  closeCode?: number;
  closeReason?: string;
}

/** Default bounds on what a subscription holds for a slow caller (see SubscribeOptions.maxBufferedBytes). */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_MESSAGES = 10_000;

export const DEFAULT_RECONNECT: ReconnectPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, totalTimeoutMs: 60_000, healthyAfterMs: 30_000 };

/** The websocket URL of a node's stream. Path segments are checked like every other key. */
export function streamUrl(context: Context, path: string, envelope: Envelope, start?: number): string {
  const params: Record<string, string> = { envelope_format: envelope };
  if (start !== undefined) params.start = String(start);
  return nodeStreamUrl(context.apiBase, splitPath(path), params);
}

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE: Record<number, string> = {
  1008: "policy violation",
  // socket.ts reports 1009 also when ws saw the frame too large but the server closed without a frame (1006).
  1009: "a message was larger than maxPayload",
  4001: "the server expected an auth message",
  4003: "authentication failed",
};

/** One node's subscription. Iterate it once; `close()` (or break, or the signal) stops it. */
export class Subscription implements AsyncIterable<LiveEvent> {
  readonly path: string;
  readonly stats: SubscriptionStats = { connections: 0, reconnects: 0, duplicates: 0, gapsRecovered: 0, gapsLost: 0, pauses: 0, peakBufferedBytes: 0 };
  /** The schema message of the first connection (resolves once connected). */
  readonly schema: Promise<SchemaMessage>;

  /** The server and credentials this subscription uses (for HTTP look-ups alongside it too). */
  readonly context: Context;
  readonly #envelope: Envelope;
  readonly #policy: ReconnectPolicy;
  readonly #gapGraceMs: number;
  readonly #maxPayload: number;
  readonly #heartbeatMs: number;
  readonly #factory: SocketFactory;
  readonly #signal: AbortSignal | undefined;
  readonly #initialStart: number | undefined;
  readonly #seq: SequenceTracker;
  readonly #channel: Channel<LiveEvent>;
  readonly #maxBufferedBytes: number;
  readonly #maxBufferedMessages: number;
  /** Updates that arrived ahead of a missing sequence, by sequence, with their frame's size. */
  readonly #pending = new Map<number, { message: UpdateMessage; size: number }>();
  #pendingBytes = 0;
  #socket: LiveSocket | undefined;
  /** The current socket was paused because too much is held for the caller. */
  #paused = false;
  /** Bumped on every connect, so events of an abandoned socket are ignored. */
  #generation = 0;
  /** Reconnects since the last progress (see ReconnectPolicy). */
  #failures = 0;
  /** When the current run of failures began (Date.now()), undefined while things work. */
  #failingSince: number | undefined;
  /** When the current connection's schema arrived: how long it stayed open decides whether it worked. */
  #openedAt: number | undefined;
  /** A 401 was recovered from once already (so a second one ends the subscription). */
  #recovered = false;
  #gapTimer: NodeJS.Timeout | undefined;
  /** The `next` a replay was already tried for: a gap that survives its replay is lost. */
  #replayedFor: number | undefined;
  #started = false;
  #resolveSchema!: (schema: SchemaMessage) => void;
  #rejectSchema!: (err: unknown) => void;
  #schemaSettled = false;
  // An abort stops now: updates still held for the caller are dropped, not handed out first.
  readonly #onAbort = () => this.#finish(new TiledError("aborted", `The live subscription to ${this.path} was aborted.`), true);

  constructor(path: string, options: SubscribeOptions = {}) {
    this.path = path.replace(/^\/+|\/+$/g, "");
    this.context = options.context ?? new Context();
    this.#envelope = options.envelope ?? "msgpack";
    if (this.#envelope !== "msgpack" && this.#envelope !== "json") throw new TiledError("bad-input", `envelope must be "msgpack" or "json", not ${JSON.stringify(this.#envelope)}.`);
    if (options.start !== undefined && (!Number.isSafeInteger(options.start) || options.start < 0)) {
      throw new TiledError("bad-input", `start ${String(options.start)} must be a whole number >= 0 (1 replays from the first update).`);
    }
    this.#policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    for (const [name, value] of Object.entries(this.#policy)) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new TiledError("bad-input", `reconnect.${name} ${String(value)} must be a finite number >= 0.`);
    }
    this.#gapGraceMs = options.gapGraceMs ?? 250;
    this.#maxPayload = options.maxPayload ?? 256 * 1024 * 1024;
    this.#heartbeatMs = options.heartbeatMs ?? 20_000;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#maxBufferedMessages = options.maxBufferedMessages ?? DEFAULT_MAX_BUFFERED_MESSAGES;
    for (const [name, value] of [["maxBufferedBytes", this.#maxBufferedBytes], ["maxBufferedMessages", this.#maxBufferedMessages]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new TiledError("bad-input", `${name} ${String(value)} must be a whole number >= 1.`);
    }
    this.#channel = new Channel<LiveEvent>({ maxBytes: this.#maxBufferedBytes, maxItems: this.#maxBufferedMessages, onPressure: () => this.#applyPressure() });
    this.#factory = options.socket ?? wsFactory;
    this.#signal = options.signal;
    this.#initialStart = options.start;
    this.#seq = new SequenceTracker(options.start);
    streamUrl(this.context, this.path, this.#envelope); // refuse bad paths now, not at the first next()
    this.schema = new Promise<SchemaMessage>((resolve, reject) => {
      this.#resolveSchema = resolve;
      this.#rejectSchema = reject;
    });
    this.schema.catch(() => undefined); // the iterator reports the error; an unawaited schema must not crash the process
  }

  /** The sequence of the last update delivered (0 before any). */
  get lastSequence(): number {
    return this.#seq.last;
  }

  /** Connects now (iterating connects too): lets a caller open several subscriptions at once. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    if (this.#signal?.aborted) {
      this.#onAbort();
      return this;
    }
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#connect();
    return this;
  }

  /** Stop: closes the socket; the iteration ends normally. */
  close(): void {
    this.#finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<LiveEvent> {
    this.start();
    return {
      next: () => this.#channel.next(),
      return: async () => {
        this.#finish();
        return { value: undefined, done: true };
      },
    };
  }

  #connect(): void {
    const generation = ++this.#generation;
    const start = this.#seq.next ?? this.#initialStart;
    const url = streamUrl(this.context, this.path, this.#envelope, start);
    this.stats.connections++;
    this.#openedAt = undefined;
    this.#seq.reconnected();
    const mine = () => generation === this.#generation && !this.#channel.done;
    this.#paused = false;
    this.#socket = this.#factory(
      url,
      // Asked on every connect: a login may have refreshed the tokens since the last one.
      { ...this.context.websocketAuth(url), maxPayload: this.#maxPayload, heartbeatMs: this.#heartbeatMs, secrets: this.context.transport.secretsFor(url) },
      {
        onMessage: (frame) => {
          if (mine()) this.#onFrame(frame, url);
        },
        onClose: (code, reason) => {
          if (mine()) this.#onClose(code, reason);
        },
        onFailure: (error) => {
          if (mine()) this.#onFailure(error);
        },
      },
    );
    // A caller still behind when this connection opens: hold it back from the start.
    this.#applyPressure();
  }

  /** Pause the socket while the caller is behind (the channel or the out-of-order updates past their bounds), resume when it caught up. */
  #applyPressure(): void {
    const held = this.#channel.bytes + this.#pendingBytes;
    if (held > this.stats.peakBufferedBytes) this.stats.peakBufferedBytes = held;
    const behind = this.#channel.full || this.#pendingBytes > this.#maxBufferedBytes || this.#pending.size > this.#maxBufferedMessages;
    if (behind && !this.#paused && this.#socket?.pause) {
      this.#paused = true;
      this.stats.pauses++;
      this.#socket.pause();
    } else if (!behind && this.#paused) {
      this.#paused = false;
      this.#socket?.resume?.();
    }
  }

  #onFrame(frame: Uint8Array | string, url: string): void {
    const size = typeof frame === "string" ? frame.length * 2 : frame.byteLength;
    let message;
    try {
      message = decodeFrame(frame, this.#envelope, url);
    } catch (err) {
      this.#finish(err);
      return;
    }
    if (isSchemaMessage(message)) {
      // Not progress: a server that sends its schema and drops the connection would otherwise reset the budget for ever.
      this.#openedAt = Date.now();
      this.#recovered = false; // the credentials were accepted: a later expiry may be recovered from again
      if (!this.#schemaSettled) {
        this.#schemaSettled = true;
        this.#resolveSchema(message);
      }
      return;
    }
    this.#onUpdate(message, size);
    this.#applyPressure();
  }

  #onUpdate(message: UpdateMessage, size: number): void {
    const s = message.sequence;
    switch (this.#seq.classify(s)) {
      case "next":
        this.#deliver(message, size);
        this.#drainPending();
        return;
      case "duplicate":
        this.stats.duplicates++;
        return;
      case "reset":
        this.#pending.clear();
        this.#pendingBytes = 0;
        this.#seq.reset();
        this.#channel.push({ kind: "reset", sequence: s });
        this.#deliver(message, size);
        return;
      case "gap":
        if (this.#pending.has(s)) this.stats.duplicates++;
        else {
          this.#pending.set(s, { message, size });
          this.#pendingBytes += size;
        }
        this.#armGapTimer();
        return;
    }
  }

  #deliver(message: UpdateMessage, size: number): void {
    this.#seq.accept(message.sequence);
    this.#progressed();
    this.#channel.push({ kind: "update", message }, size);
  }

  /** An update not seen before arrived: the reconnect budget starts afresh. */
  #progressed(): void {
    this.#failures = 0;
    this.#failingSince = undefined;
  }

  /** Deliver buffered updates that are now in order; stop the gap timer once nothing is missing. */
  #drainPending(): void {
    for (;;) {
      const next = this.#seq.next;
      if (next === undefined) return;
      for (const [s, held] of [...this.#pending.entries()]) {
        if (s < next) {
          this.#pending.delete(s);
          this.#pendingBytes -= held.size;
        }
      }
      const held = this.#pending.get(next);
      if (held === undefined) break;
      this.#pending.delete(next);
      this.#pendingBytes -= held.size;
      this.#deliver(held.message, held.size);
    }
    if (this.#pending.size === 0 && this.#gapTimer) {
      clearTimeout(this.#gapTimer);
      this.#gapTimer = undefined;
      this.stats.gapsRecovered++;
      this.#replayedFor = undefined;
    }
  }

  #armGapTimer(): void {
    if (this.#gapTimer) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      if (this.#pending.size === 0 || this.#channel.done) return;
      const next = this.#seq.next;
      if (next !== undefined && this.#replayedFor !== next) {
        // Ask the server to replay from the first missing sequence: it holds recent messages.
        this.#replayedFor = next;
        this.stats.reconnects++;
        this.#socket?.close(1000, "resync");
        this.#connect();
        this.#armGapTimer();
      } else {
        this.#declareGap();
      }
    }, this.#gapGraceMs);
  }

  /** The missing sequences are gone from the server: report them and carry on from the next held one. */
  #declareGap(): void {
    if (this.#pending.size === 0) return;
    const first = Math.min(...this.#pending.keys());
    const [from, to] = this.#seq.missing(first);
    this.stats.gapsLost++;
    this.#channel.push({ kind: "gap", from, to });
    this.#seq.accept(first - 1);
    this.#replayedFor = undefined;
    this.#drainPending();
    if (this.#pending.size > 0) this.#armGapTimer();
  }

  #onClose(code: number, reason: string): void {
    this.#socket = undefined;
    if (code === 1000 && reason !== "resync") {
      // "Producer ended stream": the node is finished. Whatever is still missing will not come.
      while (this.#pending.size > 0) this.#declareGap();
      this.stats.closeCode = code;
      this.stats.closeReason = reason;
      this.#finish();
      return;
    }
    if (code === 4003 && !this.#recovered) {
      // Login tokens refused in the first message: the access token expired since the last connect.
      this.#recover(new TiledError("unauthorized", `The live subscription to ${this.path} was closed with 4003 (${reason || FATAL_CLOSE[code]}).`, { status: 401 }));
      return;
    }
    if (code in FATAL_CLOSE) {
      const tooLarge = code === 1009;
      const refused = code === 4001 || code === 4003;
      this.#finish(
        new TiledError(
          tooLarge ? "too-large" : refused ? "unauthorized" : "http",
          `The live subscription to ${this.path} was closed with ${code} (${reason || FATAL_CLOSE[code]}).` +
            (refused ? " The server did not accept this client's credentials for live updates: log in again, or check the API key." : "") +
            (tooLarge ? ` Not reconnecting: the server would send it again. Raise maxPayload (now ${this.#maxPayload} bytes) if the server is trusted.` : ""),
          { status: code === 4003 ? 401 : undefined },
        ),
      );
      return;
    }
    this.#retry(new TiledError("unreachable", `The live subscription to ${this.path} was closed with ${code}${reason ? ` (${reason})` : ""}.`));
  }

  #onFailure(error: TiledError): void {
    this.#socket = undefined;
    // A refused handshake (404, 401, 500 …) repeats the same way: only a connection that could
    // not be made (server restarting) or a gateway's 502-504 is worth retrying.
    const retriable = error.code === "unreachable" || (error.status !== undefined && [502, 503, 504].includes(error.status));
    if (retriable) this.#retry(error);
    else if (error.status === 401 && !this.#recovered) this.#recover(error);
    else this.#finish(error);
  }

  /**
   * A handshake refused with 401: the access token expired between two connections. Let the
   * context's credentials recover once (fresher tokens from the cache, or a refresh), then
   * connect again; a second 401 ends the subscription.
   */
  #recover(error: TiledError): void {
    this.#recovered = true;
    const credentials = this.context.credentials;
    if (!credentials.recover) {
      this.#finish(error);
      return;
    }
    const sent = this.context.credentials.headersFor(this.context.apiBase).Authorization;
    credentials.recover(sent).then(
      (again) => (again && !this.#channel.done ? this.#connect() : this.#finish(error)),
      (err: unknown) => this.#finish(err),
    );
  }

  #retry(error: TiledError): void {
    const now = Date.now();
    // A connection that stayed open long enough worked, even without updates (an idle node).
    if (this.#openedAt !== undefined && now - this.#openedAt >= this.#policy.healthyAfterMs) this.#progressed();
    this.#openedAt = undefined;
    this.#failures++;
    this.#failingSince ??= now;
    const delay = Math.min(this.#policy.maxDelayMs, this.#policy.initialDelayMs * 2 ** (this.#failures - 1));
    const elapsed = now - this.#failingSince;
    if (this.#failures > this.#policy.attempts || elapsed + delay > this.#policy.totalTimeoutMs) {
      const why =
        this.#failures > this.#policy.attempts
          ? `Gave up after ${this.#policy.attempts} reconnection attempts`
          : `Gave up after ${this.#failures - 1} reconnection attempts in ${(elapsed / 1000).toFixed(1)} s (reconnect.totalTimeoutMs ${this.#policy.totalTimeoutMs} ms)`;
      this.#finish(new TiledError(error.code, `${error.message} ${why} with no new update in between.`, { url: error.url, status: error.status, cause: error }));
      return;
    }
    this.stats.reconnects++;
    setTimeout(() => {
      if (!this.#channel.done) this.#connect();
    }, delay);
  }

  #finish(error?: unknown, discard = false): void {
    if (this.#channel.done) return;
    this.#generation++;
    if (this.#gapTimer) clearTimeout(this.#gapTimer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#socket?.close(1000, "client closed");
    this.#socket = undefined;
    if (!this.#schemaSettled) {
      this.#schemaSettled = true;
      this.#rejectSchema(error ?? new TiledError("aborted", `The live subscription to ${this.path} ended before it connected.`));
    }
    this.#channel.end(error, { discard });
  }
}

/** Subscribe to one node's updates (not connected until iterated or `start()`ed). */
export function subscribe(path: string, options: SubscribeOptions = {}): Subscription {
  return new Subscription(path, options);
}

/**
 * What the typed subscriptions (catalog, table, array) share: the raw subscription whose updates
 * they turn into events, started and closed through it.
 */
export abstract class SubscriptionView {
  readonly subscription: Subscription;

  constructor(path: string, options: SubscribeOptions = {}) {
    this.subscription = new Subscription(path, options);
  }

  /** Connect now rather than at the first iteration. */
  start(): this {
    this.subscription.start();
    return this;
  }

  close(): void {
    this.subscription.close();
  }
}
