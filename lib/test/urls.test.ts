// urls.ts: every URL the library sends, built in one place. The URI forms fromUri accepts
// (splitUri), node paths checked segment by segment, parameters appended in order. A broken URI,
// a key that would escape its parent, and credentials in a URL guard against hostile or careless
// input (issue 10, items 1 and 7; issue 19, item 14).
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import { TiledError } from "../errors";
import { apiUrl, checkPathSegments, splitPath, splitUri, streamUrl, withParams } from "../urls";
import { caught, thrown } from "./caught";

describe("splitUri (fromUri's URI forms)", () => {
  it("a server's root, possibly followed by a path that fromUri probes; the API's place is known only from /api/v1", () => {
    expect(splitUri("http://127.0.0.1:8000")).toEqual({ root: "http://127.0.0.1:8000", path: [], apiGiven: false });
    expect(splitUri("http://127.0.0.1:8000/")).toEqual({ root: "http://127.0.0.1:8000", path: [], apiGiven: false });
    // A root mounted under /tiled, or the node bdp2022 of a root: fromUri asks the server which.
    expect(splitUri("http://127.0.0.1:8000/bdp2022")).toEqual({ root: "http://127.0.0.1:8000/bdp2022", path: [], apiGiven: false });
    expect(splitUri("https://h/tiled/")).toEqual({ root: "https://h/tiled", path: [], apiGiven: false });
  });
  it("tiled API URLs: the route is dropped, the prefix before /api/v1 is the root", () => {
    expect(splitUri("http://h:8000/api/v1/metadata/bdp2022/abc")).toEqual({ root: "http://h:8000", path: ["bdp2022", "abc"], apiGiven: true });
    expect(splitUri("http://h:8000/api/v1/node/metadata/bdp2022")).toEqual({ root: "http://h:8000", path: ["bdp2022"], apiGiven: true });
    expect(splitUri("https://h/tiled/api/v1/search/a")).toEqual({ root: "https://h/tiled", path: ["a"], apiGiven: true });
    expect(splitUri("https://h/tiled/api/v1/")).toEqual({ root: "https://h/tiled", path: [], apiGiven: true });
    // Percent-escapes are decoded into keys, and re-encoded in the root.
    expect(splitUri("http://h/my%20server/api/v1/metadata/a%2Fb")).toEqual({ root: "http://h/my%20server", path: ["a/b"], apiGiven: true });
  });
  it("takes ?api_key= (tiled's Python from_uri does), to be sent as a header", () => {
    expect(splitUri("http://h:1/?api_key=abc123")).toEqual({ root: "http://h:1", path: [], apiGiven: false, apiKey: "abc123" });
  });
  it("rejects what is not an http(s) URL", async () => {
    expect(() => splitUri("localhost:8000")).toThrow(TiledError);
    expect(() => splitUri("ftp://h/x")).toThrow(/only http and https/);
    expect(() => splitUri("not a url")).toThrow(/is not a URL/);
    expect((await thrown(() => splitUri("http://h/a%zz"))).message).toContain("broken percent-escape");
  });
});

describe("19.14 a user name and password in a URL are refused, never silently dropped or sent", () => {
  const PASSWORD = "hunter2secret";
  it("19.14 splitUri and fromUri: bad-input, saying how to log in instead, and the password is not in the message", async () => {
    for (const uri of [`http://alice:${PASSWORD}@127.0.0.1:9`, `http://alice:${PASSWORD}@127.0.0.1:9/api/v1/metadata/bdp2022`, `https://alice:${PASSWORD}@host/tiled`]) {
      const split = await thrown(() => splitUri(uri));
      const connect = await caught(fromUri(uri));
      for (const err of [split, connect]) {
        expect(err.code, uri).toBe("bad-input");
        expect(err.message).toContain("user name and password");
        expect(err.message).toMatch(/log in .*or give an API key/);
        expect(err.message).not.toContain(PASSWORD);
        expect(String(err.url ?? "")).not.toContain(PASSWORD);
      }
    }
    const userOnly = await thrown(() => splitUri("http://alice@127.0.0.1:9"));
    expect(userOnly.code).toBe("bad-input");
    expect(userOnly.message).toContain("user name");
  });
  it("19.14 as a context's base URL too (the option or TILED_URL): refused before any request", async () => {
    const err = await thrown(() => new Context({ baseUrl: `http://alice:${PASSWORD}@127.0.0.1:9` }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("user name or password");
    expect(err.message).not.toContain(PASSWORD);
    vi.stubEnv("TILED_URL", `http://alice:${PASSWORD}@127.0.0.1:9`);
    const fromEnv = await thrown(() => new Context());
    expect(fromEnv.code).toBe("bad-input");
    expect(fromEnv.message).not.toContain(PASSWORD);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
});

describe("1. keys that would escape their parent", () => {
  it("checkPathSegments: . and .. are not allowed, nor an empty key or one with NUL", async () => {
    for (const segments of [[".."], ["a", "."], ["a", ""], ["a\u0000b"]]) {
      expect((await thrown(() => checkPathSegments(segments))).code).toBe("bad-input");
    }
    expect((await thrown(() => checkPathSegments([".."]))).message).toContain("would address another node");
    checkPathSegments(["bdp2022", "a b", "%2e%2e"]); // a literal "%2e%2e" key is percent-encoded, not resolved
    expect(splitPath("bdp2022//uid/primary/")).toEqual(["bdp2022", "uid", "primary"]);
    expect((await thrown(() => splitPath("live/../bdp2022"))).code).toBe("bad-input");
  });
});

describe("URL building", () => {
  it("apiUrl encodes each segment; withParams appends in order, repeated names kept", () => {
    expect(apiUrl("http://h:1/api/v1", "metadata", ["a b", "c/d", "%2e%2e"])).toBe("http://h:1/api/v1/metadata/a%20b/c%2Fd/%252e%252e");
    expect(apiUrl("http://h:1/api/v1", "search")).toBe("http://h:1/api/v1/search/");
    const url = withParams("http://h:1/api/v1/search/c", [["sort", "b"], ["page[limit]", "5"], ["sort", "a"]]);
    expect(new URL(url).searchParams.getAll("sort")).toEqual(["b", "a"]);
    expect([...new URL(url).searchParams.keys()]).toEqual(["sort", "page[limit]", "sort"]);
  });
  it("streamUrl: the websocket twin of the http API base, under its mount path", () => {
    expect(streamUrl("http://h:1/api/v1", ["live", "a b"], { envelope_format: "json", start: "2" })).toBe("ws://h:1/api/v1/stream/single/live/a%20b?envelope_format=json&start=2");
    expect(streamUrl("https://h/tiled/api/v1", ["live"], { envelope_format: "msgpack" })).toBe("wss://h/tiled/api/v1/stream/single/live?envelope_format=msgpack");
  });
});
