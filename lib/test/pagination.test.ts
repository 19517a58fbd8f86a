// pagination.ts: pages of at most 300, filters and sort re-added to links.next, tiled 0.2.20's early
// null next link followed by offset, and no infinite loops (on a local server).
import { describe, expect, it } from "vitest";
import { checkPageSize, paginate, withCountField } from "../pagination";
import { Eq, queriesToParams } from "../queries";
import { searchSuffix } from "../requests";
import { Transport } from "../transport";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

describe("pagination", () => {
  it("page size must be 1…300", () => {
    for (const bad of [0, -1, 301, 1.5, Number.NaN]) {
      expect(() => checkPageSize(bad)).toThrow(/must be an integer from 1 to 300/);
    }
    expect(checkPageSize(300)).toBe(300);
  });
  it("re-adds filters and sort to links.next (which carries only page parameters) and stops on an empty page", async () => {
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const offset = Number(url.searchParams.get("page[offset]") ?? 0);
      const data = offset < 4 ? [{ id: `k${offset}`, attributes: { ancestors: [] } }, { id: `k${offset + 1}`, attributes: { ancestors: [] } }] : [];
      // Like tiled: next always set, even past the end.
      sendJson(res, 200, { data, links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` }, meta: { count: 4 } });
    });
    const transport = new Transport({ baseUrl: server.url });
    const ids: string[] = [];
    const params = queriesToParams([Eq("start.plan_name", "scan")]);
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params, sort: ["-start.time"], pageSize: 2 })) ids.push(...page.data.map((d) => d.id));
    expect(ids).toEqual(["k0", "k1", "k2", "k3"]);
    expect(server.requests).toHaveLength(3);
    for (const r of server.requests) {
      const url = new URL(r.url, "http://x");
      expect(url.searchParams.get("filter[eq][condition][key]")).toBe("start.plan_name");
      expect(url.searchParams.get("filter[eq][condition][value]")).toBe('"scan"');
      expect(url.searchParams.getAll("sort")).toEqual(["-start.time"]);
    }
  });
  it("a full page without a next link is followed at the next offset; a short page ends the walk", async () => {
    // tiled 0.2.20 under a sort, without `count` in fields: links.next is null too early.
    const items = ["a", "b", "c", "d", "e"];
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const offset = Number(url.searchParams.get("page[offset]") ?? 0);
      const limit = Number(url.searchParams.get("page[limit]"));
      const data = items.slice(offset, offset + limit).map((id) => ({ id, attributes: { ancestors: [] } }));
      sendJson(res, 200, { data, links: { next: null }, meta: { count: 2 } });
    });
    const transport = new Transport({ baseUrl: server.url });
    const ids: string[] = [];
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], sort: ["start.time"], pageSize: 2 })) {
      ids.push(...page.data.map((d) => d.id));
    }
    expect(ids).toEqual(items);
    expect(server.requests.map((r) => new URL(r.url, "http://x").searchParams.get("page[offset]"))).toEqual([null, "2", "4"]);
    // No exact count is asked for on each page: it makes the server count every match per page.
    for (const r of server.requests) expect(new URL(r.url, "http://x").searchParams.getAll("fields")).toEqual([""]);
  });
  it("after cursor links (tiled's default sort), a null next link ends the walk: no extra offset page", async () => {
    // tiled 0.2.20 under the default sort: links.next is page[cursor]=<last id>, exact, null at the end.
    const items = ["a", "b", "c", "d"];
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const after = url.searchParams.get("page[cursor]");
      const start = after === null ? 0 : items.indexOf(after) + 1;
      const data = items.slice(start, start + 2).map((id) => ({ id, attributes: { ancestors: [] } }));
      const last = data[data.length - 1]?.id;
      const next = start + 2 < items.length ? `http://${req.headers.host}/api/v1/search/c?page[cursor]=${last}&page[limit]=2` : null;
      sendJson(res, 200, { data, links: { next }, meta: { count: 4 } });
    });
    const transport = new Transport({ baseUrl: server.url });
    const ids: string[] = [];
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], pageSize: 2 })) ids.push(...page.data.map((d) => d.id));
    expect(ids).toEqual(items);
    expect(server.requests.map((r) => new URL(r.url, "http://x").searchParams.get("page[cursor]"))).toEqual([null, "b"]);
  });
  it("a hand-built search suffix asks for an exact count whenever fields are chosen", async () => {
    expect(withCountField([["fields", ""]])).toEqual([["fields", "count"], ["fields", "structure_family"]]);
    expect(withCountField([["fields", "metadata"], ["x", "1"]])).toEqual([["fields", "metadata"], ["x", "1"], ["fields", "count"]]);
    expect(withCountField([["fields", "count"]])).toEqual([["fields", "count"]]);
    expect(withCountField([["sort", "a"]])).toEqual([["sort", "a"]]);
    expect(searchSuffix({ fields: [] })).toBe("?fields=count&fields=structure_family");
  });
  it("a next link pointing back to a page already read is an error, not a loop", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 200, { data: [{ id: "a", attributes: { ancestors: [] } }], links: { next: `http://${req.headers.host}/api/v1/search/c?page[limit]=1` }, meta: { count: 1 } }),
    );
    const transport = new Transport({ baseUrl: server.url });
    const run = async () => {
      for await (const _page of paginate(transport, `${server.url}/api/v1/search/c`, { pageSize: 1 })) {
        /* read */
      }
    };
    await expect(run()).rejects.toThrow(/already read; stopping instead of looping/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});
