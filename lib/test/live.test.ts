// lib/live on recorded message sequences: frames recorded from the replica by
// lib/test/fixtures/record_live.mjs, replayed through a fake socket, reordered, cut, repeated and
// closed with the codes tiled uses. No server needed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TiledError } from "../errors";
import {
  LivePlot,
  SequenceTracker,
  Subscription,
  decodeFrame,
  schemaOf,
  streamUrl,
  subscribeArray,
  subscribeCatalog,
  subscribeTable,
} from "../live/index";
import type { LiveEvent, SocketFactory, SocketHandlers } from "../live/index";
import { caught } from "./caught";

interface Recorded {
  path: string;
  envelope: "msgpack" | "json";
  frames: ({ b64: string } | { text: string })[];
  close: { code: number; reason: string };
}
const FIXTURE = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "live-frames.json"), "utf8")) as { connections: Recorded[] };
const conn = (suffix: string, envelope = "msgpack") => {
  const c = FIXTURE.connections.find((x) => x.path.endsWith(suffix) && x.envelope === envelope);
  if (!c) throw new Error(`no recorded connection for ${suffix}`);
  return c;
};
const bytes = (f: Recorded["frames"][number]): Uint8Array | string => ("b64" in f ? new Uint8Array(Buffer.from(f.b64, "base64")) : f.text);
const TABLE = conn("/primary/internal");
const TABLE_JSON = conn("/primary/internal", "json");
const schemaFrame = bytes(TABLE.frames[0]);
const tableFrame = (seq: number) => bytes(TABLE.frames[seq]); // frames[1..5] are sequences 1..5

type Step = Uint8Array | string | { close: number; reason?: string } | { fail: TiledError };

/** A socket factory that plays one script per connection and records the URLs asked for. */
function fakeSockets(scripts: Step[][]): { factory: SocketFactory; urls: string[] } {
  const urls: string[] = [];
  const factory: SocketFactory = (url, _options, handlers: SocketHandlers) => {
    urls.push(url);
    const script = scripts[urls.length - 1] ?? [];
    let closed = false;
    void (async () => {
      for (const step of script) {
        await new Promise((r) => setTimeout(r, 1));
        if (closed) return;
        if (typeof step === "string" || step instanceof Uint8Array) handlers.onMessage(step);
        else if ("close" in step) {
          closed = true;
          handlers.onClose(step.close, step.reason ?? "");
        } else {
          closed = true;
          handlers.onFailure(step.fail);
        }
      }
    })();
    return {
      close() {
        closed = true;
      },
    };
  };
  return { factory, urls };
}

const END = { close: 1000, reason: "Producer ended stream" };
const FAST = { baseUrl: "http://127.0.0.1:1", gapGraceMs: 20, reconnect: { initialDelayMs: 1, attempts: 3 } };

async function sequences(sub: AsyncIterable<LiveEvent>): Promise<(number | string)[]> {
  const out: (number | string)[] = [];
  for await (const ev of sub) out.push(ev.kind === "update" ? ev.message.sequence : ev.kind === "gap" ? `gap ${ev.from}-${ev.to}` : `reset ${ev.sequence}`);
  return out;
}

describe("SequenceTracker", () => {
  it("classifies next, duplicate, gap and, on a fresh connection, reset", () => {
    const t = new SequenceTracker(1);
    expect(t.classify(1)).toBe("next");
    t.accept(1);
    expect(t.classify(1)).toBe("duplicate");
    expect(t.classify(4)).toBe("gap");
    expect(t.missing(4)).toEqual([2, 3]);
    t.reconnected();
    expect(t.classify(1)).toBe("reset");
    expect(new SequenceTracker(0).next).toBe(1); // start=0 replays like start=1
    expect(new SequenceTracker().classify(17)).toBe("next"); // live only: whatever comes first
  });
});

