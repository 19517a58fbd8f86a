// The same scenarios as integration.live.test.ts, answered from data-snapshots/ with no server and no
// Python: unit tests on recorded responses. Record them with the replica running:
//   TILED_SNAPSHOTS=record npx vitest run lib/test/integration.live.test.ts   (part of `npm run snapshots:record`)
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { TiledError } from "../errors";
import { replicas } from "./replicas";
import * as s from "./scenarios";

// The SQL replica's recordings replay under any base URL but the legacy one's (TILED_LEGACY_URL,
// default :8001), which replays from data-snapshots/legacy.
const BASE_URL = "http://127.0.0.1:8000";
const offline = { snapshots: "replay" as const };
let root: Container;
let legacy: Container;

beforeAll(async () => {
  root = await fromUri(BASE_URL, offline);
  legacy = await fromUri(replicas()[1].url, offline);
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
    s.expectHandBuilt(await s.handBuilt(BASE_URL, offline));
  });
  it("the 2022 requests on the legacy replica", async () => {
    s.expectHandBuilt2022(await s.handBuilt2022(replicas()[1].url, offline));
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
