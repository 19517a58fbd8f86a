// live/table.ts: a table subscription replayed from a recorded connection (fixtures/live-frames.json)
// through a fake socket, and (issue 19, item 1) the same connection with a table-data message whose
// payload is not a table: empty, zeros, an end-of-stream marker, garbage, JSON that is not columns,
// or rows that lack a column of the announced schema. Each ends the iteration with
// invalid-response; none is ever an empty table. No server needed.
import { encode, decode } from "@msgpack/msgpack";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { subscribeTable } from "../live/table";
import type { TableEvent } from "../live/table";
import { caught } from "./caught";
import { END, FAST, TABLE, TABLE_JSON, bytes, fakeSockets, schemaFrame, tableFrame } from "./live-fixtures";

/** The recorded table-data frame of sequence `seq`, with its payload replaced. */
function withPayload(seq: number, payload: unknown): Uint8Array {
  const frame = tableFrame(seq);
  if (typeof frame === "string") throw new Error("expected a msgpack frame");
  const message = decode(frame) as Record<string, unknown>;
  return encode({ ...message, payload });
}

async function collect(sub: AsyncIterable<TableEvent>): Promise<TableEvent[]> {
  const out: TableEvent[] = [];
  for await (const ev of sub) out.push(ev);
  return out;
}

describe("the recorded table connection", () => {
  it("gives one rows event per table-data message, each a one-row table with the schema's columns", async () => {
    const { factory } = fakeSockets([[...TABLE.frames.map(bytes), END]]);
    const sub = subscribeTable("live/x/primary/internal", { ...FAST, socket: factory });
    const events = await collect(sub);
    const columns = (await sub.arrowSchema).fields.map((f) => f.name);
    expect(events.map((e) => (e.kind === "rows" ? e.sequence : e.kind))).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) if (e.kind === "rows") expect(e.table.schema.fields.map((f) => f.name)).toEqual(columns);
  });
});

describe("19.1 a live table-data payload that is not a table is invalid-response, never an empty table", () => {
  const eos = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
  const otherTable = tableToIPC(tableFromArrays({ unrelated: Float64Array.of(1) }), "file");
  const payloads: Record<string, unknown> = {
    empty: new Uint8Array(0),
    zeros: new Uint8Array(4096),
    "end-of-stream marker": eos,
    garbage: new TextEncoder().encode("not arrow at all"),
    "a table without the schema's columns": otherTable,
    "no payload": null,
    "JSON of no columns": {},
    "JSON columns of different lengths": { seq_num: [1, 2], time: [1] },
  };
  it.each(Object.keys(payloads))("19.1 %s: the rows before it arrive, then the iteration throws invalid-response", async (name) => {
    const { factory } = fakeSockets([[schemaFrame, tableFrame(1), withPayload(2, payloads[name]), tableFrame(3), END]]);
    const sub = subscribeTable("live/x/primary/internal", { ...FAST, socket: factory });
    const seen: number[] = [];
    const err = await caught(
      (async () => {
        for await (const ev of sub) if (ev.kind === "rows") seen.push(ev.table.numRows);
      })(),
    );
    expect(seen).toEqual([1]);
    expect(err.code).toBe("invalid-response");
    expect(err.message).toMatch(/live table-data message 2/);
  });

  it("19.1 the json envelope: a payload that is not columns is refused the same way", async () => {
    const frame = (seq: number) => bytes(TABLE_JSON.frames[seq]);
    const broken = JSON.stringify({ ...(JSON.parse(String(frame(2))) as object), payload: {} });
    const { factory } = fakeSockets([[frame(0), frame(1), broken, END]]);
    const sub = subscribeTable("live/x/primary/internal", { ...FAST, envelope: "json", socket: factory });
    const err = await caught(collect(sub));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("holds no columns");
  });
});
