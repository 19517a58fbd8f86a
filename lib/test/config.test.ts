// config.ts: a context's configuration from its options, then the environment, then defaults, each
// checked once, when the Context is made, before any request. config.ts is the only module that
// reads the environment. Some cases guard against hostile or careless input (issue 10: the
// numbered tests, items 7, 8 and 9).
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { DEFAULT_BASE_URL, DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_TABLE_BYTES, resolveConfig } from "../config";
import type { ClientOptions } from "../config";
import { Context } from "../context";
import { normalizeBaseUrl } from "../urls";
import { caught, thrown } from "./caught";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

/** The variables config.ts reads, cleared for each test (scripts/test.sh exports TILED_URL, a user may have others). */
const ENV = [
  "TILED_URL",
  "TILED_API_KEY",
  "TILED_TIMEOUT",
  "TILED_DEADLINE",
  "TILED_RETRY_ATTEMPTS",
  "TILED_RETRY_TIMEOUT",
  "TILED_MAX_JSON_BYTES",
  "TILED_MAX_TABLE_BYTES",
  "TILED_CACHE_DIR",
];
function withEnv(vars: Record<string, string>): void {
  for (const name of ENV) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
}
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("defaults, options and environment", () => {
  it("with nothing set: the local server, 30 s without progress and no deadline, 3 attempts within 10 s, 128 MiB of JSON, 2 GiB of table, the socket reader, no key", () => {
    withEnv({});
    const config = resolveConfig();
    expect(config).toMatchObject({
      baseUrl: DEFAULT_BASE_URL,
      apiKey: undefined,
      timeoutMs: 30_000,
      deadlineMs: undefined,
      compression: false,
      maxJsonBytes: DEFAULT_MAX_JSON_BYTES,
      maxTableBytes: DEFAULT_MAX_TABLE_BYTES,
      bulkReader: "socket",
      http: undefined,
    });
    expect(config.baseUrl).toBe("http://127.0.0.1:8000");
    expect(config.maxJsonBytes).toBe(128 * 1024 * 1024);
    expect(config.maxTableBytes).toBe(2 * 1024 * 1024 * 1024);
    expect(config.retry).toMatchObject({ attempts: 3, totalTimeoutMs: 10_000 });
    expect(new Context().credentials.kind).toBe("anonymous");
  });

  it("TILED_TIMEOUT and TILED_DEADLINE are seconds; TILED_RETRY_ATTEMPTS and TILED_RETRY_TIMEOUT (seconds) set the retries; TILED_MAX_JSON_BYTES and TILED_MAX_TABLE_BYTES the caps", () => {
    withEnv({ TILED_TIMEOUT: "2.5", TILED_DEADLINE: "60", TILED_RETRY_ATTEMPTS: "5", TILED_RETRY_TIMEOUT: "1.5", TILED_MAX_JSON_BYTES: "1000", TILED_MAX_TABLE_BYTES: "5000" });
    const config = resolveConfig();
    expect(config.timeoutMs).toBe(2500);
    expect(config.deadlineMs).toBe(60_000);
    expect(config.retry).toMatchObject({ attempts: 5, totalTimeoutMs: 1500 });
    expect(config.maxJsonBytes).toBe(1000);
    expect(config.maxTableBytes).toBe(5000);
    // The transport reads the same values: the context hands its configuration down.
    const { transport } = new Context();
    expect([transport.config.timeoutMs, transport.config.deadlineMs, transport.config.retry.attempts, transport.config.retry.totalTimeoutMs, transport.config.maxJsonBytes, transport.config.maxTableBytes]).toEqual([
      2500, 60_000, 5, 1500, 1000, 5000,
    ]);
  });

  it("options win over the environment", () => {
    withEnv({
      TILED_URL: "http://env-host:1",
      TILED_TIMEOUT: "2.5",
      TILED_DEADLINE: "60",
      TILED_RETRY_ATTEMPTS: "5",
      TILED_RETRY_TIMEOUT: "1.5",
      TILED_MAX_JSON_BYTES: "1000",
      TILED_MAX_TABLE_BYTES: "5000",
      TILED_API_KEY: "envkey",
    });
    const config = resolveConfig({ baseUrl: "http://option-host:2", timeoutMs: 100, deadlineMs: 200, retry: { attempts: 1, totalTimeoutMs: 50 }, maxJsonBytes: 2000, maxTableBytes: 3000, apiKey: "optionkey" });
    expect(config).toMatchObject({ baseUrl: "http://option-host:2", timeoutMs: 100, deadlineMs: 200, maxJsonBytes: 2000, maxTableBytes: 3000, apiKey: "optionkey" });
    expect(config.retry).toMatchObject({ attempts: 1, totalTimeoutMs: 50 });
  });

  it("an empty variable counts as unset: the default applies (an empty TILED_API_KEY means no key); TILED_DEADLINE=0 means no deadline", () => {
    withEnv({ TILED_TIMEOUT: "", TILED_DEADLINE: "", TILED_RETRY_ATTEMPTS: " ", TILED_MAX_JSON_BYTES: "", TILED_MAX_TABLE_BYTES: "", TILED_API_KEY: "" });
    const config = resolveConfig();
    expect(config).toMatchObject({ timeoutMs: 30_000, deadlineMs: undefined, maxJsonBytes: DEFAULT_MAX_JSON_BYTES, maxTableBytes: DEFAULT_MAX_TABLE_BYTES, apiKey: undefined });
    expect(config.retry.attempts).toBe(3);
    withEnv({ TILED_DEADLINE: "0" });
    expect(resolveConfig().deadlineMs).toBeUndefined();
  });

  it("retry attempts are whole and at least one", () => {
    withEnv({});
    expect(resolveConfig({ retry: { attempts: 2.7 } }).retry.attempts).toBe(2);
    expect(resolveConfig({ retry: { attempts: 0 } }).retry.attempts).toBe(1);
    withEnv({ TILED_RETRY_ATTEMPTS: "0" });
    expect(resolveConfig().retry.attempts).toBe(1);
  });

  it("a number in the environment that is not a non-negative number is bad-input naming the variable and its value", async () => {
    for (const [name, value] of [
      ["TILED_TIMEOUT", "soon"],
      ["TILED_TIMEOUT", "-1"],
      ["TILED_DEADLINE", "later"],
      ["TILED_RETRY_ATTEMPTS", "many"],
      ["TILED_RETRY_TIMEOUT", "10s"],
      ["TILED_MAX_JSON_BYTES", "1e999"],
      ["TILED_MAX_TABLE_BYTES", "2GB"],
    ]) {
      withEnv({ [name]: value });
      const err = await thrown(() => resolveConfig());
      expect(err.code, `${name}=${value}`).toBe("bad-input");
      expect(err.message).toContain(`${name}=${JSON.stringify(value)}`);
      expect((await thrown(() => new Context())).code).toBe("bad-input");
    }
  });

  it("TILED_TIMEOUT=0, a deadline of zero, and a byte cap of a fraction or zero are bad-input too, saying what is expected", async () => {
    withEnv({ TILED_TIMEOUT: "0" });
    expect((await thrown(() => resolveConfig())).message).toMatch(/timeoutMs 0 is invalid: give a positive number of milliseconds/);
    withEnv({ TILED_MAX_JSON_BYTES: "1.5" });
    expect((await thrown(() => resolveConfig())).message).toContain("maxJsonBytes 1.5 must be a positive whole number of bytes");
    withEnv({ TILED_MAX_TABLE_BYTES: "0.5" });
    expect((await thrown(() => resolveConfig())).message).toContain("maxTableBytes 0.5 must be a positive whole number of bytes");
    withEnv({});
    for (const n of [0, -1, 0.5, Number.NaN]) {
      expect((await thrown(() => resolveConfig({ maxJsonBytes: n }))).code).toBe("bad-input");
      expect((await thrown(() => resolveConfig({ maxTableBytes: n }))).code).toBe("bad-input");
      expect((await thrown(() => resolveConfig({ responseBytesizeLimit: n }))).code).toBe("bad-input");
    }
    for (const deadlineMs of [0, -5, Number.NaN]) {
      const err = await thrown(() => resolveConfig({ deadlineMs }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`deadlineMs ${deadlineMs} is invalid`);
    }
  });
});

describe("bulkReader", () => {
  it('is "socket" by default, "fetch" on request; anything else is bad-input naming it', async () => {
    withEnv({});
    expect(resolveConfig({ bulkReader: "fetch" }).bulkReader).toBe("fetch");
    expect(resolveConfig({ bulkReader: "socket" }).bulkReader).toBe("socket");
    for (const bulkReader of ["Fetch", "curl", ""]) {
      // A JavaScript caller (or a notebook's `any`) can pass any string: the check is at run time.
      const options = { bulkReader } as unknown as ClientOptions;
      const err = await thrown(() => new Context(options));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`bulkReader ${JSON.stringify(bulkReader)} must be "socket" or "fetch"`);
    }
  });
});

