/**
 * What the demo asked, done with this library. The integration suite runs these against the live
 * replica (and records them when TILED_SNAPSHOTS=record); the replay suite runs them offline from
 * data-snapshots/. Both check the same figures, the replica's acceptance figures
 * (shared/reference/replica-facts.md).
 */
import { expect } from "vitest";
import { ScanID, TimeRange } from "../bluesky-queries";
import type { Container } from "../client/container";
import type { BlueskyRun } from "../client/run";
import { toNumbers } from "../dtype";
import { FullText, Key, Like, Regex } from "../queries";
import { caught } from "./caught";
import { requestsTiled, searchSuffix } from "../requests";
import { summary } from "../summary";
import type { RunSummary } from "../summary";
import { isotimeToTimestamp } from "../time";
import { formatTree } from "../tree";
import type { RequestsTiledOptions } from "../requests";

/** How the hand-built requests are sent (a replica's options: its recorder or replayer), apart from the URI's own parts. */
type SendOptions = Omit<RequestsTiledOptions, "api" | "suffix" | "port" | "scheme">;

export const ZONE = "US/Central";
export const LAST_PUSH_UID = "ae762f9c-4933-4aa4-a720-147f4aaab6fd";
export const LAST_M9_UID = "a1233634-1259-438f-b9f0-f77c26f48f54";

export interface FirstLast {
  count: number;
  first: RunSummary;
  last: RunSummary;
}

async function firstLast(runs: Container): Promise<FirstLast> {
  const [count, first, last] = await Promise.all([
    runs.count(),
    runs.values({ kind: "run" }).first(),
    runs.values({ kind: "run" }).last(),
  ]);
  return { count, first: await summary(first, ZONE), last: await summary(last, ZONE) };
}

export async function demoSearches(root: Container) {
  const bdp = await root.get("bdp2022", { kind: "container" });
  const byTime = bdp.search(TimeRange({ since: "2022-05-01", until: "2022-11-01", timezone: ZONE })).sort("start.time");
  const pushes = bdp.search(Key("start.plan_name").eq("push_images")).sort("start.time");
  const m9 = bdp.search(FullText("M9")).sort("start.time");
  return { catalogs: await root.keys().toArray(), timeRange: await firstLast(byTime), pushImages: await firstLast(pushes), fulltextM9: await firstLast(m9) };
}

export function expectDemoFigures(r: Awaited<ReturnType<typeof demoSearches>>): void {
  expect(r.catalogs).toEqual(expect.arrayContaining(["bdp2022", "20idb_usaxs"]));
  expect(r.timeRange.count).toBe(397);
  expect(r.timeRange.first).toMatchObject({ datetime: "2022-05-03T08:37:21.510276", scan_id: 1596, plan_name: "take_image", timestamp: 1651585041.510276 });
  expect(r.timeRange.last).toMatchObject({ uid: LAST_PUSH_UID, datetime: "2022-09-08T13:54:25.178280", scan_id: 1960, plan_name: "push_images" });
  expect(r.pushImages.count).toBe(125);
  expect(r.pushImages.first).toMatchObject({ datetime: "2022-07-15T23:14:54.974411", scan_id: 1, plan_name: "push_images" });
  expect(r.pushImages.last.uid).toBe(LAST_PUSH_UID);
  expect(r.fulltextM9.count).toBe(75);
  expect(r.fulltextM9.first).toMatchObject({ datetime: "2022-11-11T01:34:27.938719", scan_id: 1961, plan_name: "m9_push_images" });
  expect(r.fulltextM9.last).toMatchObject({ uid: LAST_M9_UID, datetime: "2022-11-23T11:17:32.495794", scan_id: 2035, plan_name: "m9_push_images", stream_names: ["primary"] });
  expect(r.fulltextM9.last.duration).toBeCloseTo(20.4, 1);
}

export async function runDetails(root: Container) {
  const bdp = await root.get("bdp2022", { kind: "container" });
  const push = await bdp.get(LAST_PUSH_UID, { kind: "run" });
  const m9 = await bdp.get(LAST_M9_UID, { kind: "run" });
  const primary = await m9.stream("primary");
  const m9Data = await primary.read();
  return {
    pushStart: push.start,
    pushStop: push.stop,
    m9Streams: await m9.streamNames(),
    m9Descriptor: primary.descriptor,
    m9Columns: Object.keys(m9Data.columns).sort(),
    tree: await formatTree(m9, { maxLines: 10 }),
  };
}

