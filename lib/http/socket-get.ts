/**
 * http/socket-get.ts — `socketHttp`, a lean HTTP/1.1 GET over a raw socket, for bulk binary bodies.
 *
 * The transport reads arrays (application/octet-stream) and Arrow tables of hundreds of MB. Through
 * node-fetch, or node:http, every ~64 KiB of the body arrives as a freshly allocated Buffer pushed
 * through a stream, and is then copied into the result. bench/README.md ("Investigation") measured
 * on this 2-core machine, for a 1.07 GB array: node-fetch into one buffer 0.61x curl's throughput
 * (1.88 s of client CPU), node:http into one buffer 0.60x (2.10 s); a raw `net` socket reading
 * through `onread` into one reusable 1 MiB buffer, copied into one preallocated result, 0.80x
 * (0.86 s), and 1.09x curl on a 120 MB Arrow table. This file is that raw socket made correct:
 *
 * - One request per connection (`Connection: close`): no pool, no keep-alive state to get wrong.
 * - The status line and headers are parsed here (split across reads, capped at 64 KiB), 1xx interim
 *   answers are skipped, 204/304 have no body.
 * - Body framing: Content-Length, `Transfer-Encoding: chunked` (sizes, extensions, trailers), or
 *   until the server closes. A Content-Length body is read by the kernel straight into the result
 *   (`onread.buffer` as a function returns the result's unfilled part), so JavaScript copies none
 *   of it; anything else goes through one reusable 4 MiB scratch buffer and is copied once. Measured
 *   here on a 500 MB body from a local node:http server (medians of 5, client CPU in brackets):
 *   node-fetch into one buffer 0.67 s (0.73 s), this file 0.28 s (0.28 s); through the scratch
 *   buffer instead of straight into the result, 0.43 s with 256 KiB, 0.33 s with 1 MiB, 0.30 s with
 *   4 MiB (a chunked body: 0.39 s with 1 MiB, 0.32 s with 4 MiB), hence 4 MiB.
 * - `Content-Encoding`: the transport asks for identity, but a server may compress anyway (or the
 *   transport may allow it). gzip, deflate and br are decoded with node:zlib after the whole encoded
 *   body has arrived, off the main thread, within the sink's limits; anything else is refused with
 *   invalid-response naming the encoding, so encoded bytes are never returned as if decoded.
 *
 * Only `http:` URLs: https needs TLS, which node-fetch keeps doing (fetchHttp). Redirects, retries,
 * timeouts (through `request.signal`), API keys and error wording are the transport's (types.ts).
 *
 * Errors: bad URL or header -> TiledError bad-input, before any connection. A failure before the
 * final status line -> the socket's own error (its `code`: ECONNREFUSED, ENOTFOUND, ECONNRESET…);
 * a close before any status line -> an Error with code ECONNRESET ("socket hang up", as node:http).
 * A malformed answer -> invalid-response. After the status line, a close or error before the body
 * is complete -> BodyCutShort (the socket error, if any, as its cause); a close-delimited body has
 * no announced end, so a clean close completes it. An abort rejects with `signal.reason`. In every
 * case the socket is destroyed and the abort listener removed when the promise settles.
 *
 * @example
 * const response = await socketHttp(
 *   { url: "http://127.0.0.1:8000/api/v1/array/full/x", headers: { Accept: "application/octet-stream", "Accept-Encoding": "identity" }, signal },
 *   (status) => (status === 200 ? { expectedBytes: 4096 } : { maxBytes: 1 << 20 }),
 * );
 * if (response.status === 200) console.log(new Float64Array(response.body.buffer, response.body.byteOffset, 512));
 */
import * as net from "node:net";
import * as zlib from "node:zlib";
import { TiledError } from "../errors.js";
import { BodyCutShort } from "./types.js";
import type { BodySink, HttpFunction, HttpRequest, HttpResponse } from "./types.js";

