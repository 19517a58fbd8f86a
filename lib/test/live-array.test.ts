// live/array.ts: an array subscription replayed from a recorded connection (fixtures/live-frames.json)
// through a fake socket: one array-ref per frame, with the new slab and the array's new shape. No server needed.
import { describe, expect, it } from "vitest";
import { subscribeArray } from "../live/array";
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
