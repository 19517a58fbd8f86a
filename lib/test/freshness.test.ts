// testing/freshness.ts, on a local server (no replica): the check that recorded responses still match
// the server reports a changed response and passes an unchanged one. Against the replicas' own
// recordings: freshness.live.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Context } from "../context";
import { checkSnapshots, firstDifference, normalizeBody } from "../testing/freshness";
import { snapshotHttp } from "../testing/snapshots";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

describe("snapshots", () => {
  it("the freshness check reports a response that changed, and passes one that did not", async () => {
    let plan = "scan";
    const server = await serve((req, res) => sendJson(res, 200, { plan, self: `http://${req.headers.host}${req.url}` }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const rec = new Context({ baseUrl: server.url, http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }) });
    await rec.transport.getJson(`${server.url}/api/v1/metadata/a`, z.unknown());
    expect(await checkSnapshots({ baseUrl: server.url, dir })).toEqual({ checked: 1, stale: [] });
    plan = "count";
    const report = await checkSnapshots({ baseUrl: server.url, dir });
    expect(report.stale).toHaveLength(1);
    expect(report.stale[0].reason).toContain('$.plan: recorded "scan", now "count"');
    expect(normalizeBody({ b: 1, a: [{ d: 2, c: 3 }] }, ["d"])).toEqual({ a: [{ c: 3 }], b: 1 });
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2, 3] })).toBe("$.a: 2 items recorded, 3 now");
  });

  it("an about answer that gained the lazily listed xarray_coord formats is still fresh; any other new format is not", async () => {
    let formats: Record<string, string[]> = { xarray_dataset: ["application/x-hdf5"] };
    const server = await serve((_req, res) => sendJson(res, 200, { formats, aliases: Object.fromEntries(Object.keys(formats).map((k) => [k, {}])) }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const rec = new Context({ baseUrl: server.url, http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }) });
    await rec.transport.getJson(`${server.url}/api/v1/`, z.unknown());
    formats = { ...formats, xarray_coord: ["application/x-hdf5"], xarray_data_var: ["application/x-hdf5"] };
    expect((await checkSnapshots({ baseUrl: server.url, dir })).stale).toEqual([]);
    formats = { ...formats, table: ["text/csv"] };
    expect((await checkSnapshots({ baseUrl: server.url, dir })).stale).toHaveLength(1);
  });

  it("writes, and reads recorded after a write, are left to the notebook that made them", async () => {
    let title = "old";
    const server = await serve((req, res) => {
      if (req.method === "PUT") {
        title = "new";
        req.resume();
        return sendJson(res, 200, { ok: true });
      }
      sendJson(res, 200, { title });
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const { transport } = new Context({ baseUrl: server.url, http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }) });
    const url = `${server.url}/api/v1/metadata/a`;
    await transport.getJson(url, z.unknown());
    await transport.sendJson("PUT", url, { title: "new" }, z.unknown());
    await transport.getJson(url, z.unknown());
    title = "old"; // the server back in the state the read-only recording saw
    const before = server.requests.length;
    expect(await checkSnapshots({ baseUrl: server.url, dir })).toEqual({ checked: 1, stale: [] });
    // Only the first GET was asked again: the PUT was not sent a second time.
    expect(server.requests.slice(before).map((r) => r.url)).toEqual(["/api/v1/metadata/a"]);
  });
});
