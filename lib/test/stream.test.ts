// client/stream.ts: a stream of a layout the client does not know is listed and readable as plain
// containers, with a clear unsupported-layout on the Bluesky-only read() (on a local server).
import { afterEach, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { BlueskyEventStream } from "../client/stream";
import { caught } from "./caught";
import { sendJson, startLocalServer } from "./local-server";
import type { LocalServer } from "./local-server";
import { ABOUT } from "./tiled-json";

const servers: LocalServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});

describe("a stream of neither layout", () => {
  it("lists its children, reads them one by one, and read() is unsupported-layout naming what it holds", async () => {
    const node = (id: string, ancestors: string[], family: string, specs: { name: string; version: string | null }[], metadata: object = {}) => ({
      id,
      attributes: { ancestors, structure_family: family, specs, metadata, structure: { contents: null, count: 0 } },
    });
    const stream = node("primary", ["cat", "run"], "container", [{ name: "BlueskyEventStream", version: null }], { data_keys: {} });
    const children = [node("frames", ["cat", "run", "primary"], "container", []), node("notes", ["cat", "run", "primary"], "container", [])];
    const server = await startLocalServer((req, res) => {
      const path = new URL(req.url ?? "", "http://x").pathname;
      if (path === "/api/v1/") sendJson(res, 200, ABOUT); // fromUri asks for the server's about first
      else if (path === "/api/v1/metadata/cat/run/primary") sendJson(res, 200, { data: stream });
      else if (path === "/api/v1/search/cat/run/primary") sendJson(res, 200, { data: children, links: { next: null }, meta: { count: 2 } });
      else if (path === "/api/v1/metadata/cat/run/primary/notes") sendJson(res, 200, { data: children[1] });
      else sendJson(res, 404, { detail: `No such entry: ${path}` });
    });
    servers.push(server);
    const primary = await fromUri(`${server.url}/cat/run/primary`);
    expect(await primary.keys().toArray()).toEqual(["frames", "notes"]);
    expect((await primary.get("notes")).key).toBe("notes");
    expect(primary).toBeInstanceOf(BlueskyEventStream);
    const err = await caught((primary as BlueskyEventStream).read());
    expect(err.code).toBe("unsupported-layout");
    expect(err.message).toContain("frames (container), notes (container)");
    expect(err.message).toContain("get()");
  });
});