describe("decoding recorded frames", () => {
  it("msgpack and json table-data give the same rows; table-schema gives the Arrow schema", async () => {
    const { tableOf } = await import("../live/envelope");
    const packed = decodeFrame(tableFrame(2), "msgpack");
    const json = decodeFrame(bytes(TABLE_JSON.frames[2]), "json");
    expect(packed.type).toBe("table-data");
    expect(json.type).toBe("table-data");
    if (packed.type !== "table-data" || json.type !== "table-data") return;
    const a = tableOf(packed);
    const b = tableOf(json);
    expect(a.numRows).toBe(1);
    expect(Number(a.getChild("seq_num")!.get(0))).toBe(2);
    expect(Number(b.getChild("seq_num")!.get(0))).toBe(2);
    expect(a.getChild("PD_USAXS")!.get(0)).toBe(b.getChild("PD_USAXS")!.get(0));
    const schema = decodeFrame(schemaFrame, "msgpack");
    expect(schema.type).toBe("table-schema");
    if (schema.type === "table-schema") expect(schemaOf(schema).fields.map((f) => f.name)).toEqual(a.schema.fields.map((f) => f.name));
  });

  it("a frame that is not a known message is invalid-response", () => {
    expect(() => decodeFrame('{"type":"bogus","sequence":1}', "json")).toThrow(TiledError);
    expect(() => decodeFrame(new Uint8Array([0xc1]), "msgpack")).toThrow(/not msgpack/);
  });

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

  it("the frame recording: array-ref with the slab and the new total shape", async () => {
    const img = conn("saxs_det_image");
    const { factory } = fakeSockets([[...img.frames.map(bytes), END]]);
    const sub = subscribeArray("live/x/primary/saxs_det_image", { ...FAST, socket: factory });
    const refs = [];
    for await (const ev of sub) refs.push(ev);
    expect(refs).toMatchObject([
      { kind: "ref", sequence: 1, shape: [1, 195, 487], patch: { offset: [0, 0, 0], shape: [1, 195, 487] } },
      { kind: "ref", sequence: 2, shape: [2, 195, 487], patch: { offset: [1, 0, 0], shape: [1, 195, 487] } },
    ]);
    expect(await sub.dataType).toMatchObject({ kind: "i", itemsize: 4 });
  });
});