export function expectRunDetails(r: Awaited<ReturnType<typeof runDetails>>): void {
  expect(r.pushStart).toMatchObject({
    uid: LAST_PUSH_UID, time: 1662663265.17828, scan_id: 1960, plan_name: "push_images", plan_type: "generator",
    databroker_catalog: "bdp2022", login_id: "bdp@terrier.xray.aps.anl.gov", beamline_id: "BDP", milestone: "BDP M6 demo",
    purpose: "push TIFF files to PVaccess PV", num_images: 10000, frame_rate: 200.0, run_time: 60.0, session: "M6 demo",
    datetime: "2022-09-08 13:54:24.802956", client: "DM/workflows/example-05/qserver_client.py", pid: 13229,
  });
  expect(r.pushStart.versions).toMatchObject({ apstools: "1.6.2", bluesky: "1.8.3", databroker: "1.2.5", ophyd: "1.6.4" });
  expect(r.pushStop?.run_start).toBe(LAST_PUSH_UID);
  expect(r.m9Streams).toEqual(["primary"]);
  expect(r.m9Descriptor.data_keys).toEqual({});
  expect(r.m9Descriptor.uid).toBe("43eb9fb2-7900-47aa-96a6-face7e7f5fca");
  expect(r.m9Descriptor.time).toBe(1669223872.8681245);
  expect(r.m9Descriptor.configuration?.m9_flyer.data).toMatchObject({ m9_flyer_frame_rate: 1000.0, m9_flyer_num_images: 12000, m9_flyer_position_chunk_size: 100 });
  expect(r.m9Descriptor.configuration?.m9_flyer.data_keys.m9_flyer_frame_rate).toMatchObject({ source: "PV:bdpgp:gp:float3", dtype: "number", precision: 4 });
  expect(r.m9Columns).toContain("time");
  expect(r.tree.split("\n")[0]).toBe("└── primary");
}

/** Area-detector frames: the first take_image run's image data key, first frame. */
export async function imageFrame(root: Container) {
  const bdp = await root.get("bdp2022", { kind: "container" });
  const run: BlueskyRun = await bdp.search(Key("start.plan_name").eq("take_image")).sort("start.time").values({ kind: "run" }).first();
  const primary = await run.stream("primary");
  const imageKey = Object.keys(primary.dataKeys).find((k) => primary.dataKeys[k].external !== undefined);
  if (!imageKey) throw new Error("no external data key in the first take_image run");
  const node = await primary.get(imageKey, { kind: "array" });
  const frame = await node.read({ slice: [0] });
  let sum = 0;
  for (const v of toNumbers(frame.data)) sum += v;
  return { imageKey, arrayShape: node.shape, frameShape: frame.shape, dtype: frame.dtype, sum };
}

export function expectImageFrame(r: Awaited<ReturnType<typeof imageFrame>>): void {
  expect(r.imageKey).toBe("adsimdet_image");
  expect(r.dtype).toBe("uint8");
  expect(r.frameShape.slice(-2)).toEqual([1024, 1024]);
  expect(r.arrayShape.slice(-2)).toEqual([1024, 1024]);
  expect(r.sum).toBeGreaterThan(0);
}

/** Loose matches on the SQL catalog: like (case-insensitive), fulltext (quoting), regex (client side). */
export async function looseMatches(root: Container) {
  const bdp = await root.get("bdp2022", { kind: "container" });
  const likeLower = await bdp.search(Like("start.plan_name", "push%")).count();
  const likeUpper = await bdp.search(Like("start.plan_name", "PUSH%")).count();
  const ftLower = await bdp.search(FullText("m9")).count();
  const ftLogin = await bdp.search(FullText("bdp@terrier.xray.aps.anl.gov")).count();
  const narrowed = bdp.search(Like("start.plan_name", "%push%"));
  const regex = await narrowed.search(Regex("start.plan_name", "^push_images$")).count();
  const regexInsensitive = await narrowed.search(Regex("start.plan_name", "^PUSH_IMAGES$", false)).keys().head(3);
  return { likeLower, likeUpper, ftLower, ftLogin, regex, regexInsensitive: regexInsensitive.length };
}

export function expectLooseMatches(r: Awaited<ReturnType<typeof looseMatches>>): void {
  expect(r.likeLower).toBeGreaterThanOrEqual(125);
  expect(r.likeUpper).toBe(r.likeLower);
  expect(r.ftLower).toBe(75);
  expect(r.ftLogin).toBeGreaterThanOrEqual(1);
  expect(r.regex).toBe(125);
  expect(r.regexInsensitive).toBe(3);
}

/** The demo's hand-built request, as requestsTiled sends it. */
export async function handBuilt(baseUrl: string, options: SendOptions = {}) {
  const { hostname, port } = new URL(baseUrl);
  const suffix = searchSuffix({
    queries: [Key("start.time").ge(isotimeToTimestamp("2022-05-01", ZONE)), Key("start.time").lt(isotimeToTimestamp("2022-11-01", ZONE))],
    sort: ["start.time"],
    limit: 300,
    fields: ["metadata"],
  });
  const page = await requestsTiled(hostname, "bdp2022", { ...options, port: Number(port || 80), suffix });
  const run = await requestsTiled(hostname, `bdp2022/${LAST_M9_UID}/primary`, { ...options, port: Number(port || 80), api: "/api/v1/metadata" });
  return { count: page.meta.count, onPage: page.data.length, hasNext: page.links.next !== null, firstId: page.data[0]?.id, streamSpecs: run.data.attributes.specs?.map((s) => s.name) };
}