/**
 * The scratch buffer each request reads through when it cannot read straight into the result (the
 * head, chunked and close-delimited bodies). Allocated uninitialised: only the pages reads fill are
 * touched, so a small answer does not cost 4 MiB of memory.
 */
export const READ_BUFFER_BYTES = 4 << 20;

/** Largest status line + header section (also: one chunk-size line, and a chunked body's trailers). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
/** RFC 9110 token: a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value we can send as latin1 without letting it end the line early (no CR, LF, NUL or controls). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers this reader writes itself (or that would frame a body a GET does not have). */
const RESERVED_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);
const DECODABLE = new Set(["gzip", "x-gzip", "deflate", "br"]);

/** The socket-level error for a connection the server closed before any status line (node:http's wording). */
function hangUp(): Error {
  return Object.assign(new Error("socket hang up: the server closed the connection before answering"), { code: "ECONNRESET" });
}

function abortError(): Error {
  return Object.assign(new Error("The request was aborted."), { name: "AbortError", code: "ABORT_ERR" });
}

/** A fresh, zero-offset buffer of `size` bytes; an impossible size (a hostile Content-Length) is too-large. */
function fresh(size: number, url: string): Uint8Array {
  try {
    return new Uint8Array(new ArrayBuffer(size));
  } catch (cause) {
    throw new TiledError("too-large", `The server's answer is ${size} bytes, more than this process can hold.`, { url, cause });
  }
}

function latin1(bytes: Uint8Array, start = 0, end = bytes.byteLength): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
}

interface Target {
  host: string;
  port: number;
  /** The request's head, ready to write as latin1. */
  head: string;
}

/** Check the URL and headers and build the request head; bad-input before anything is sent. */
function requestHead(request: HttpRequest): Target {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch (cause) {
    throw new TiledError("bad-input", `${JSON.stringify(request.url)} is not a URL.`, { cause });
  }
  if (request.method !== "GET" || request.body !== undefined) {
    throw new TiledError("bad-input", `socketHttp sends only GET requests without a body, not ${request.method} (writes go through fetchHttp).`, { url: request.url });
  }
  if (url.protocol !== "http:") {
    throw new TiledError("bad-input", `socketHttp reads only http: URLs, not ${url.protocol} ones (https goes through fetchHttp).`, { url: request.url });
  }
  // fetch refuses these too: a password in a URL would otherwise be silently dropped or leaked.
  if (url.username || url.password) throw new TiledError("bad-input", "A URL with a user name or password is not sent.", { url: request.url });
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(request.headers)) {
    // Values are not quoted in messages: one may be an API key.
    if (!TOKEN.test(name)) throw new TiledError("bad-input", `${JSON.stringify(name)} is not a valid header name.`, { url: request.url });
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new TiledError("bad-input", `The ${name} header is set by socketHttp itself.`, { url: request.url });
    if (typeof value !== "string" || !FIELD_VALUE.test(value)) {
      throw new TiledError("bad-input", `The value of the ${name} header contains a line break or another control character.`, { url: request.url });
    }
    lines.push(`${name}: ${value}`);
  }
  lines.push("Connection: close", "", "");
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === "" ? 80 : Number(url.port), head: lines.join("\r\n") };
}

/** Where the blank line ending a head is: `end` (the head's text stops there) and `next` (the body starts there). */
function headEnd(bytes: Uint8Array, from: number): { end: number; next: number } | undefined {
  for (let i = bytes.indexOf(LF, from); i >= 0; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] === LF) return { end: i, next: i + 2 };
    if (bytes[i + 1] === CR && bytes[i + 2] === LF) return { end: i, next: i + 3 };
  }
  return undefined;
}

interface Head {
  status: number;
  headers: Map<string, string>;
}