describe("the http option", () => {
  it("must be a function that sends one request", async () => {
    const options = { http: "node-fetch" } as unknown as ClientOptions;
    const err = await thrown(() => new Context(options));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("http option must be a function");
  });
});

describe("the server URL", () => {
  it("loses its trailing slashes, so that `${baseUrl}/api/v1` is well formed", () => {
    withEnv({});
    expect(normalizeBaseUrl("http://h:1///")).toBe("http://h:1");
    expect(normalizeBaseUrl("https://h/tiled/")).toBe("https://h/tiled");
    expect(normalizeBaseUrl("http://h:1")).toBe("http://h:1");
    expect(resolveConfig({ baseUrl: "http://127.0.0.1:8000/" }).baseUrl).toBe("http://127.0.0.1:8000");
    const mounted = new Context({ baseUrl: "https://h/tiled//" });
    expect([mounted.baseUrl, mounted.apiBase, mounted.transport.config.baseUrl]).toEqual(["https://h/tiled", "https://h/tiled/api/v1", "https://h/tiled"]);
    withEnv({ TILED_URL: "http://from-env:8123/" });
    expect(new Context().baseUrl).toBe("http://from-env:8123");
  });

  it("one that is not a URL is bad-input quoting it, with an example, and an api_key in it is not shown", async () => {
    withEnv({});
    // "localhost:8000" parses as a URL of scheme "localhost:", and "ftp://h" is one: neither is http(s).
    for (const baseUrl of ["not a url", "http://:8000", "127.0.0.1 :8000", "localhost:8000", "ftp://h"]) {
      const err = await thrown(() => new Context({ baseUrl }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`The server URL ${JSON.stringify(baseUrl)} is not an http(s) URL; expected e.g. "http://127.0.0.1:8000".`);
    }
    const secret = await thrown(() => resolveConfig({ baseUrl: "http://bad host/?api_key=topsecret123" }));
    expect(secret.code).toBe("bad-input");
    expect(secret.message).not.toContain("topsecret123");
    withEnv({ TILED_URL: "nonsense" });
    expect((await thrown(() => new Context())).message).toContain('"nonsense" is not an http(s) URL');
  });
});

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("comes from TILED_API_KEY when not given", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    withEnv({ TILED_API_KEY: KEY });
    const context = new Context({ baseUrl: server.url });
    expect(context.credentials.kind).toBe("apikey");
    await context.transport.getJson(`${server.url}/x`, z.unknown());
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
  });
});

