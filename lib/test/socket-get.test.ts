// socketHttp (http/socket-get.ts) against real local servers: node:http for well-formed answers,
// raw `net` servers for split, broken, slow or endless ones. Nothing here needs a tiled server.
import { getEventListeners } from "node:events";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as zlib from "node:zlib";
import fetch from "node-fetch";
import { afterEach, describe, expect, it } from "vitest";
import { socketHttp } from "../http/socket-get";
import { BodyCutShort } from "../http/types";
import type { BodySink, HttpResponse } from "../http/types";
import { caught } from "./caught";
import { closedPort, rawServers, startLocalServer } from "./local-server";
import type { Handler, LocalServer } from "./local-server";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

async function serve(handler: Handler): Promise<LocalServer> {
  const server = await startLocalServer(handler);
  closers.push(() => server.close());
  return server;
}

const rawServer = rawServers();

/** Count the connections a port receives (to prove that none was made). */
async function countingServer(): Promise<{ url: string; count: () => number }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, count: () => count };
}

/** A deterministic byte pattern that catches shifted, dropped or repeated ranges. */
function pattern(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function request(url: string, headers: Record<string, string> = {}, signal: AbortSignal = new AbortController().signal) {
  return { method: "GET" as const, url, headers, signal };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write `text` one byte per write, with a pause between, so the client sees it split everywhere. */
async function dribble(socket: net.Socket, text: string | Buffer): Promise<void> {
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  for (let i = 0; i < bytes.length; i++) {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(i, i + 1));
    await sleep(1);
  }
}

/** What a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe("bodies with Content-Length", () => {
  it("a multi-MB body arrives byte for byte, in a fresh zero-offset buffer of exactly its size", async () => {
    const data = pattern(12 * 1024 * 1024 + 13);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.byteLength) });
      // Several writes of odd sizes, so reads end mid-way through them.
      let offset = 0;
      const step = 777_777;
      const next = () => {
        while (offset < data.byteLength) {
          const piece = data.subarray(offset, offset + step);
          offset += piece.byteLength;
          if (!res.write(piece)) return void res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    const sinks: number[] = [];
    const response = await socketHttp(request(`${server.url}/array?x=1`), (status) => (sinks.push(status), {}));
    expect(sinks).toEqual([200]);
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${server.url}/array?x=1`);
    expect(response.headers.get("Content-Type")).toBe("application/octet-stream");
    expect(response.body.byteOffset).toBe(0);
    expect(response.body.buffer.byteLength).toBe(data.byteLength);
    expect(bytesEqual(response.body, data)).toBe(true);
  });

  it("into: a subarray of a larger buffer is filled in place, its neighbours untouched", async () => {
    const data = pattern(3 * 1024 * 1024, 11);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-length": String(data.byteLength) });
      res.end(data);
    });
    const whole = new Uint8Array(data.byteLength + 1000).fill(0xee);
    const into = whole.subarray(517, 517 + data.byteLength);
    const response = await socketHttp(request(server.url), () => ({ expectedBytes: data.byteLength, into }));
    expect(response.body).toBe(into);
    expect(bytesEqual(into, data)).toBe(true);
    expect(whole.subarray(0, 517).every((b) => b === 0xee)).toBe(true);
    expect(whole.subarray(517 + data.byteLength).every((b) => b === 0xee)).toBe(true);
  });

  it("bytes after Content-Length are not part of the body, whichever read they arrive in", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
      setTimeout(() => socket.write("56789EXTRA"), 30);
    });
    for (const sink of [{ expectedBytes: 100 }, {}] satisfies BodySink[]) {
      const response = await socketHttp(request(server.url), () => sink);
      expect(Buffer.from(response.body).toString()).toBe("0123456789");
    }
  });

  it("expectedBytes: a fresh buffer of that size; a shorter body that ends cleanly comes back trimmed", async () => {
    const data = pattern(1_000_000, 3);
    const server = await serve((req, res) => {
      const body = req.url === "/short" ? data.subarray(0, 999_000) : data;
      res.writeHead(200, { "content-length": String(body.byteLength) });
      res.end(body);
    });
    const full = await socketHttp(request(`${server.url}/full`), () => ({ expectedBytes: 1_000_000 }));
    expect(full.body.byteOffset).toBe(0);
    expect(full.body.buffer.byteLength).toBe(1_000_000);
    expect(bytesEqual(full.body, data)).toBe(true);
    const short = await socketHttp(request(`${server.url}/short`), () => ({ expectedBytes: 1_000_000 }));
    expect(short.body.byteLength).toBe(999_000);
    expect(short.body.byteOffset).toBe(0);
    expect(bytesEqual(short.body, data.subarray(0, 999_000))).toBe(true);
  });

  it("Content-Length: 0 and 204 / 304 give an empty body without waiting for the close", async () => {
    const server = await rawServer((socket, req) => {
      const status = req.startsWith("GET /204") ? "204 No Content" : req.startsWith("GET /304") ? "304 Not Modified\r\nContent-Length: 99" : "200 OK\r\nContent-Length: 0";
      socket.write(`HTTP/1.1 ${status}\r\n\r\n`); // and the connection stays open
    });
    for (const [path, status] of [["/empty", 200], ["/204", 204], ["/304", 304]] as const) {
      const response = await socketHttp(request(`${server.url}${path}`), () => ({ expectedBytes: 10 }));
      expect(response.status).toBe(status);
      expect(response.body.byteLength).toBe(0);
    }
  });
});

describe("the request", () => {
  it("sends exactly the given headers, Host with its port, and Connection: close", async () => {
    const server = await rawServer((socket, req) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(req, "latin1")}\r\n\r\n${req}`, "latin1");
    });
    const response = await socketHttp(
      request(`${server.url}/api/v1/array/full/a%20b?slice=0:2,%3A&format=x#fragment`, { Accept: "application/octet-stream", "Accept-Encoding": "identity", "X-Custom": "naïve café" }),
      () => ({}),
    );
    expect(Buffer.from(response.body).toString("latin1")).toBe(
      "GET /api/v1/array/full/a%20b?slice=0:2,%3A&format=x HTTP/1.1\r\n" +
        `Host: 127.0.0.1:${server.port}\r\n` +
        "Accept: application/octet-stream\r\n" +
        "Accept-Encoding: identity\r\n" +
        "X-Custom: naïve café\r\n" +
        "Connection: close\r\n\r\n",
    );
  });

  it("a header name or value with CR/LF (or a reserved header) is bad-input, and no connection is made", async () => {
    const server = await countingServer();
    const cases: Array<Record<string, string>> = [
      { Accept: "text/plain\r\nX-Injected: 1" },
      { Accept: "a\nb" },
      { Accept: "a\rb" },
      { "X-Bad\r\nName": "v" },
      { "Bad Name": "v" },
      { Host: "elsewhere" },
      { "content-length": "0" },
    ];
    for (const headers of cases) {
      const err = await caught(socketHttp(request(server.url, headers), () => ({})));
      expect(err.code).toBe("bad-input");
    }
    await sleep(50);
    expect(server.count()).toBe(0);
  });

  it("only http: URLs: https: and others are bad-input", async () => {
    for (const url of ["https://127.0.0.1:1/x", "ftp://127.0.0.1/x", "file:///etc/passwd", "not a url", "http://user:pw@127.0.0.1:1/"]) {
      const err = await caught(socketHttp(request(url), () => ({})));
      expect(err.code).toBe("bad-input");
    }
  });

  it("an IPv6 literal is connected to, with its brackets in Host", async () => {
    let server: RawServer;
    try {
      server = await rawServer((socket, req) => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${req.length}\r\n\r\n${req}`), "::1");
    } catch {
      return; // no IPv6 loopback on this machine: nothing to test
    }
    const response = await socketHttp(request(`${server.url}/x`), () => ({}));
    expect(Buffer.from(response.body).toString("latin1")).toContain(`\r\nHost: [::1]:${server.port}\r\n`);
  });
});

describe("parsing the answer", () => {
  it("a status line and headers split byte by byte, then a body split too", async () => {
    const body = "0123456789abcdef";
    const server = await rawServer((socket) => {
      void dribble(socket, `HTTP/1.1 200 OK\r\nX-Split: yes\r\nContent-Length: ${body.length}\r\nX-Later:  padded \t\r\n\r\n${body}`);
    });
    const response = await socketHttp(request(server.url), () => ({}));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-split")).toBe("yes");
    expect(response.headers.get("X-LATER")).toBe("padded");
    expect(response.headers.get("missing")).toBeNull();
    expect(Buffer.from(response.body).toString()).toBe(body);
  });

  it("1xx interim answers are skipped; the sink is asked only for the final status", async () => {
    const server = await rawServer((socket) => {
      void dribble(socket, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    });
    const statuses: number[] = [];
    const response = await socketHttp(request(server.url), (status) => (statuses.push(status), {}));
    expect(statuses).toEqual([200]);
    expect(response.status).toBe(200);
    expect(response.headers.get("link")).toBeNull();
    expect(Buffer.from(response.body).toString()).toBe("hello");
  });

  it("repeated headers are joined with ', '", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nVary: Accept\r\nvary: Accept-Encoding\r\nContent-Length: 0\r\n\r\n"));
    const response = await socketHttp(request(server.url), () => ({}));
    expect(response.headers.get("Vary")).toBe("Accept, Accept-Encoding");
  });

  it("a header section over 64 KiB is invalid-response", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\n");
      const line = `X-Big: ${"x".repeat(1000)}\r\n`;
      for (let i = 0; i < 70 && !socket.destroyed; i++) socket.write(line);
    });
    const err = await caught(socketHttp(request(server.url), () => ({})));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toMatch(/longer than 65536 bytes/);
  });

  it("garbage instead of a status line, or an invalid Content-Length, is invalid-response", async () => {
    const server = await rawServer((socket, req) => {
      socket.end(req.startsWith("GET /garbage") ? "SSH-2.0-OpenSSH_9.0\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 12, 13\r\n\r\n");
    });
    for (const path of ["/garbage", "/length"]) {
      const err = await caught(socketHttp(request(`${server.url}${path}`), () => ({})));
      expect(err.code).toBe("invalid-response");
    }
  });
});

describe("chunked and close-delimited bodies", () => {
  it("chunk sizes, extensions and trailers are decoded, whatever the splits", async () => {
    const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5;name=value\r\nhello\r\n6 ; ext=\"q;uoted\"\r\n world\r\n9\r\n, chunked\r\n0;last\r\nX-Checksum: abc\r\nX-More: def\r\n\r\n";
    const server = await rawServer((socket, req) => {
      if (req.startsWith("GET /dribble")) void dribble(socket, wire);
      else socket.write(wire); // and stays open: the 0-chunk and the trailers end the body
    });
    for (const path of ["/dribble", "/whole"]) {
      const response = await socketHttp(request(`${server.url}${path}`), () => ({}));
      expect(Buffer.from(response.body).toString()).toBe("hello world, chunked");
      expect(response.body.byteOffset).toBe(0);
      expect(response.body.buffer.byteLength).toBe(20);
    }
  });

  it("a chunk whose data is longer than its size, or a bad size, is invalid-response", async () => {
    const server = await rawServer((socket, req) => {
      const chunk = req.startsWith("GET /long") ? "5\r\nhello!\r\n0\r\n\r\n" : "5x\r\nhello\r\n0\r\n\r\n";
      socket.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
    });
    for (const path of ["/long", "/size"]) {
      const err = await caught(socketHttp(request(`${server.url}${path}`), () => ({})));
      expect(err.code).toBe("invalid-response");
    }
  });

  it("a large chunked body from node:http, with and without expectedBytes", async () => {
    const data = pattern(5 * 1024 * 1024 + 3, 5);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: node:http chunks it
      for (let offset = 0; offset < data.byteLength; offset += 300_001) res.write(data.subarray(offset, offset + 300_001));
      res.end();
    });
    const collected = await socketHttp(request(server.url), () => ({}));
    expect(bytesEqual(collected.body, data)).toBe(true);
    expect(collected.body.byteOffset).toBe(0);
    const sized = await socketHttp(request(server.url), () => ({ expectedBytes: data.byteLength }));
    expect(bytesEqual(sized.body, data)).toBe(true);
  });

  it("without Content-Length or chunked, the body runs until the server closes", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
      setTimeout(() => socket.end("the end"), 20);
    });
    const response = await socketHttp(request(server.url), () => ({}));
    expect(Buffer.from(response.body).toString()).toBe("until the end");
  });
});

describe("bodies cut short, too long or too large", () => {
  it("Content-Length 100, 10 bytes, then close: BodyCutShort(10, 100)", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"));
    for (const sink of [{}, { expectedBytes: 100 }, { maxBytes: 1000 }] satisfies BodySink[]) {
      const err = await rejection(socketHttp(request(server.url), () => sink));
      expect(err).toBeInstanceOf(BodyCutShort);
      expect((err as BodyCutShort).received).toBe(10);
      expect((err as BodyCutShort).announced).toBe(100);
    }
  });

  it("a chunked body that stops before its 0-chunk: BodyCutShort with no announced size", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\n0123"));
    const err = await rejection(socketHttp(request(server.url), () => ({})));
    expect(err).toBeInstanceOf(BodyCutShort);
    expect((err as BodyCutShort).received).toBe(9);
    expect((err as BodyCutShort).announced).toBeUndefined();
  });

  it("a close before any status line rejects with code ECONNRESET", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 O"));
    const err = await rejection(socketHttp(request(server.url), () => ({})));
    expect((err as { code?: string }).code).toBe("ECONNRESET");
  });

  it("more than expectedBytes is invalid-response, announced or found while reading", async () => {
    const server = await rawServer((socket, req) => {
      if (req.startsWith("GET /announced")) socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n${"x".repeat(20)}`);
      else socket.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n${"x".repeat(6)}\r\n6\r\n${"y".repeat(6)}\r\n0\r\n\r\n`);
    });
    for (const path of ["/announced", "/chunked"]) {
      const err = await caught(socketHttp(request(`${server.url}${path}`), () => ({ expectedBytes: 10 })));
      expect(err.code).toBe("invalid-response");
      expect(err.message).toContain("The server sent more than the expected 10 bytes.");
    }
  });

  it("Content-Length over maxBytes is too-large at once: the body is not read and the server sees the close", async () => {
    let written = 0;
    const server = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
      const timer: NodeJS.Timeout = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(Buffer.alloc(64 * 1024));
        written += 64 * 1024;
      }, 5);
      socket.on("close", () => clearInterval(timer));
    });
    const err = await caught(socketHttp(request(server.url), () => ({ maxBytes: 1024 * 1024 })));
    expect(err.code).toBe("too-large");
    expect(err.message).toContain(`${100 * 1024 * 1024} bytes`);
    await server.connections[0].closed;
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it("a chunked body growing past maxBytes is too-large as soon as it does", async () => {
    let chunks = 0;
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      const timer: NodeJS.Timeout = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(`1000\r\n${"z".repeat(0x1000)}\r\n`); // endless
        chunks++;
      }, 1);
      socket.on("close", () => clearInterval(timer));
    });
    const err = await caught(socketHttp(request(server.url), () => ({ maxBytes: 100_000 })));
    expect(err.code).toBe("too-large");
    await server.connections[0].closed;
    expect(chunks).toBeLessThan(100);
  });

  it("a close-delimited body past maxBytes is too-large", async () => {
    const server = await rawServer((socket) => socket.end(`HTTP/1.1 200 OK\r\n\r\n${"a".repeat(5000)}`));
    const err = await caught(socketHttp(request(server.url), () => ({ maxBytes: 4096 })));
    expect(err.code).toBe("too-large");
  });
});

describe("errors, redirects and the sink per status", () => {
  it("a 404 with a JSON body is read with the sink returned for 404", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ detail: "No such entry: ['nope']" }));
    });
    const statuses: number[] = [];
    const sinkFor = (status: number): BodySink => (statuses.push(status), status === 200 ? { expectedBytes: 8 } : { maxBytes: 1 << 20 });
    const response = await socketHttp(request(`${server.url}/api/v1/metadata/nope`), sinkFor);
    expect(statuses).toEqual([404]);
    expect(response.status).toBe(404);
    expect(JSON.parse(new TextDecoder().decode(response.body))).toEqual({ detail: "No such entry: ['nope']" });
  });

  it("a 307 comes back as it is, with its Location, and is not followed", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/moved") {
        res.writeHead(307, { location: "/elsewhere" });
        res.end();
      } else res.end("followed!");
    });
    const response = await socketHttp(request(`${server.url}/moved`), () => ({}));
    expect(response.status).toBe(307);
    expect(response.headers.get("LOCATION")).toBe("/elsewhere");
    expect(server.requests.map((r) => r.url)).toEqual(["/moved"]);
  });

  it("nothing listening: rejects with the socket's error, code ECONNREFUSED", async () => {
    const port = await closedPort();
    const err = await rejection(socketHttp(request(`http://127.0.0.1:${port}/`), () => ({})));
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe("ECONNREFUSED");
  });
});

describe("abort", () => {
  it("already aborted: rejects with the signal's reason, no connection made", async () => {
    const server = await countingServer();
    const controller = new AbortController();
    const reason = new Error("cancelled by the caller");
    controller.abort(reason);
    const err = await rejection(socketHttp(request(server.url, {}, controller.signal), () => ({})));
    expect(err).toBe(reason);
    await sleep(50);
    expect(server.count()).toBe(0);
  });

  it("mid-body: rejects promptly, the server sees the connection closed, no listener is left", async () => {
    const server = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
      const timer: NodeJS.Timeout = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(Buffer.alloc(1024))), 5);
      socket.on("close", () => clearInterval(timer));
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 150);
    const err = await rejection(socketHttp(request(server.url, {}, controller.signal), () => ({ expectedBytes: 10 * 1024 * 1024 })));
    const elapsed = Date.now() - started;
    expect((err as Error).name).toBe("AbortError");
    expect(elapsed).toBeLessThan(1000);
    await server.connections[0].closed;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("no abort listener is left after a success or a failure", async () => {
    const server = await rawServer((socket, req) => socket.end(req.startsWith("GET /ok") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" : "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"));
    const controller = new AbortController();
    await socketHttp(request(`${server.url}/ok`, {}, controller.signal), () => ({}));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await rejection(socketHttp(request(`${server.url}/cut`, {}, controller.signal), () => ({})));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await rejection(socketHttp(request(`http://127.0.0.1:${await closedPort()}/`, {}, controller.signal), () => ({})));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("Content-Encoding", () => {
  const text = Buffer.from(JSON.stringify({ data: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `run ${i}` })) }));
  const encoders: Record<string, (b: Buffer) => Buffer> = {
    gzip: (b) => zlib.gzipSync(b),
    deflate: (b) => zlib.deflateSync(b),
    "deflate-raw": (b) => zlib.deflateRawSync(b),
    br: (b) => zlib.brotliCompressSync(b),
  };
  async function encodingServer(): Promise<LocalServer> {
    return serve((req, res) => {
      const name = (req.url ?? "/").slice(1);
      const encoder = encoders[name];
      const body = encoder ? encoder(text) : text;
      res.writeHead(200, { "content-encoding": name === "deflate-raw" ? "deflate" : name, "content-length": String(body.byteLength) });
      res.end(body);
    });
  }

  it("gzip, deflate (wrapped or raw) and br are decoded: never encoded bytes returned as if decoded", async () => {
    const server = await encodingServer();
    for (const name of Object.keys(encoders)) {
      const response = await socketHttp(request(`${server.url}/${name}`), () => ({}));
      expect(bytesEqual(response.body, text)).toBe(true);
      expect(response.body.byteOffset).toBe(0);
      expect(response.body.buffer.byteLength).toBe(text.byteLength);
    }
  });

  it("a gzip body goes into `into`, and its decoded size is held to expectedBytes and maxBytes", async () => {
    const server = await encodingServer();
    const whole = new Uint8Array(text.byteLength + 8);
    const into = whole.subarray(8);
    const response = await socketHttp(request(`${server.url}/gzip`), () => ({ expectedBytes: text.byteLength, into }));
    expect(response.body).toBe(into);
    expect(bytesEqual(into, text)).toBe(true);
    const over = await caught(socketHttp(request(`${server.url}/gzip`), () => ({ expectedBytes: text.byteLength - 1 })));
    expect(over.code).toBe("invalid-response");
    expect(over.message).toContain(`more than the expected ${text.byteLength - 1} bytes`);
    const tooLarge = await caught(socketHttp(request(`${server.url}/br`), () => ({ maxBytes: 10_000 })));
    expect(tooLarge.code).toBe("too-large");
  });

  it("an encoding it cannot decode, or a corrupt gzip body, is invalid-response naming it", async () => {
    const server = await rawServer((socket, req) => {
      if (req.startsWith("GET /zstd")) socket.end("HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Length: 4\r\n\r\n\x28\xb5\x2f\xfd", "latin1");
      else socket.end("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!");
    });
    const zstd = await caught(socketHttp(request(`${server.url}/zstd`), () => ({})));
    expect(zstd.code).toBe("invalid-response");
    expect(zstd.message).toContain('"zstd"');
    const corrupt = await caught(socketHttp(request(`${server.url}/corrupt`), () => ({})));
    expect(corrupt.code).toBe("invalid-response");
    expect(corrupt.message).toContain("gzip");
  });
});

describe("against node-fetch", () => {
  it("the same 20 MB answer gives identical bytes", async () => {
    const data = pattern(20 * 1024 * 1024, 42);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.byteLength) });
      res.end(data);
    });
    const viaFetch = new Uint8Array(await (await fetch(`${server.url}/data`, { headers: { "Accept-Encoding": "identity" } })).arrayBuffer());
    const viaSocket: HttpResponse = await socketHttp(request(`${server.url}/data`, { "Accept-Encoding": "identity" }), () => ({ expectedBytes: data.byteLength }));
    expect(viaSocket.body.byteLength).toBe(viaFetch.byteLength);
    expect(bytesEqual(viaSocket.body, viaFetch)).toBe(true);
    expect(bytesEqual(viaSocket.body, data)).toBe(true);
  });
});