describe("ordering, gaps, duplicates and close codes", () => {
  it("in order: every row once, then close 1000 ends the iteration", async () => {
    const { factory, urls } = fakeSockets([[schemaFrame, ...[1, 2, 3, 4, 5].map(tableFrame), END]]);
    const sub = subscribeTable("live/x/primary/internal", { ...FAST, start: 1, socket: factory });
    const rows = [];
    for await (const ev of sub) if (ev.kind === "rows") rows.push(Number(ev.table.getChild("seq_num")!.get(0)));
    expect(rows).toEqual([1, 2, 3, 4, 5]);
    expect(urls).toEqual([streamUrl("http://127.0.0.1:1", "live/x/primary/internal", "msgpack", 1)]);
    expect(sub.subscription.stats).toMatchObject({ connections: 1, reconnects: 0, closeCode: 1000, closeReason: "Producer ended stream" });
  });

  it("out of order within a connection: held briefly, delivered in order, no reconnect", async () => {
    const { factory, urls } = fakeSockets([[schemaFrame, ...[1, 3, 2, 4, 5].map(tableFrame), END]]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, gapGraceMs: 500, start: 1, socket: factory });
    expect(await sequences(sub)).toEqual([1, 2, 3, 4, 5]);
    expect(urls.length).toBe(1);
    expect(sub.stats.gapsRecovered).toBe(1);
  });

  it("a gap is replayed by reconnecting with start=<first missing>", async () => {
    const { factory, urls } = fakeSockets([
      [schemaFrame, tableFrame(1), tableFrame(2), tableFrame(4)], // 3 never comes on this connection
      [schemaFrame, ...[3, 4, 5].map(tableFrame), END],
    ]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, start: 1, socket: factory });
    expect(await sequences(sub)).toEqual([1, 2, 3, 4, 5]);
    expect(urls[1]).toContain("start=3");
    expect(sub.stats).toMatchObject({ connections: 2, gapsRecovered: 1, gapsLost: 0 });
  });

  it("a gap the server no longer holds (evicted from its cache) is reported, then the rest follows", async () => {
    const { factory } = fakeSockets([
      [schemaFrame, tableFrame(1), tableFrame(2), tableFrame(4)],
      [schemaFrame, tableFrame(4), tableFrame(5), END], // replay from 3 starts at 4: 3 was evicted
    ]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, start: 1, socket: factory });
    expect(await sequences(sub)).toEqual([1, 2, "gap 3-3", 4, 5]);
    expect(sub.stats.gapsLost).toBe(1);
  });

  it("duplicates are dropped", async () => {
    const { factory } = fakeSockets([[schemaFrame, ...[1, 2, 2, 3, 1, 4, 5].map(tableFrame), END]]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, start: 1, socket: factory });
    expect(await sequences(sub)).toEqual([1, 2, 3, 4, 5]);
    expect(sub.stats.duplicates).toBe(2);
  });

  it("1012 (live subscription lost, server restart) reconnects from the next sequence", async () => {
    const { factory, urls } = fakeSockets([
      [schemaFrame, tableFrame(1), tableFrame(2), { close: 1012, reason: "Live subscription lost" }],
      [schemaFrame, tableFrame(3), tableFrame(4), tableFrame(5), END],
    ]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, start: 1, socket: factory });
    expect(await sequences(sub)).toEqual([1, 2, 3, 4, 5]);
    expect(urls[1]).toContain("start=3");
    expect(sub.stats.reconnects).toBe(1);
  });

  it("a counter that began again after a reconnect is a reset, not a duplicate", async () => {
    const { factory } = fakeSockets([
      [schemaFrame, tableFrame(3), tableFrame(4), { close: 1006 }],
      [schemaFrame, tableFrame(1), tableFrame(2), END],
    ]);
    const sub = new Subscription("live/x/primary/internal", { ...FAST, socket: factory });
    expect(await sequences(sub)).toEqual([3, 4, "reset 1", 1, 2]);
  });

  it("reconnection is bounded", async () => {
    const lost = { close: 1006 };
    const { factory, urls } = fakeSockets([[schemaFrame, lost], [lost], [lost], [lost], [lost]]);
    const err = await caught(sequences(new Subscription("live/x", { ...FAST, socket: factory })));
    expect(err.code).toBe("unreachable");
    expect(err.message).toMatch(/Gave up after 3 reconnection attempts/);
    expect(urls.length).toBe(4);
  });

  it("1009 (frame above maxPayload) and 4003 (auth failed) are final", async () => {
    const big = fakeSockets([[schemaFrame, { close: 1009 }]]);
    expect((await caught(sequences(new Subscription("live/x", { ...FAST, socket: big.factory })))).code).toBe("too-large");
    expect(big.urls.length).toBe(1);
    const auth = fakeSockets([[{ close: 4003, reason: "Authentication failed" }]]);
    const err = await caught(sequences(new Subscription("live/x", { ...FAST, socket: auth.factory })));
    expect(err.status).toBe(401);
  });

  it("a refused handshake (404) is not retried; an unreachable server is, within the bound", async () => {
    const notFound = new TiledError("not-found", "404: No such entry", { status: 404 });
    const a = fakeSockets([[{ fail: notFound }]]);
    expect((await caught(sequences(new Subscription("live/nope", { ...FAST, socket: a.factory })))).code).toBe("not-found");
    expect(a.urls.length).toBe(1);
    const down = new TiledError("unreachable", "ECONNREFUSED");
    const b = fakeSockets([[{ fail: down }], [{ fail: down }], [schemaFrame, tableFrame(1), END]]);
    expect(await sequences(new Subscription("live/x", { ...FAST, socket: b.factory }))).toEqual([1]);
  });

  it("an AbortSignal ends the iteration with code aborted; the key goes in the header, never in the URL", async () => {
    const controller = new AbortController();
    let headers: Record<string, string> = {};
    const factory: SocketFactory = (_url, options, handlers) => {
      headers = options.headers;
      setTimeout(() => handlers.onMessage(schemaFrame), 1);
      return { close() {} };
    };
    const sub = new Subscription("live/x", { ...FAST, apiKey: "secret123", signal: controller.signal, socket: factory });
    setTimeout(() => controller.abort(), 30);
    expect((await caught(sequences(sub))).code).toBe("aborted");
    expect(headers).toEqual({ Authorization: "Apikey secret123" });
    expect(streamUrl("http://h:1", "live/a b", "json", 2)).toBe("ws://h:1/api/v1/stream/single/live/a%20b?envelope_format=json&start=2");
  });

  it("bad input is refused before connecting", () => {
    expect(() => new Subscription("live/../bdp2022")).toThrow(/not allowed/);
    expect(() => new Subscription("live", { start: -1 })).toThrow(TiledError);
    expect(() => new Subscription("live", { apiKey: "key\n" })).toThrow(/line break/);
  });
});

