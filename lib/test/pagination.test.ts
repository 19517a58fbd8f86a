// pagination.ts: pages of at most 300, filters and sort re-added to links.next, tiled 0.2.20's early
// null next link followed by offset, and no infinite loops (on a local server): a next link seen
// before, and (issue 19, item 7) next links that keep changing yet bring nothing new, or more than
// the server announced.
import { describe, expect, it } from "vitest";
import { checkPageSize, paginate, withCountField } from "../pagination";
import { Eq, queriesToParams } from "../queries";
import { searchSuffix } from "../requests";
import { Context } from "../context";
import { caught } from "./caught";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

/** The walk's bound: `fields=count` alone, one entry asked for (tiled answers it with a COUNT and no items). */
function isCountRequest(r: { url: string }): boolean {
  const url = new URL(r.url, "http://x");
  return url.searchParams.getAll("fields").join(",") === "count" && url.searchParams.get("page[limit]") === "1";
}
/** The page requests of a walk, without its count requests. */
const pagesOf = (server: { requests: { url: string }[] }) => server.requests.filter((r) => !isCountRequest(r));

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
    const transport = new Context({ baseUrl: server.url }).transport;
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
      // As tiled: exact when `count` is among the fields, else an estimate that falls short.
      sendJson(res, 200, { data, links: { next: null }, meta: { count: url.searchParams.getAll("fields").includes("count") ? items.length : 2 } });
    });
    const transport = new Context({ baseUrl: server.url }).transport;
    const ids: string[] = [];
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], sort: ["start.time"], pageSize: 2 })) {
      ids.push(...page.data.map((d) => d.id));
    }
    expect(ids).toEqual(items);
    expect(pagesOf(server).map((r) => new URL(r.url, "http://x").searchParams.get("page[offset]"))).toEqual([null, "2", "4"]);
    // The exact count (the walk's bound) is asked for once, by a count-only request beside the first
    // page: `count` among a page's fields makes tiled count every listed container's children.
    const fields = pagesOf(server).map((r) => new URL(r.url, "http://x").searchParams.getAll("fields"));
    expect(fields).toEqual([[""], [""], [""]]);
    expect(server.requests.filter(isCountRequest)).toHaveLength(1);
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
    const transport = new Context({ baseUrl: server.url }).transport;
    const ids: string[] = [];
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], pageSize: 2 })) ids.push(...page.data.map((d) => d.id));
    expect(ids).toEqual(items);
    expect(pagesOf(server).map((r) => new URL(r.url, "http://x").searchParams.get("page[cursor]"))).toEqual([null, "b"]);
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
    const transport = new Context({ baseUrl: server.url }).transport;
    const run = async () => {
      for await (const _page of paginate(transport, `${server.url}/api/v1/search/c`, { pageSize: 1 })) {
        /* read */
      }
    };
    await expect(run()).rejects.toThrow(/already read; stopping instead of looping/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});

/** Read every page of a walk; the ids in order (or the walk's error, through `caught`). */
async function walk(url: string, options: Parameters<typeof paginate>[2] = {}): Promise<string[]> {
  const { transport } = new Context({ baseUrl: new URL(url).origin });
  const ids: string[] = [];
  for await (const page of paginate(transport, url, options)) ids.push(...page.data.map((d) => d.id));
  return ids;
}

const item = (id: string) => ({ id, attributes: { ancestors: [] } });

describe("19.7 a walk whose next links never end is stopped with invalid-response", () => {
  it("19.7 a next link whose offset keeps growing past the count, the server repeating its last page", async () => {
    const server = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "", "http://x").searchParams.get("page[offset]") ?? 0);
      // Past the end, this server answers the last page again rather than an empty one, and links on.
      const start = Math.min(offset, 2);
      sendJson(res, 200, {
        data: [item(`k${start}`), item(`k${start + 1}`)],
        links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` },
        meta: { count: 4 },
      });
    });
    const err = await caught(walk(`${server.url}/api/v1/search/c`, { pageSize: 2, params: [["fields", ""]] }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("all seen before; stopping instead of looping");
    expect(pagesOf(server).map((r) => new URL(r.url, "http://x").searchParams.get("page[offset]"))).toEqual([null, "2", "4"]);
  });

  it("19.7 a next link that cycles through the same pages with new parameters each time", async () => {
    let n = 0;
    const server = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "", "http://x").searchParams.get("page[offset]") ?? 0);
      n++;
      // Offsets 0, 2, 0, 2, … each link carrying a fresh page parameter, so no URL repeats.
      sendJson(res, 200, {
        data: [item(`k${offset}`), item(`k${offset + 1}`)],
        links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${(offset + 2) % 4}&page[limit]=2&page[nonce]=${n}` },
        meta: { count: 4 },
      });
    });
    const err = await caught(walk(`${server.url}/api/v1/search/c`, { pageSize: 2, params: [["fields", ""]] }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("all seen before");
    expect(pagesOf(server)).toHaveLength(3);
    expect(new Set(pagesOf(server).map((r) => r.url)).size).toBe(3);
  });

  it("19.7 a server that announces count N but keeps giving new keys", async () => {
    const server = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "", "http://x").searchParams.get("page[offset]") ?? 0);
      sendJson(res, 200, {
        data: [item(`k${offset}`), item(`k${offset + 1}`)],
        links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` },
        meta: { count: 5 },
      });
    });
    const ids: string[] = [];
    const { transport } = new Context({ baseUrl: server.url });
    const err = await caught(
      (async () => {
        for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { pageSize: 2 })) ids.push(...page.data.map((d) => d.id));
      })(),
    );
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("announced 5 entries but its pages hold more");
    // The pages within the announced count were given; the one past it was not, after the count was
    // asked for once more (a live catalog may have grown).
    expect(ids).toEqual(["k0", "k1", "k2", "k3"]);
    expect(server.requests).toHaveLength(4);
    expect(new URL(server.requests[3].url, "http://x").searchParams.getAll("fields")).toEqual(["count"]);
  });

  it("19.7 keys only (fields=, an estimated count): a count request beside the first page bounds a server that keeps giving new keys", async () => {
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const offset = Number(url.searchParams.get("page[offset]") ?? 0);
      const exact = url.searchParams.getAll("fields").includes("count");
      sendJson(res, 200, {
        data: [item(`k${offset}`), item(`k${offset + 1}`)],
        links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` },
        // tiled's estimate without count is a lower bound that grows with the offset: useless as a bound.
        meta: { count: exact ? 5 : offset + 3 },
      });
    });
    const { transport } = new Context({ baseUrl: server.url });
    const err = await caught(
      (async () => {
        for await (const _page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], pageSize: 2 })) {
          /* walk */
        }
      })(),
    );
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("announced 5 entries but its pages hold more");
    // The count, the pages at offsets 0, 2 and 4, and the count asked for once more before giving up.
    expect(pagesOf(server)).toHaveLength(3);
    expect(server.requests.filter(isCountRequest)).toHaveLength(2);
  });

  it("the bounds leave alone a catalog that grows while it is walked (a live catalog): the largest count announced holds", async () => {
    let count = 4;
    const server = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "", "http://x").searchParams.get("page[offset]") ?? 0);
      count += 1; // a run was added since the last page
      const data = offset < count ? [item(`k${offset}`), item(`k${offset + 1}`)].slice(0, count - offset) : [];
      sendJson(res, 200, { data, links: { next: data.length ? `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` : null }, meta: { count } });
    });
    const ids = await walk(`${server.url}/api/v1/search/c`, { pageSize: 2 });
    expect(ids.slice(0, 4)).toEqual(["k0", "k1", "k2", "k3"]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
