// The same scenarios as integration.test.ts, answered from data-snapshots/ with no server and no
// Python: unit tests on recorded responses. Record them with the replica running:
//   TILED_SNAPSHOTS=record npx vitest run lib/test/integration.test.ts   (part of `npm run snapshots:record`)
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { TiledError } from "../errors";
import * as s from "./scenarios";

// Any base URL works: recordings hold a placeholder where the server's address was.
const BASE_URL = "http://127.0.0.1:8000";
const offline = { snapshots: "replay" as const };
let root: Container;

beforeAll(async () => {
  root = await fromUri(BASE_URL, offline);
});

describe("replayed from data-snapshots/ (no server)", () => {
  it("time range, plan name and full-text searches give the demo's figures", async () => {
    s.expectDemoFigures(await s.demoSearches(root));
  });
  it("a run's start and stop, its streams, the stream's descriptor, and tree()", async () => {
    s.expectRunDetails(await s.runDetails(root));
  });
  it("reads area-detector frames from a recorded binary body", async () => {
    s.expectImageFrame(await s.imageFrame(root));
  });
  it("loose matches, including the client-side regex fallback", async () => {
    s.expectLooseMatches(await s.looseMatches(root));
  });
  it("the hand-built request path (requestsTiled)", async () => {
    s.expectHandBuilt(await s.handBuilt(BASE_URL, offline));
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
