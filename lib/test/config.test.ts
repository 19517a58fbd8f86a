// settings.ts: a transport's settings from its options, then the environment, then defaults, each
// checked once, before any request. Some cases guard against hostile or careless input (issue 10:
// the numbered tests, items 7, 8 and 9).
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { DEFAULT_BASE_URL, DEFAULT_MAX_JSON_BYTES, normalizeBaseUrl, resolveSettings } from "../settings";
import type { TransportOptions } from "../settings";
import { Transport } from "../transport";
import { caught, thrown } from "./caught";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

/** The variables settings.ts reads, cleared for each test (scripts/test.sh exports TILED_URL, a user may have others). */
const ENV = ["TILED_URL", "TILED_API_KEY", "TILED_TIMEOUT", "TILED_RETRY_ATTEMPTS", "TILED_RETRY_TIMEOUT", "TILED_MAX_JSON_BYTES"];
function withEnv(vars: Record<string, string>): void {
  for (const name of ENV) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
}
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("defaults, options and environment", () => {
  it("with nothing set: the local replica, 30 s per request, 3 attempts within 10 s, 128 MiB of JSON, the socket reader, no key", () => {
    withEnv({});
    const settings = resolveSettings();
    expect(settings).toMatchObject({ baseUrl: DEFAULT_BASE_URL, apiKey: undefined, timeoutMs: 30_000, compression: false, maxJsonBytes: DEFAULT_MAX_JSON_BYTES, bulkReader: "socket" });
    expect(settings.baseUrl).toBe("http://127.0.0.1:8000");
    expect(settings.maxJsonBytes).toBe(128 * 1024 * 1024);
    expect(settings.retry).toMatchObject({ attempts: 3, totalTimeoutMs: 10_000 });
    expect(new Transport().hasApiKey).toBe(false);
  });

  it("TILED_TIMEOUT is seconds; TILED_RETRY_ATTEMPTS and TILED_RETRY_TIMEOUT (seconds) set the retries; TILED_MAX_JSON_BYTES the JSON cap", () => {
    withEnv({ TILED_TIMEOUT: "2.5", TILED_RETRY_ATTEMPTS: "5", TILED_RETRY_TIMEOUT: "1.5", TILED_MAX_JSON_BYTES: "1000" });
    const settings = resolveSettings();
    expect(settings.timeoutMs).toBe(2500);
    expect(settings.retry).toMatchObject({ attempts: 5, totalTimeoutMs: 1500 });
    expect(settings.maxJsonBytes).toBe(1000);
    const transport = new Transport();
    expect([transport.timeoutMs, transport.retry.attempts, transport.retry.totalTimeoutMs, transport.maxJsonBytes]).toEqual([2500, 5, 1500, 1000]);
  });

  it("options win over the environment", () => {
    withEnv({ TILED_URL: "http://env-host:1", TILED_TIMEOUT: "2.5", TILED_RETRY_ATTEMPTS: "5", TILED_RETRY_TIMEOUT: "1.5", TILED_MAX_JSON_BYTES: "1000", TILED_API_KEY: "envkey" });
    const settings = resolveSettings({ baseUrl: "http://option-host:2", timeoutMs: 100, retry: { attempts: 1, totalTimeoutMs: 50 }, maxJsonBytes: 2000, apiKey: "optionkey" });
    expect(settings).toMatchObject({ baseUrl: "http://option-host:2", timeoutMs: 100, maxJsonBytes: 2000, apiKey: "optionkey" });
    expect(settings.retry).toMatchObject({ attempts: 1, totalTimeoutMs: 50 });
  });

  it("an empty variable counts as unset: the default applies (an empty TILED_API_KEY means no key)", () => {
    withEnv({ TILED_TIMEOUT: "", TILED_RETRY_ATTEMPTS: " ", TILED_MAX_JSON_BYTES: "", TILED_API_KEY: "" });
    const settings = resolveSettings();
    expect(settings).toMatchObject({ timeoutMs: 30_000, maxJsonBytes: DEFAULT_MAX_JSON_BYTES, apiKey: undefined });
    expect(settings.retry.attempts).toBe(3);
  });

  it("retry attempts are whole and at least one", () => {
    withEnv({});
    expect(resolveSettings({ retry: { attempts: 2.7 } }).retry.attempts).toBe(2);
    expect(resolveSettings({ retry: { attempts: 0 } }).retry.attempts).toBe(1);
    withEnv({ TILED_RETRY_ATTEMPTS: "0" });
    expect(resolveSettings().retry.attempts).toBe(1);
  });

  it("a number in the environment that is not a non-negative number is bad-input naming the variable and its value", async () => {
    for (const [name, value] of [["TILED_TIMEOUT", "soon"], ["TILED_TIMEOUT", "-1"], ["TILED_RETRY_ATTEMPTS", "many"], ["TILED_RETRY_TIMEOUT", "10s"], ["TILED_MAX_JSON_BYTES", "1e999"]]) {
      withEnv({ [name]: value });
      const err = await thrown(() => resolveSettings());
      expect(err.code, `${name}=${value}`).toBe("bad-input");
      expect(err.message).toContain(`${name}=${JSON.stringify(value)}`);
      expect((await thrown(() => new Transport())).code).toBe("bad-input");
    }
  });

  it("TILED_TIMEOUT=0 and a JSON cap of a fraction or zero are bad-input too, saying what is expected", async () => {
    withEnv({ TILED_TIMEOUT: "0" });
    expect((await thrown(() => resolveSettings())).message).toMatch(/timeoutMs 0 is invalid: give a positive number of milliseconds/);
    withEnv({ TILED_MAX_JSON_BYTES: "1.5" });
    expect((await thrown(() => resolveSettings())).message).toContain("maxJsonBytes 1.5 must be a positive whole number of bytes");
    withEnv({});
    for (const maxJsonBytes of [0, -1, 0.5, Number.NaN]) {
      expect((await thrown(() => resolveSettings({ maxJsonBytes }))).code).toBe("bad-input");
    }
  });
});

