// live/array.ts: an array subscription replayed from a recorded connection (fixtures/live-frames.json)
// through a fake socket: one array-ref per frame, with the new slab and the array's new shape; and
// (issue 19, item 2) array-data payloads checked against their shape and dtype. No server needed.
import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { subscribeArray } from "../live/array";
import { caught } from "./caught";
import { END, FAST, bytes, conn, fakeSockets } from "./live-fixtures";

describe("decoding recorded frames", () => {
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

describe("19.2 a live array-data payload is checked against its shape and the schema's dtype", () => {
  const schema = encode({ type: "array-schema", version: 1, data_type: { endianness: "little", kind: "u", itemsize: 2, dt_units: null } });
  const data = (sequence: number, shape: number[], payload: unknown, extra: Record<string, unknown> = {}) =>
    encode({ type: "array-data", sequence, timestamp: "2022-09-08T13:54:25", mimetype: "application/octet-stream", shape, offset: null, block: null, payload, ...extra });
  const u16 = (...values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);

  it("19.2 a payload of exactly shape × itemsize bytes decodes to that shape", async () => {
    const { factory } = fakeSockets([[schema, data(1, [2, 2], u16(1, 2, 3, 65535)), END]]);
    const events = [];
    for await (const ev of subscribeArray("live/x/primary/det", { ...FAST, socket: factory })) events.push(ev);
    expect(events).toHaveLength(1);
    const [ev] = events;
    if (ev.kind !== "data") throw new Error(`expected data, got ${ev.kind}`);
    expect(ev.array.shape).toEqual([2, 2]);
    expect(ev.array.dtype).toBe("uint16");
    expect(Array.from(ev.array.data as Uint16Array)).toEqual([1, 2, 3, 65535]);
  });

  const broken: Record<string, Uint8Array> = {
    "fewer bytes than the shape needs": data(2, [2, 2], u16(1, 2, 3)),
    "more bytes than the shape needs": data(2, [2, 2], u16(1, 2, 3, 4, 5)),
    "half an element": data(2, [2], new Uint8Array(3)),
    "an empty payload for a non-empty shape": data(2, [1, 4], new Uint8Array(0)),
    "another data type than the schema's": data(2, [2], new Uint8Array(16), { data_type: { endianness: "little", kind: "f", itemsize: 8 } }),
    "a mimetype other than raw bytes": data(2, [2], u16(1, 2), { mimetype: "application/x-zarr" }),
  };
  it.each(Object.keys(broken))("19.2 %s: invalid-response naming the message, after the good ones", async (name) => {
    const { factory } = fakeSockets([[schema, data(1, [2], u16(7, 8)), broken[name], END]]);
    const sub = subscribeArray("live/x/primary/det", { ...FAST, socket: factory });
    const seen: number[] = [];
    const err = await caught(
      (async () => {
        for await (const ev of sub) if (ev.kind === "data") seen.push(ev.sequence);
      })(),
    );
    expect(seen).toEqual([1]);
    expect(err.code).toBe("invalid-response");
    expect(err.message).toMatch(/array-data message 2/);
  });

  it("19.2 the json envelope: a nested list of another count than the shape is refused too", async () => {
    const json = (m: Record<string, unknown>) => JSON.stringify(m);
    const frames = [
      json({ type: "array-schema", version: 1, data_type: { endianness: "little", kind: "f", itemsize: 8 } }),
      json({ type: "array-data", sequence: 1, shape: [2, 2], payload: [[1, 2], [3, null]] }),
      json({ type: "array-data", sequence: 2, shape: [2, 2], payload: [[1, 2], [3]] }),
      END,
    ];
    const { factory } = fakeSockets([frames]);
    const sub = subscribeArray("live/x/primary/det", { ...FAST, envelope: "json", socket: factory });
    const got: number[][] = [];
    const err = await caught(
      (async () => {
        for await (const ev of sub) if (ev.kind === "data") got.push(Array.from(ev.array.numbers));
      })(),
    );
    expect(got).toEqual([[1, 2, 3, Number.NaN]]);
    expect(err.message).toContain("holds 3 values; shape [2, 2] needs 4");
  });
});
