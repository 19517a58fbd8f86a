/**
 * client/table.ts: reading a table node as Arrow, against a local server that answers like tiled,
 * or (issue 19, item 1) like a broken one: a 200 whose body is not an Arrow table is an error,
 * never an empty table.
 */
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { TiledError } from "../errors";
import { caught } from "./caught";
import { localServers, sendBytes } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();

const COLUMNS = ["seq_num", "time", "I0", "ts_I0"];
const TREE = [
  nodeJson([], "container"),
  nodeJson(["internal"], "table", { structure: { arrow_schema: "", npartitions: 1, columns: COLUMNS, resizable: false } }),
];

describe("columns come back in the order asked for", () => {
  it("even when the server sends them in another order (tiled's SQL adapter picks them with a set)", async () => {
    const asked: string[][] = [];
    const server = await serve(
      treeHandler(TREE, (req, res, path) => {
        if (!path.startsWith("/api/v1/table/full/internal")) return false;
        const requested = new URL(req.url ?? "", "http://x").searchParams.getAll("column");
        asked.push(requested);
        // Answer in a fixed order unrelated to the request, as set(...).intersection(...) may.
        const all: Record<string, Float64Array> = {
          I0: Float64Array.of(0.5, 1.5),
          seq_num: Float64Array.of(1, 2),
          ts_I0: Float64Array.of(10, 11),
          time: Float64Array.of(100, 101),
        };
        const chosen = Object.fromEntries(Object.entries(all).filter(([name]) => requested.length === 0 || requested.includes(name)));
        sendBytes(res, tableToIPC(tableFromArrays(chosen), "file"), "application/vnd.apache.arrow.file");
        return true;
      }),
    );
    const node = await (await fromUri(server.url)).get("internal", { kind: "table" });
    const some = await node.read({ columns: ["time", "seq_num", "I0"] });
    expect(asked[0]).toEqual(["time", "seq_num", "I0"]);
    expect(some.schema.fields.map((f) => f.name)).toEqual(["time", "seq_num", "I0"]);
    expect(Array.from(some.getChild("time")?.toArray() ?? [])).toEqual([100, 101]);
    // Without `columns`, the server's order is kept: nothing was asked for.
    const all = await node.read();
    expect(all.schema.fields.map((f) => f.name)).toEqual(["I0", "seq_num", "ts_I0", "time"]);
  });
});

describe("19.1 a 200 whose body is not an Arrow table is invalid-response, never an empty table", () => {
  const arrow = (columns: Record<string, Float64Array>) => tableToIPC(tableFromArrays(columns), "file");
  const BODIES: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    zeros: new Uint8Array(4096),
    // An Arrow IPC stream's end-of-stream marker: continuation token, then a zero length.
    eos: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0),
    garbage: new TextEncoder().encode('{"detail": "this is JSON, not Arrow"}'),
    truncated: arrow({ seq_num: Float64Array.of(1, 2) }).subarray(0, 100),
  };
  const TABLE = [
    nodeJson([], "container"),
    // The server below picks its body by the first `column` asked for: one column name per broken body.
    nodeJson(["t"], "table", { structure: { arrow_schema: "", npartitions: 2, columns: ["seq_num", "time", ...Object.keys(BODIES), "partial"], resizable: false } }),
  ];
  const server = () =>
    serve(
      treeHandler(TABLE, (req, res, path) => {
        if (!path.startsWith("/api/v1/table/")) return false;
        const kind = new URL(req.url ?? "", "http://x").searchParams.get("column") ?? "";
        const body = BODIES[kind] ?? (kind === "partial" ? arrow({ seq_num: Float64Array.of(1) }) : arrow({ seq_num: Float64Array.of(1), time: Float64Array.of(2) }));
        sendBytes(res, body, "application/vnd.apache.arrow.file");
        return true;
      }),
    );

  it("19.1 an empty body, all zeros, only an end-of-stream marker, a body apache-arrow cannot parse: read() and readPartition()", async () => {
    const s = await server();
    const node = await (await fromUri(s.url)).get("t", { kind: "table" });
    for (const kind of Object.keys(BODIES)) {
      for (const read of [() => node.read({ columns: [kind] }), () => node.readPartition(1, { columns: [kind] })]) {
        const err = await caught(read());
        expect(err, kind).toBeInstanceOf(TiledError);
        expect(err.code, kind).toBe("invalid-response");
        expect(err.message, kind).toMatch(/not an Arrow table|holds no Arrow schema/);
        expect(err.url, kind).toContain("/api/v1/table/");
      }
    }
    // The same server's real tables still read.
    const ok = await node.read({ columns: ["seq_num", "time"] });
    expect(ok.numRows).toBe(1);
  });

  it("19.1 a table that lacks a column it should hold is invalid-response naming it", async () => {
    const s = await server();
    const node = await (await fromUri(s.url)).get("t", { kind: "table" });
    const err = await caught(node.read({ columns: ["partial", "time"] }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("lacks columns partial, time");
  });
});