describe("extra headers", () => {
  it("go with every request to the server (not elsewhere); the ones the library sets itself are refused, naming them", async () => {
    withEnv({});
    const other = await serve((_req, res) => sendJson(res, 200, {}));
    const server = await serve((req, res) => {
      if (req.url === "/away") {
        res.writeHead(302, { location: `${other.url}/landing` });
        res.end();
      } else sendJson(res, 200, {});
    });
    const { transport } = new Context({ baseUrl: server.url, headers: { "tiled-qos": "low" } });
    await transport.getJson(`${server.url}/x`, z.unknown());
    await transport.getJson(`${server.url}/away`, z.unknown());
    expect(server.requests.map((r) => r.headers["tiled-qos"])).toEqual(["low", "low"]);
    expect(other.requests[0].headers["tiled-qos"]).toBeUndefined();
    for (const name of ["Authorization", "accept-encoding", "Host"]) {
      const err = await thrown(() => new Context({ headers: { [name]: "x" } }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`The ${name} header is set by the library itself`);
    }
    expect((await thrown(() => new Context({ headers: { "x-a": "one\r\nInjected: yes" } }))).message).toContain("line break");
    expect((await thrown(() => new Context({ headers: { "bad name": "x" } }))).message).toContain("not a valid header name");
  });
});

describe("7. bad timeouts and broken URIs are bad-input, not RangeError or URIError", () => {
  it("timeoutMs or deadlineMs -5, NaN, 0, Infinity in the options or per request", async () => {
    for (const ms of [-5, Number.NaN, 0, Number.POSITIVE_INFINITY]) {
      expect((await thrown(() => new Context({ baseUrl: "http://127.0.0.1:9", timeoutMs: ms }))).code).toBe("bad-input");
      expect((await thrown(() => new Context({ baseUrl: "http://127.0.0.1:9", deadlineMs: ms }))).code).toBe("bad-input");
      const { transport } = new Context({ baseUrl: "http://127.0.0.1:9" });
      expect((await caught(transport.getJson("http://127.0.0.1:9/x", z.unknown(), { timeoutMs: ms }))).code).toBe("bad-input");
      expect((await caught(transport.getJson("http://127.0.0.1:9/x", z.unknown(), { deadlineMs: ms }))).code).toBe("bad-input");
    }
  });
});

describe("8. each failure has its own code and message", () => {
  it("an API key with a newline or non-Latin-1 text is bad-input, and the key is not in the message", async () => {
    for (const apiKey of ["secretkey\n", "clé-☃-secret", "two words"]) {
      const err = await thrown(() => new Context({ baseUrl: "http://127.0.0.1:9", apiKey }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain("HTTP header");
      expect(err.message).not.toContain(apiKey.trim());
    }
  });
});

describe("9. JSON bodies are capped", () => {
  it("the default cap is well below 1 GB", () => {
    withEnv({});
    expect(new Context({ baseUrl: "http://127.0.0.1:9" }).transport.config.maxJsonBytes).toBeLessThanOrEqual(256 * 1024 * 1024);
  });
});
