// The same scenarios as integration.live.test.ts, answered from data-snapshots/ with no server and no
// Python: unit tests on recorded responses. Record them with the replica running:
//   TILED_SNAPSHOTS=record npx vitest run lib/test/integration.live.test.ts   (part of `npm run snapshots:record`)
// The replayer (the testing entry's snapshotHttp) is plugged in as the client's http option and
// answers every request; the base URLs are closed ports, so a request that escaped it would fail.
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { TiledError } from "../errors";
import { snapshotOptions } from "./replicas";
import * as s from "./scenarios";

const SQL_URL = "http://127.0.0.1:9";
const LEGACY_URL = "http://127.0.0.1:10";
const sqlReplay = snapshotOptions("replay", "SQL", SQL_URL);
const legacyReplay = snapshotOptions("replay", "legacy", LEGACY_URL);
let root: Container;
let legacy: Container;

beforeAll(async () => {
  root = await fromUri(SQL_URL, sqlReplay);
  legacy = await fromUri(LEGACY_URL, legacyReplay);
});

describe.each([
  ["SQL", () => root],
  ["legacy", () => legacy],
] as const)("replayed from data-snapshots/ (no server): %s replica", (_name, client) => {
  it("time range, plan name and full-text searches give the demo's figures", async () => {
    s.expectDemoFigures(await s.demoSearches(client()));
  });
  it("a run's start and stop, its streams, the stream's descriptor, and tree()", async () => {
    s.expectRunDetails(await s.runDetails(client()));
  });
  it("reads area-detector frames from a recorded binary body", async () => {
    s.expectImageFrame(await s.imageFrame(client()));
  });
});

describe("replayed from data-snapshots/ (no server)", () => {
  it("loose matches, including the client-side regex fallback", async () => {
    s.expectLooseMatches(await s.looseMatches(root));
  });
  it("the hand-built request path (requestsTiled)", async () => {
    s.expectHandBuilt(await s.handBuilt(SQL_URL, sqlReplay));
  });
  it("the 2022 requests on the legacy replica", async () => {
    s.expectHandBuilt2022(await s.handBuilt2022(LEGACY_URL, legacyReplay));
  });
  it("databroker's own queries, and the refusals", async () => {
    s.expectDatabrokerQueries(await s.databrokerQueries(legacy));
  });
  it("a recorded 404 replays as the same not-found error", async () => {
    let error: unknown;
    try {
      await root.get("no_such_catalog");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TiledError);
    expect((error as TiledError).code).toBe("not-found");
  });
});