/** Parse a status line and header fields (names lowercased, repeats joined with ", ", obs-fold unfolded). */
function parseHead(text: string, invalid: (message: string) => TiledError): Head {
  const lines = text.split(/\r?\n/);
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?:[ \t].*)?\r?$/.exec(lines[0] ?? "");
  if (statusLine === null) throw invalid(`The server's answer does not start with an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}.`);
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const raw of lines.slice(1)) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (/^[ \t]/.test(line) && last !== undefined) {
      // Obsolete line folding: RFC 9112 §5.2 says a recipient replaces it with a space.
      headers.set(last, `${headers.get(last) ?? ""} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : "";
    if (!TOKEN.test(name)) throw invalid(`The server sent a malformed header line: ${JSON.stringify(line.slice(0, 80))}.`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
    last = name;
  }
  return { status: Number(statusLine[1]), headers };
}

/** Content-Length as a number; repeated equal values ("10, 10") are one value, anything else is invalid. */
function contentLength(value: string | undefined, invalid: (message: string) => TiledError): number | undefined {
  if (value === undefined) return undefined;
  const values = new Set(value.split(",").map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,16}$/.test(only) || !Number.isSafeInteger(Number(only))) {
    throw invalid(`The server sent an invalid Content-Length: ${JSON.stringify(value.slice(0, 80))}.`);
  }
  return Number(only);
}

/** Decodes a `Transfer-Encoding: chunked` body incrementally: sizes, extensions (ignored), trailers (read and ignored). */
class ChunkedDecoder {
  private state: "size" | "data" | "data-end" | "trailer" | "done" = "size";
  private line = "";
  private left = 0;
  private trailerBytes = 0;

  constructor(private readonly invalid: (message: string) => TiledError) {}

  get done(): boolean {
    return this.state === "done";
  }

  /** Feed the next bytes; chunk data goes to `onData` (views of `bytes`, valid during the call only). */
  feed(bytes: Uint8Array, onData: (data: Uint8Array) => void): void {
    let i = 0;
    while (i < bytes.byteLength && this.state !== "done") {
      if (this.state === "data") {
        const take = Math.min(this.left, bytes.byteLength - i);
        onData(bytes.subarray(i, i + take));
        i += take;
        this.left -= take;
        if (this.left === 0) this.state = "data-end";
        continue;
      }
      const lf = bytes.indexOf(LF, i);
      this.line += latin1(bytes, i, lf < 0 ? bytes.byteLength : lf);
      if (this.line.length > MAX_HEAD_BYTES) throw this.invalid(`The server sent a chunked-encoding line longer than ${MAX_HEAD_BYTES} bytes.`);
      if (lf < 0) return;
      i = lf + 1;
      const line = this.line;
      this.line = "";
      this.onLine(line);
    }
  }

  /** One control line, with its CR if it had one (a bare LF ends a size or trailer line too, as RFC 9112 §2.2 allows). */
  private onLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (this.state === "size") {
      // chunk-size [ BWS ";" chunk-ext ]: extensions carry nothing we use.
      const size = line.split(";", 1)[0].replace(/[ \t]+$/, "");
      if (!/^[0-9a-fA-F]{1,13}$/.test(size)) throw this.invalid(`The server sent an invalid chunk size: ${JSON.stringify(line.slice(0, 80))}.`);
      this.left = Number.parseInt(size, 16);
      this.state = this.left === 0 ? "trailer" : "data";
    } else if (this.state === "data-end") {
      // Strict CRLF here: anything else means the chunk's size and its data disagree.
      if (raw !== "\r") throw this.invalid("The server sent a chunk whose data does not match its announced size.");
      this.state = "size";
    } else if (line === "") {
      this.state = "done";
    } else {
      this.trailerBytes += line.length + 2;
      if (this.trailerBytes > MAX_HEAD_BYTES) throw this.invalid(`The server sent more than ${MAX_HEAD_BYTES} bytes of trailers.`);
    }
  }
}

/** A cap on the bytes received, and the error for going past it. */
interface Limit {
  bytes: number;
  error: () => TiledError;
}

/** Receives the body (as sent on the wire, before any Content-Encoding is decoded). */
interface Receiver {
  received: number;
  /** Copy the next bytes in (a view of the scratch buffer, valid during the call only). */
  add(bytes: Uint8Array): void;
  /** The unfilled part of the result, up to `max` bytes, for the socket to read into; undefined when collecting. */
  window(max: number): Uint8Array | undefined;
  /** `n` bytes were read straight into the last window. */
  commit(n: number): void;
  result(): Uint8Array;
}

function checkLimits(limits: readonly Limit[], total: number): void {
  for (const limit of limits) if (total > limit.bytes) throw limit.error();
}

/** Into one buffer of known size (the caller's `into`, or a fresh one). */
class FixedReceiver implements Receiver {
  received = 0;
  constructor(
    private readonly out: Uint8Array,
    private readonly limits: readonly Limit[],
    private readonly overflow: () => TiledError,
  ) {}
  add(bytes: Uint8Array): void {
    const total = this.received + bytes.byteLength;
    checkLimits(this.limits, total);
    if (total > this.out.byteLength) throw this.overflow();
    this.out.set(bytes, this.received);
    this.received = total;
  }
  window(max: number): Uint8Array {
    return this.out.subarray(this.received, Math.min(this.out.byteLength, this.received + max));
  }
  commit(n: number): void {
    this.received += n;
  }
  result(): Uint8Array {
    // Fewer bytes than expected but a clean end: the transport reports the mismatch.
    return this.received === this.out.byteLength ? this.out : this.out.subarray(0, this.received);
  }
}

/** Size unknown: copies of each read, joined once at the end. */
class CollectReceiver implements Receiver {
  received = 0;
  private readonly chunks: Uint8Array[] = [];
  constructor(private readonly limits: readonly Limit[]) {}
  add(bytes: Uint8Array): void {
    checkLimits(this.limits, this.received + bytes.byteLength);
    this.chunks.push(new Uint8Array(bytes)); // a copy: `bytes` is the scratch buffer
    this.received += bytes.byteLength;
  }
  window(): undefined {
    return undefined;
  }
  commit(): void {
    throw new Error("CollectReceiver has no window to commit");
  }
  result(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(new ArrayBuffer(this.received));
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

/** An upper bound on the encoded size of `n` bytes for any sane gzip/deflate/br encoder (zlib's deflateBound, brotli's max size). */
function encodedBound(n: number): number {
  return n + Math.ceil(n / 1024) + 1024;
}

type Framing = { kind: "length"; announced: number } | { kind: "chunked"; decoder: ChunkedDecoder } | { kind: "close" };

/** What to do with the body once it is complete. */
interface Plan {
  framing: Framing;
  receiver: Receiver;
  coding: string | undefined;
  sink: BodySink;
  expected: number | undefined;
}

/** Decode an encoded body with node:zlib (async: off the main thread), capped at `limit` decoded bytes. */
function decompress(coding: string, body: Uint8Array, limit: number | undefined): Promise<Buffer> {
  const options = limit === undefined ? {} : { maxOutputLength: Math.max(1, limit) };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (coding === "br") zlib.brotliDecompress(body, options, done);
    else if (coding === "deflate") {
      // "deflate" should be zlib-wrapped (RFC 9110), but some servers send raw deflate; as node-fetch does, look at the header.
      const wrapped = body.byteLength >= 2 && (body[0] & 0x0f) === 8 && ((body[0] << 8) | body[1]) % 31 === 0;
      if (wrapped) zlib.inflate(body, options, done);
      else zlib.inflateRaw(body, options, done);
    } else zlib.gunzip(body, options, done);
  });
}

/** One request on one socket; settles exactly once, and then the socket is destroyed and the listener removed. */
class Exchange {
  private readonly scratch = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  private readonly socket: net.Socket;
  private phase: "head" | "body" | "done" = "head";
  private head: Uint8Array = new Uint8Array(0);
  private status = 0;
  private headers = new Map<string, string>();
  private plan: Plan | undefined;
  private settled = false;
  private readonly onAbort = () => this.fail(this.request.signal.reason ?? abortError());

  constructor(
    private readonly request: HttpRequest,
    private readonly sinkFor: (status: number) => BodySink,
    target: Target,
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    request.signal.addEventListener("abort", this.onAbort, { once: true });
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      onread: { buffer: () => this.nextBuffer(), callback: (n, buf) => this.onRead(n, buf) },
    });
    this.socket.on("error", (err) => this.onClose(err));
    this.socket.on("end", () => this.onClose(undefined));
    this.socket.on("close", () => this.onClose(undefined));
    this.socket.write(target.head, "latin1");
  }

  private invalid = (message: string): TiledError => new TiledError("invalid-response", message, { url: this.request.url, status: this.status || undefined });

  /** Where the next read lands: straight into the result for a Content-Length body, else the scratch buffer. */
  private nextBuffer(): Uint8Array {
    const plan = this.plan;
    if (this.phase === "body" && plan !== undefined && plan.framing.kind === "length") {
      const window = plan.receiver.window(plan.framing.announced - plan.receiver.received);
      if (window !== undefined && window.byteLength > 0) return window;
    }
    return this.scratch;
  }

  private onRead(nread: number, buf: Uint8Array): boolean {
    if (this.settled) return false;
    try {
      if (buf !== this.scratch) {
        // Read straight into the result's window (nextBuffer): only ever for a Content-Length body.
        const plan = this.plan;
        if (plan === undefined || plan.framing.kind !== "length") throw new Error("socketHttp: a read landed outside the scratch buffer");
        plan.receiver.commit(nread);
        if (plan.receiver.received >= plan.framing.announced) this.complete(plan);
      } else this.consume(buf.subarray(0, nread));
      // Also after the last read, which completed the body (phase "done").
      const plan = this.plan;
      if (plan !== undefined && plan.receiver.received > 0) this.request.onProgress?.(plan.receiver.received, plan.framing.kind === "length" ? plan.framing.announced : undefined);
    } catch (err) {
      this.fail(err);
    }
    return !this.settled;
  }

  private consume(input: Uint8Array): void {
    let bytes = input;
    while (this.phase === "head") {
      const previous = this.head.byteLength;
      const combined = previous === 0 ? bytes : Buffer.concat([this.head, bytes]);
      const found = headEnd(combined, Math.max(0, previous - 2));
      if (found === undefined || found.end > MAX_HEAD_BYTES) {
        if (combined.byteLength > MAX_HEAD_BYTES) throw this.invalid(`The server's status line and headers are longer than ${MAX_HEAD_BYTES} bytes.`);
        // Keep a copy: `bytes` is the scratch buffer, overwritten by the next read.
        this.head = combined === bytes ? new Uint8Array(bytes) : combined;
        return;
      }
      this.head = new Uint8Array(0);
      const head = parseHead(latin1(combined, 0, found.end), this.invalid);
      bytes = combined.subarray(found.next);
      this.onHead(head);
    }
    if (this.phase === "body" && this.plan !== undefined && bytes.byteLength > 0) this.onBody(this.plan, bytes);
  }

  private onHead(head: Head): void {
    this.status = head.status;
    if (head.status === 101) throw this.invalid("The server switched protocols (101) though none was asked for.");
    if (head.status < 200) return; // 1xx interim answer (100 Continue, 103 Early Hints): the real one follows.
    this.headers = head.headers;
    const sink = this.sinkFor(head.status);
    const url = this.request.url;
    const expected = sink.expectedBytes ?? sink.into?.byteLength;
    if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) throw new TiledError("bad-input", `expectedBytes ${expected} is not a byte count.`, { url });
    if (sink.into !== undefined && sink.into.byteLength !== expected) {
      throw new TiledError("bad-input", `The buffer to read into has ${sink.into.byteLength} bytes, not the expected ${expected}.`, { url });
    }
    if (head.status === 204 || head.status === 304) {
      // No body, whatever the headers say (a 304's Content-Length describes the cached copy).
      this.phase = "done";
      this.socket.destroy();
      this.succeed(new Uint8Array(0));
      return;
    }
    const transfer = head.headers.get("transfer-encoding");
    let framing: Framing;
    if (transfer !== undefined) {
      // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); only plain chunked is in use.
      if (transfer.trim().toLowerCase() !== "chunked") throw this.invalid(`The server sent Transfer-Encoding ${JSON.stringify(transfer)}, which socketHttp does not decode.`);
      framing = { kind: "chunked", decoder: new ChunkedDecoder(this.invalid) };
    } else {
      const length = contentLength(head.headers.get("content-length"), this.invalid);
      framing = length === undefined ? { kind: "close" } : { kind: "length", announced: length };
    }
    const announced = framing.kind === "length" ? framing.announced : undefined;
    const codings = (head.headers.get("content-encoding") ?? "")
      .split(",")
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== "" && c !== "identity");
    const coding = codings[0];
    if (coding !== undefined && this.request.headers["Accept-Encoding"] === "identity") {
      throw this.invalid(`The server compressed its answer (${coding}) although the request asked for it uncompressed; refused rather than decoded.`);
    }
    if (codings.length > 1 || (coding !== undefined && !DECODABLE.has(coding))) {
      throw this.invalid(`The server's answer is encoded as ${JSON.stringify(head.headers.get("content-encoding"))}, which socketHttp does not decode (it decodes gzip, deflate and br).`);
    }
    const max = sink.maxBytes;
    const tooLarge = (size?: number) =>
      new TiledError("too-large", `The server's answer is ${size === undefined ? "larger than" : `${size} bytes, over`} the ${max}-byte limit.`, { url, status: head.status });
    const moreThanExpected = () => new TiledError("invalid-response", `The server sent more than the expected ${expected} bytes.`, { url, status: head.status });
    if (max !== undefined && announced !== undefined && announced > max) throw tooLarge(announced);
    // On the wire, an encoded body may be a little larger than the decoded one (incompressible data).
    const wireCap = expected === undefined ? undefined : coding === undefined ? expected : encodedBound(expected);
    if (wireCap !== undefined && announced !== undefined && announced > wireCap) throw moreThanExpected();
    const limits: Limit[] = [];
    if (max !== undefined) limits.push({ bytes: max, error: () => tooLarge() });
    if (wireCap !== undefined) limits.push({ bytes: wireCap, error: moreThanExpected });
    let receiver: Receiver;
    if (coding === undefined && expected !== undefined) receiver = new FixedReceiver(sink.into ?? fresh(expected, url), limits, moreThanExpected);
    else if (announced !== undefined) receiver = new FixedReceiver(fresh(announced, url), limits, moreThanExpected);
    else receiver = new CollectReceiver(limits);
    const plan: Plan = { framing, receiver, coding, sink, expected };
    this.plan = plan;
    this.phase = "body";
    this.request.onProgress?.(0, announced);
    if (announced === 0) this.complete(plan);
  }

  private onBody(plan: Plan, bytes: Uint8Array): void {
    const framing = plan.framing;
    if (framing.kind === "length") {
      // Bytes past Content-Length are not part of this answer (and with Connection: close there should be none).
      plan.receiver.add(bytes.subarray(0, Math.min(bytes.byteLength, framing.announced - plan.receiver.received)));
      if (plan.receiver.received >= framing.announced) this.complete(plan);
    } else if (framing.kind === "chunked") {
      framing.decoder.feed(bytes, (data) => plan.receiver.add(data));
      if (framing.decoder.done) this.complete(plan);
    } else plan.receiver.add(bytes);
  }

  /** The end of the connection (clean close, error, or `close` as a safety net) while nothing has settled. */
  private onClose(err: Error | undefined): void {
    if (this.settled || this.phase === "done") return;
    const plan = this.plan;
    if (this.phase === "head" || plan === undefined) {
      this.fail(err ?? hangUp());
      return;
    }
    if (plan.framing.kind === "close" && err === undefined) {
      this.complete(plan);
      return;
    }
    const announced = plan.framing.kind === "length" ? plan.framing.announced : undefined;
    this.fail(new BodyCutShort(plan.receiver.received, announced, err === undefined ? undefined : { cause: err }));
  }

  /** The body is all here: close the connection now, decode if needed, answer. */
  private complete(plan: Plan): void {
    this.phase = "done";
    this.socket.destroy();
    const wire = plan.receiver.result();
    if (plan.coding === undefined) {
      this.succeed(wire);
      return;
    }
    this.decode(plan, plan.coding, wire).then(
      (body) => this.succeed(body),
      (err: unknown) => this.fail(err),
    );
  }

  private async decode(plan: Plan, coding: string, wire: Uint8Array): Promise<Uint8Array> {
    const { expected, sink } = plan;
    const url = this.request.url;
    const max = sink.maxBytes;
    const limit = expected === undefined ? max : max === undefined ? expected : Math.min(expected, max);
    const overLimit = () =>
      expected !== undefined && (max === undefined || expected <= max)
        ? new TiledError("invalid-response", `The server sent more than the expected ${expected} bytes (once ${coding}-decoded).`, { url, status: this.status })
        : new TiledError("too-large", `The server's answer, ${coding}-decoded, is larger than the ${max}-byte limit.`, { url, status: this.status });
    let decoded: Uint8Array;
    if (wire.byteLength === 0) decoded = new Uint8Array(0);
    else {
      try {
        decoded = await decompress(coding, wire, limit);
      } catch (cause) {
        if ((cause as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") throw overLimit();
        throw new TiledError("invalid-response", `The server's ${coding}-encoded answer could not be decoded: ${(cause as Error).message}.`, { url, status: this.status, cause });
      }
    }
    if (limit !== undefined && decoded.byteLength > limit) throw overLimit();
    if (sink.into !== undefined) {
      sink.into.set(decoded);
      return decoded.byteLength === sink.into.byteLength ? sink.into : sink.into.subarray(0, decoded.byteLength);
    }
    // zlib's output may be a view of a larger (pooled) buffer: give back a fresh one, so views are aligned.
    if (decoded.byteOffset === 0 && decoded.byteLength === decoded.buffer.byteLength) return new Uint8Array(decoded.buffer);
    const out = fresh(decoded.byteLength, url);
    out.set(decoded);
    return out;
  }

  private succeed(body: Uint8Array): void {
    if (this.settled) return;
    this.settled = true;
    this.request.signal.removeEventListener("abort", this.onAbort);
    const headers = this.headers;
    this.resolve({ url: this.request.url, status: this.status, headers: { get: (name) => headers.get(name.toLowerCase()) ?? null }, body });
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.phase = "done";
    this.request.signal.removeEventListener("abort", this.onAbort);
    this.socket.destroy();
    this.reject(err);
  }
}

/**
 * One GET over a fresh connection, for `http:` URLs (see the file comment for what is decided here
 * and what is left to the transport). Throws bad-input, before connecting, for another scheme, a
 * URL with credentials, or a header name or value that could break the request's lines.
 */
export const socketHttp: HttpFunction = (request, sinkFor) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const target = requestHead(request); // a throw here rejects: nothing was sent
    if (request.signal.aborted) {
      reject(request.signal.reason ?? abortError());
      return;
    }
    new Exchange(request, sinkFor, target, resolve, reject);
  });