describe("bulkReader", () => {
  it('is "socket" by default, "fetch" on request; anything else is bad-input naming it', async () => {
    withEnv({});
    expect(resolveSettings({ bulkReader: "fetch" }).bulkReader).toBe("fetch");
    expect(resolveSettings({ bulkReader: "socket" }).bulkReader).toBe("socket");
    for (const bulkReader of ["Fetch", "curl", ""]) {
      // A JavaScript caller (or a notebook's `any`) can pass any string: the check is at run time.
      const options = { bulkReader } as unknown as TransportOptions;
      const err = await thrown(() => new Transport(options));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`bulkReader ${JSON.stringify(bulkReader)} must be "socket" or "fetch"`);
    }
  });
});

describe("the server URL", () => {
  it("loses its trailing slashes, so that `${baseUrl}/api/v1` is well formed", () => {
    withEnv({});
    expect(normalizeBaseUrl("http://h:1///")).toBe("http://h:1");
    expect(normalizeBaseUrl("https://h/tiled/")).toBe("https://h/tiled");
    expect(normalizeBaseUrl("http://h:1")).toBe("http://h:1");
    expect(resolveSettings({ baseUrl: "http://127.0.0.1:8000/" }).baseUrl).toBe("http://127.0.0.1:8000");
    expect(new Transport({ baseUrl: "https://h/tiled//" }).baseUrl).toBe("https://h/tiled");
    withEnv({ TILED_URL: "http://from-env:8123/" });
    expect(new Transport().baseUrl).toBe("http://from-env:8123");
  });

  it("one that is not a URL is bad-input quoting it, with an example, and an api_key in it is not shown", async () => {
    withEnv({});
    // "localhost:8000" parses as a URL of scheme "localhost:", and "ftp://h" is one: neither is http(s).
    for (const baseUrl of ["not a url", "http://:8000", "127.0.0.1 :8000", "localhost:8000", "ftp://h"]) {
      const err = await thrown(() => new Transport({ baseUrl }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`The server URL ${JSON.stringify(baseUrl)} is not an http(s) URL; expected e.g. "http://127.0.0.1:8000".`);
    }
    const secret = await thrown(() => resolveSettings({ baseUrl: "http://bad host/?api_key=topsecret123" }));
    expect(secret.code).toBe("bad-input");
    expect(secret.message).not.toContain("topsecret123");
    withEnv({ TILED_URL: "nonsense" });
    expect((await thrown(() => new Transport())).message).toContain('"nonsense" is not an http(s) URL');
  });
});

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("comes from TILED_API_KEY when not given", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    process.env.TILED_API_KEY = KEY;
    try {
      await new Transport({ baseUrl: server.url }).getJson(`${server.url}/x`, z.unknown());
    } finally {
      delete process.env.TILED_API_KEY;
    }
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
  });
});

describe("7. bad timeouts and broken URIs are bad-input, not RangeError or URIError", () => {
  it("timeoutMs -5, NaN, 0 in the constructor or per request", async () => {
    for (const timeoutMs of [-5, Number.NaN, 0, Number.POSITIVE_INFINITY]) {
      expect((await thrown(() => new Transport({ baseUrl: "http://127.0.0.1:9", timeoutMs }))).code).toBe("bad-input");
      const transport = new Transport({ baseUrl: "http://127.0.0.1:9" });
      expect((await caught(transport.getJson("http://127.0.0.1:9/x", z.unknown(), { timeoutMs }))).code).toBe("bad-input");
    }
  });
});

describe("8. each failure has its own code and message", () => {
  it("an API key with a newline or non-Latin-1 text is bad-input, and the key is not in the message", async () => {
    for (const apiKey of ["secretkey\n", "clé-☃-secret", "two words"]) {
      const err = await thrown(() => new Transport({ baseUrl: "http://127.0.0.1:9", apiKey }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain("HTTP header");
      expect(err.message).not.toContain(apiKey.trim());
    }
  });
});

describe("9. JSON bodies are capped", () => {
  it("the default cap is well below 1 GB", () => {
    expect(new Transport({ baseUrl: "http://127.0.0.1:9" }).maxJsonBytes).toBeLessThanOrEqual(256 * 1024 * 1024);
  });
});
