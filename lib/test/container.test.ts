// client/container.ts: children looked up by key, and listed. A key that would escape its parent
// guards against hostile input (issue 10, item 1) and is refused before any request.
import { describe, expect, it } from "vitest";
import { ArrayClient } from "../client/array";
import { RUN_LISTING_FIELDS } from "../client/catalog";
import { fromUri } from "../client/from-uri";
import { caught } from "./caught";
import { localServers, sendJson } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();

describe("1. keys that would escape their parent", () => {
  it(". and .. are bad-input, sent nowhere", async () => {
    const server = await serve(treeHandler([nodeJson([], "container")]));
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

describe("what a listing asks for", () => {
  const runNode = (id: string) => nodeJson(["cat", id], "container", { specs: [{ name: "BlueskyRun", version: "3.0" }], metadata: { start: { uid: id, time: 1 } } });
  const TREE = [
    nodeJson([], "container"),
    nodeJson(["cat"], "container", { specs: [{ name: "CatalogOfBlueskyRuns", version: "3.0" }] }),
    runNode("r1"),
    runNode("r2"),
    nodeJson(["plain"], "container"),
    nodeJson(["plain", "x"], "array", { structure: { data_type: { endianness: "little", kind: "f", itemsize: 8 }, chunks: [[2]], shape: [2], dims: null, resizable: false } }),
  ];
  const searches = (server: { requests: { url: string }[] }) =>
    server.requests.map((r) => new URL(r.url, "http://x")).filter((u) => u.pathname.startsWith("/api/v1/search/"));

  it("keys() asks for ids only, 300 per page, unless a page size was chosen", async () => {
    const server = await serve(treeHandler(TREE));
    const cat = await (await fromUri(server.url)).get("cat", { kind: "catalog" });
    expect(await cat.keys().toArray()).toEqual(["r1", "r2"]);
    await cat.withPageSize(50).keys().toArray();
    const pages = searches(server).filter((u) => u.searchParams.getAll("fields").join(",") !== "count");
    const counts = searches(server).filter((u) => u.searchParams.getAll("fields").join(",") === "count");
    const [first, chosen] = pages;
    // Ids only; the exact count, the walk's bound (tiled only estimates it otherwise), comes from one
    // count-only request per walk, so the server does not count each listed run's children.
    expect(first.searchParams.getAll("fields")).toEqual([""]);
    expect(counts).toHaveLength(2);
    expect(first.searchParams.get("page[limit]")).toBe("300");
    expect(chosen.searchParams.get("page[limit]")).toBe("50");
  });

  it("values() of a catalog of runs leaves out structure and count; of a plain container, asks for everything", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url);
    const runs = await (await root.get("cat", { kind: "catalog" })).values({ kind: "run" }).toArray();
    expect(runs.map((r) => r.uid)).toEqual(["r1", "r2"]);
    const children = await (await root.get("plain", { kind: "container" })).values().toArray();
    expect(children[0]).toBeInstanceOf(ArrayClient);
    const [ofCatalog, ofPlain] = searches(server).filter((u) => u.searchParams.getAll("fields").join(",") !== "count");
    expect(ofCatalog.searchParams.getAll("fields")).toEqual([...RUN_LISTING_FIELDS]);
    expect(ofCatalog.searchParams.get("page[limit]")).toBe("100");
    expect(ofPlain.searchParams.getAll("fields")).toEqual([]);
  });

  it("a child of a catalog that is not a container is fetched whole, so its client has its structure", async () => {
    const tree = [...TREE, nodeJson(["cat", "img"], "array", { structure: TREE[5].attributes.structure })];
    // The server leaves structure out when fields= omits it, as tiled does.
    const server = await serve(
      treeHandler(tree, (req, res, path) => {
        if (!path.startsWith("/api/v1/search/cat")) return false;
        const children = tree.filter((n) => n.attributes.ancestors.join("/") === "cat").map((n) => ({ ...n, attributes: { ...n.attributes, structure: null } }));
        sendJson(res, 200, { data: children, links: { next: null }, meta: { count: children.length } });
        return true;
      }),
    );
    const listed = await (await (await fromUri(server.url)).get("cat", { kind: "catalog" })).values().toArray();
    const image = listed.find((c) => c.key === "img");
    expect(image).toBeInstanceOf(ArrayClient);
    expect(image instanceof ArrayClient ? image.shape : null).toEqual([2]);
    expect(server.requests.some((r) => r.url.startsWith("/api/v1/metadata/cat/img"))).toBe(true);
  });
});
