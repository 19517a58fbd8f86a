// client/run.ts: a Bluesky run's start and stop documents, typed with event-model's fields, and
// `startWith`, which types a facility's own keys too. Built from a Context and a node's JSON, with
// no server (the Context's transport is never used).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Context } from "../context";
import { BlueskyRun } from "../client/run";
import { NodeResource } from "../schemas/node";
import { fromUri } from "../client/from-uri";
import { caught, thrown } from "./caught";
import { localServers } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const UID = "ae762f9c-4933-4aa4-a720-147f4aaab6fd";
const START = {
  uid: UID,
  time: 1662663265.17828,
  scan_id: 1960,
  plan_name: "push_images",
  plan_type: "generator",
  detectors: ["adsimdet"],
  motors: ["m1"],
  num_points: 10,
  hints: { dimensions: [[["time"], "primary"]] },
  versions: { bluesky: "1.9.0", ophyd: "1.6.4" },
  title: "quartz powder",
  sample_thickness_mm: 0.5,
};

function runWith(metadata: Record<string, unknown>): BlueskyRun {
  const context = new Context({ baseUrl: "http://127.0.0.1:9" });
  const item = NodeResource.parse(nodeJson(["bdp2022", UID], "container", { specs: [{ name: "BlueskyRun", version: "3.0" }], metadata }));
  return new BlueskyRun(context, item, ["bdp2022", UID]);
}

describe("start and stop", () => {
  it("the start document's event-model fields are typed; a facility's keys pass through", () => {
    const run = runWith({ start: START, stop: { time: 1662663300, exit_status: "success", num_events: { primary: 10 } } });
    const start = run.start;
    const detectors: string[] | undefined = start.detectors;
    const points: number | undefined = start.num_points;
    expect([start.plan_name, start.plan_type, detectors, start.motors, points, start.versions]).toEqual([
      "push_images", "generator", ["adsimdet"], ["m1"], 10, { bluesky: "1.9.0", ophyd: "1.6.4" },
    ]);
    expect(start.hints).toEqual({ dimensions: [[["time"], "primary"]] });
    expect(start.title).toBe("quartz powder"); // unknown to event-model: kept, typed unknown
    expect(run.uid).toBe(UID);
    expect(run.stop?.num_events).toEqual({ primary: 10 });
  });

  it("stop is null while the run goes on", () => {
    expect(runWith({ start: START }).stop).toBeNull();
    expect(runWith({ start: START, stop: null }).stop).toBeNull();
  });

  it("an event-model field of the wrong type is invalid-response naming it and the run's URL", async () => {
    const run = runWith({ start: { ...START, num_points: "ten" } });
    const err = await thrown(() => run.start);
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("at num_points");
    expect(err.url).toBe(run.uri);
  });
});

describe("startWith: a facility's keys typed", () => {
  it("returns the typed keys along with the event-model fields", () => {
    const run = runWith({ start: START });
    const start = run.startWith({ title: z.string(), sample_thickness_mm: z.number().optional(), operator: z.string().optional() });
    const title: string = start.title; // typed: no cast needed
    const thickness: number | undefined = start.sample_thickness_mm;
    expect([title, thickness, start.operator, start.plan_name, start.uid]).toEqual(["quartz powder", 0.5, undefined, "push_images", UID]);
  });

  it("a key of the wrong type, or a required key missing, is invalid-response naming the key", async () => {
    const wrong = runWith({ start: { ...START, title: 42 } });
    const err = await thrown(() => wrong.startWith({ title: z.string() }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("at title");
    expect(err.url).toBe(wrong.uri);
    const missing = await thrown(() => runWith({ start: START }).startWith({ operator: z.string() }));
    expect(missing.code).toBe("invalid-response");
    expect(missing.message).toContain("at operator");
  });
});

describe("19.15 run.stream() for a stream the run lacks", () => {
  const serve = localServers();
  it("19.15 is not-found naming the streams the run has (the server's bare 404 becomes the cause)", async () => {
    const run = ["bdp2022", UID];
    const stream = { specs: [{ name: "BlueskyEventStream", version: "3.0" }] };
    const server = await serve(
      treeHandler([
        nodeJson([], "container"),
        nodeJson(["bdp2022"], "container", { specs: [{ name: "CatalogOfBlueskyRuns", version: "3.0" }] }),
        nodeJson(run, "container", { specs: [{ name: "BlueskyRun", version: "3.0" }], metadata: { start: START } }),
        nodeJson([...run, "primary"], "container", stream),
        nodeJson([...run, "baseline"], "container", stream),
      ]),
    );
    const client = await (await fromUri(server.url)).get(run, { kind: "run" });
    const err = await caught(client.stream("primray"));
    expect(err.code).toBe("not-found");
    expect(err.message.split("\n")[0]).toBe(`Run ${UID} has no stream "primray"; it has "primary", "baseline".`);
    expect(err.status).toBe(404);
    expect((await client.stream("primary")).path).toEqual([...run, "primary"]);
  });
});
