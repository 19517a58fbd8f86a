/**
 * client/table.ts: reading a table node as Arrow, against a local server that answers like tiled.
 */
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
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