describe("LivePlot", () => {
  it("displays once with a display_id, then sends throttled update_display_data for the same id", async () => {
    const sent: { update: boolean; id: string; mime: string[]; title?: string; points?: number }[] = [];
    const plot = new LivePlot({
      title: "uascan",
      x: "a_stage_r",
      series: ["PD_USAXS"],
      intervalMs: 40,
      writer: (m, update) => {
        const fig = m.data["application/vnd.plotly.v1+json"] as { data: { x: { bdata: string } }[]; layout: { title: { text: string } } } | undefined;
        const entry = { update, id: m.transient.display_id, mime: Object.keys(m.data).sort() };
        if (fig === undefined) sent.push(entry);
        else sent.push({ ...entry, title: fig.layout.title.text, points: Buffer.from(fig.data[0].x.bdata, "base64").length / 4 }); // float32 x values
      },
    }).show();
    for (let i = 0; i < 20; i++) plot.append([i], { PD_USAXS: [i * i] });
    await new Promise((r) => setTimeout(r, 60));
    plot.finish("success");
    expect(sent[0]).toMatchObject({ update: false, points: 0, mime: ["application/vnd.plotly.v1+json", "text/plain"] });
    const updates = sent.slice(1);
    expect(updates.every((s) => s.update && s.id === plot.displayId)).toBe(true);
    // Each redraw is a pair: a placeholder of another MIME type (JupyterLab then builds a new
    // plotly renderer instead of calling renderModel on the drawn one, which ignores it), then the figure.
    expect(updates.length % 2).toBe(0);
    expect(updates.length / 2).toBe(plot.updates);
    for (let i = 0; i < updates.length; i += 2) {
      expect(updates[i].mime).toEqual(["text/html", "text/plain"]);
      expect(updates[i + 1].mime).toEqual(["application/vnd.plotly.v1+json", "text/plain"]);
    }
    expect(plot.updates).toBeLessThan(4); // 20 rows, a handful of redraws
    expect(sent[sent.length - 1]).toMatchObject({ points: 20, title: "uascan — 20 points, success" });
    expect(plot.figure().data[0]).toMatchObject({ name: "PD_USAXS" });
  });

  it("redraws less often as the figure grows (each redraw resends every point)", () => {
    const plot = new LivePlot({ title: "t", x: "x", series: ["y"], writer: null });
    expect(plot.intervalMs).toBe(250);
    plot.append(new Float64Array(20_000), { y: new Float64Array(20_000) });
    expect(plot.intervalMs).toBe(1000);
    plot.append(new Float64Array(200_000), { y: new Float64Array(200_000) });
    expect(plot.intervalMs).toBe(5000);
  });
});
