// Integration tests against the live replicas: the SQL one at TILED_URL (default
// http://127.0.0.1:8000) and the legacy databroker one at TILED_LEGACY_URL (default :8001).
// They FAIL, not skip, when no server answers. With TILED_SNAPSHOTS=record they also record the
// responses into data-snapshots/sql and data-snapshots/legacy for replay.test.ts: each replica's
// `options` (replicas.ts) plug the recorder into every client made here.
import { caught } from "./caught";
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { CatalogOfBlueskyRuns } from "../client/catalog";
import { TiledError } from "../errors";
import { Key } from "../queries";
import { requestsTiled } from "../requests";
import { replicas } from "./replicas";
import * as s from "./scenarios";

const [SQL, LEGACY] = replicas();
const BASE_URL = SQL.url;
let root: Container;

beforeAll(async () => {
  await SQL.requireServer();
  root = await fromUri(BASE_URL, SQL.options);
});

// The same client calls on both layouts: TiledWriter's SQL catalog and databroker's MongoAdapter.
describe.each([SQL, LEGACY])("the demo's questions, against the live $name replica", (replica) => {
  let client: Container;
  beforeAll(async () => {
    await replica.requireServer();
    client = await fromUri(replica.url, replica.options);
  });
  it("time range, plan name and full-text searches give the demo's figures", async () => {
    s.expectDemoFigures(await s.demoSearches(client));
  });
  it("a run's start and stop, its streams, the stream's descriptor, and tree()", async () => {
    s.expectRunDetails(await s.runDetails(client));
  });
  it("reads area-detector frames (what the 2022 server could not)", async () => {
    s.expectImageFrame(await s.imageFrame(client));
  });
});

describe("SQL replica only", () => {
  it("loose matches: like, fulltext, regex on the client", async () => {
    s.expectLooseMatches(await s.looseMatches(root));
  });
  it("the hand-built request path (requestsTiled)", async () => {
    s.expectHandBuilt(await s.handBuilt(BASE_URL, SQL.options));
  });
});

describe("legacy (databroker) replica only", () => {
  beforeAll(() => LEGACY.requireServer());
  it("the demo's 2022 requests, verbatim, print the demo's figures", async () => {
    s.expectHandBuilt2022(await s.handBuilt2022(LEGACY.url, LEGACY.options));
  });
  it("server-side regex and Bluesky queries; unsupported queries refused, never dropped", async () => {
    s.expectDatabrokerQueries(await s.databrokerQueries(await fromUri(LEGACY.url, LEGACY.options)));
  });
});

describe("pagination on the live server", () => {
  it("walks 397 runs in pages of 300 and 97, each once; tail/last use the reversed sort", async () => {
    const bdp = await root.get("bdp2022", { kind: "container" });
    const runs = bdp.search(Key("start.time").ge(1651381200)).search(Key("start.time").lt(1667278800)).sort("start.time").withPageSize(300);
    const keys = await runs.keys().toArray();
    expect(keys).toHaveLength(397);
    expect(new Set(keys).size).toBe(397);
    expect(await runs.keys().tail(3)).toEqual(keys.slice(-3));
    expect(await runs.keys().last()).toBe(s.LAST_PUSH_UID);
    expect(await runs.keys().head(2)).toEqual(keys.slice(0, 2));
  });
});

describe("client classes chosen by spec", () => {
  it("the catalogs are CatalogOfBlueskyRuns: bare keys get start. in front", async () => {
    const bdp = await root.get("bdp2022", { kind: "catalog" });
    expect(bdp).toBeInstanceOf(CatalogOfBlueskyRuns);
    expect(await bdp.search(Key("plan_name").eq("push_images")).count()).toBe(125);
  });
  it("asking a run for kind catalog is bad input that names what the node is", async () => {
    const bdp = await root.get("bdp2022", { kind: "catalog" });
    const uid = await bdp.keys().first();
    const err = await caught(bdp.get(uid, { kind: "catalog" }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("BlueskyRun");
  });
});

describe("bad input against the live server", () => {
  it("an unknown catalog is not-found (404) with the server's detail and request id", async () => {
    const err = await caught(root.get("no_such_catalog"));
    expect(err).toMatchObject({ code: "not-found", status: 404 });
    expect(String(err.detail)).toContain("no_such_catalog");
    expect(err.requestId).toBeTruthy();
  });
  it("an unknown uid is not-found (404)", async () => {
    const bdp = await root.get("bdp2022", { kind: "container" });
    expect((await caught(bdp.get("00000000-0000-0000-0000-000000000000"))).code).toBe("not-found");
    expect((await caught(bdp.search(Key("start.plan_name").eq("push_images")).get(s.LAST_M9_UID))).code).toBe("not-found");
  });
  it("an unknown catalog by hand is not-found too", async () => {
    const { hostname, port } = new URL(BASE_URL);
    expect((await caught(requestsTiled(hostname, "no_such_catalog", { ...SQL.options, port: Number(port || 80) }))).code).toBe("not-found");
  });
  it("a filter the server does not register is refused before sending (tiled would silently ignore it)", async () => {
    const { hostname, port } = new URL(BASE_URL);
    const suffix = "?filter[time_span][condition][since]=1651381200";
    const err = await caught(requestsTiled(hostname, "bdp2022", { ...SQL.options, port: Number(port || 80), suffix }));
    expect(err.code).toBe("unsupported-query");
    expect(err.message).toContain('"time_span"');
    // What happens when it is sent anyway: every run comes back, unfiltered.
    const ignored = await requestsTiled(hostname, "bdp2022", { ...SQL.options, port: Number(port || 80), suffix: `${suffix}&page[limit]=1`, checkFilters: false });
    const bdp = await root.get("bdp2022", { kind: "container" });
    expect(ignored.meta.count).toBe(await bdp.count());
  });
  it("the demo's 2022 time_range filter: registered, but the SQL catalog refuses it (400 → unsupported-query)", async () => {
    const { hostname, port } = new URL(BASE_URL);
    const suffix = "?filter[time_range][condition][since]=1651381200&filter[time_range][condition][until]=1667278800&filter[time_range][condition][timezone]=US/Central";
    const err = await caught(requestsTiled(hostname, "bdp2022", { ...SQL.options, port: Number(port || 80), suffix }));
    expect(err).toMatchObject({ code: "unsupported-query", status: 400 });
    expect(String(err.detail)).toContain("TimeRange");
  });
  it("zero, negative and oversized page sizes are refused before sending", async () => {
    const bdp = await root.get("bdp2022", { kind: "container" });
    for (const size of [0, -5, 301]) {
      let error: unknown;
      try {
        bdp.withPageSize(size);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TiledError);
      expect((error as TiledError).code).toBe("bad-input");
    }
  });
  it("a slice out of range is refused before sending", async () => {
    const r = await s.imageFrame(root);
    const bdp = await root.get("bdp2022", { kind: "container" });
    const run = await bdp.search(Key("start.plan_name").eq("take_image")).sort("start.time").values({ kind: "run" }).first();
    const node = await (await run.stream("primary")).get(r.imageKey, { kind: "array" });
    const err = await caught(node.read({ slice: [node.shape[0]] }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain(`Index ${node.shape[0]} is out of range for axis 0`);
  });
});
