// live/envelope.ts: websocket frames recorded from the replica (fixtures/live-frames.json), decoded
// from msgpack and json envelopes into table rows and Arrow schemas; a frame that is not a known
// message is refused. No server needed.
import { describe, expect, it } from "vitest";
import { TiledError } from "../errors";
import { decodeFrame, schemaOf, tableOf } from "../live/envelope";
import { TABLE_JSON, bytes, schemaFrame, tableFrame } from "./live-fixtures";

describe("decoding recorded frames", () => {
  it("msgpack and json table-data give the same rows; table-schema gives the Arrow schema", async () => {
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
});
