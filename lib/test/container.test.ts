// client/container.ts: children looked up by key. A key that would escape its parent guards against
// hostile input (issue 10, item 1) and is refused before any request.
import { describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { caught } from "./caught";
import { localServers, sendJson } from "./local-server";

const serve = localServers();
const ROOT_NODE = { data: { id: "", attributes: { ancestors: [], structure_family: "container", specs: [], metadata: {} } } };

describe("1. keys that would escape their parent", () => {
  it(". and .. are bad-input, sent nowhere", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, ROOT_NODE));
    const root = await fromUri(server.url);
    const before = server.requests.length;
    for (const key of ["..", "../20idb_usaxs", ".", "bdp2022/uid/primary/../..", ["bdp2022", ".."]]) {
      const err = await caught(root.get(key));
      expect(err.code).toBe("bad-input");
      expect(err.message).toMatch(/is not allowed/);
    }
    expect(server.requests.length).toBe(before);
  });
});
