// live/catalog.ts: a catalog subscription replayed from a recorded connection (fixtures/live-frames.json)
// through a fake socket: new runs with their start documents, then their stop documents. No server needed.
import { describe, expect, it } from "vitest";
import { subscribeCatalog } from "../live/catalog";
import { FAST, bytes, conn, fakeSockets } from "./live-fixtures";

describe("decoding recorded frames", () => {
  it("the catalog recording: a run with its start document, then its stop as a metadata update", async () => {
    const cat = conn("live");
    const { factory } = fakeSockets([cat.frames.map(bytes)]);
    const events = [];
    for await (const ev of subscribeCatalog("live", { ...FAST, socket: factory })) {
      events.push(ev);
      if (ev.kind === "stop") break;
    }
    expect(events.map((e) => e.kind)).toEqual(["run", "stop"]);
    if (events[0].kind === "run") expect(events[0].start.plan_name).toBe("uascan");
    if (events[1].kind === "stop") expect(events[1].stop.exit_status).toBe("success");
  });

});