export function expectHandBuilt(r: Awaited<ReturnType<typeof handBuilt>>): void {
  expect(r.count).toBe(397);
  expect(r.onPage).toBe(300);
  expect(r.hasNext).toBe(true);
  expect(r.streamSpecs).toContain("BlueskyEventStream");
}

/** The demo's three 2022 requests, verbatim (bare keys, time_range, page[limit]=0, sort=time), as a databroker server answers them. */
export async function handBuilt2022(baseUrl: string, options: SendOptions = {}) {
  const { hostname, port } = new URL(baseUrl);
  const get = (suffix: string) => requestsTiled(hostname, "bdp2022", { ...options, port: Number(port || 80), suffix });
  const summarize = (page: Awaited<ReturnType<typeof get>>) => {
    const summaries = page.data.map((d) => (d.attributes.metadata ?? {}).summary as RunSummary);
    return { count: page.data.length, first: summaries[0], last: summaries[summaries.length - 1] };
  };
  const since = isotimeToTimestamp("2022-05-01", ZONE);
  const until = isotimeToTimestamp("2022-11-01", ZONE);
  const timeRange = await get(
    `?page[limit]=0&filter[time_range][condition][since]=${since}&filter[time_range][condition][until]=${until}` +
      `&filter[time_range][condition][timezone]=${ZONE}&sort=time`,
  );
  const plan = await get('?page[limit]=0&filter[eq][condition][key]=plan_name&filter[eq][condition][value]="push_images"&sort=time');
  const m9 = await get("?page[limit]=0&filter[fulltext][condition][text]=M9&sort=time");
  return { timeRange: summarize(timeRange), pushImages: summarize(plan), fulltextM9: summarize(m9) };
}

export function expectHandBuilt2022(r: Awaited<ReturnType<typeof handBuilt2022>>): void {
  expect(r.timeRange.count).toBe(397);
  expect(r.timeRange.first).toMatchObject({ datetime: "2022-05-03T08:37:21.510276", scan_id: 1596, plan_name: "take_image" });
  expect(r.timeRange.last).toMatchObject({ datetime: "2022-09-08T13:54:25.178280", scan_id: 1960, plan_name: "push_images" });
  expect(r.pushImages.count).toBe(125);
  expect(r.pushImages.first).toMatchObject({ datetime: "2022-07-15T23:14:54.974411", scan_id: 1, plan_name: "push_images" });
  expect(r.pushImages.last.uid).toBe(LAST_PUSH_UID);
  expect(r.fulltextM9.count).toBe(75);
  expect(r.fulltextM9.first).toMatchObject({ datetime: "2022-11-11T01:34:27.938719", scan_id: 1961, plan_name: "m9_push_images" });
  expect(r.fulltextM9.last).toMatchObject({ uid: LAST_M9_UID, scan_id: 2035 });
}

/** Queries a databroker catalog runs itself (regex, Bluesky queries) and the ones it refuses. */
export async function databrokerQueries(root: Container) {
  const bdp = await root.get("bdp2022", { kind: "catalog" });
  const push = bdp.search(Key("plan_name").eq("push_images"));
  return {
    layout: bdp.layout,
    regex: await push.search(Regex("start.plan_name", "^push_images$")).count(),
    regexInsensitive: await bdp.search(Regex("start.plan_name", "^PUSH_IMAGES$", false)).count(),
    scanIds: (await bdp.search(ScanID(1960, 2035)).values({ kind: "run" }).toArray()).map((r) => r.start.scan_id).sort(),
    lastByScanId: (await bdp.scanId(1960)).uid,
    partialUid: (await bdp.partialUid(LAST_M9_UID.slice(0, 8))).uid,
    newestFirst: (await bdp.sort("-start.time").keys().first()),
    newest: await bdp.keys().last(),
    // databroker has no like: sent as a case-insensitive regex, it answers as the SQL catalog does.
    like: await bdp.search(Like("start.plan_name", "PUSH%")).count(),
    // Refused when the query is added to the search, before any request.
    stopKey: await caught((async () => bdp.search(Key("stop.exit_status").eq("success")).count())()),
    twoSortKeys: await caught(bdp.sort("start.plan_name", "-start.time").keys().first()),
  };
}

export function expectDatabrokerQueries(r: Awaited<ReturnType<typeof databrokerQueries>>): void {
  expect(r.layout).toBe("databroker");
  expect(r.regex).toBe(125);
  expect(r.regexInsensitive).toBe(125);
  expect(r.scanIds).toEqual([1960, 2035]);
  expect(r.lastByScanId).toBe(LAST_PUSH_UID);
  expect(r.partialUid).toBe(LAST_M9_UID);
  expect(r.newestFirst).toBe(r.newest);
  expect(r.like).toBe(125);
  // databroker searches the start document only: a stop key would silently match nothing.
  expect(r.stopKey.code).toBe("unsupported-query");
  // databroker answers 500 to two sort keys: refused before sending.
  expect(r.twoSortKeys.code).toBe("bad-input");
}
