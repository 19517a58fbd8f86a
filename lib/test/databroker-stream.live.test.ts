// client/databroker-stream.ts against the legacy replica (databroker's MongoAdapter), issue 19
// item 5: databroker describes a text data key as numpy's "<U0" (data_type.itemsize 0) while
// /array/full sends UCS-4 at the true width, so 228 of 444 20idb_usaxs streams (every baseline)
// failed to read. Both ways of reading a dataset are checked: the columns together
// (/container/full as Arrow, what tiled's Python DatasetClient does) and array by array (what this
// client falls back to when a server refuses the combined read), and they must give the same values.
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { BlueskyRun } from "../client/run";
import { fetchHttp } from "../http/node-fetch";
import type { HttpFunction } from "../http/types";
import { canonicalOf } from "../testing/canonical";
import { replicas } from "./replicas";

const [, LEGACY] = replicas();
/** The replica's first 20idb_usaxs run (server/README.md): a documentation run with primary and baseline streams. */
const USAXS_RUN = "150da8ec-721d-43a2-812b-bb2f20bbd775";

/** An HTTP function that records each URL and answers 405 to the combined column read, as a server without that route would. */
function withoutContainerFull(seen: string[]): HttpFunction {
  return async (request, sinkFor) => {
    seen.push(request.url);
    if (request.url.includes("/api/v1/container/full/")) {
      const body = new TextEncoder().encode(JSON.stringify({ detail: "Method Not Allowed" }));
      return { url: request.url, status: 405, headers: { get: (name) => (name.toLowerCase() === "content-type" ? "application/json" : null) }, body };
    }
    return fetchHttp(request, sinkFor);
  };
}

function recording(seen: string[]): HttpFunction {
  return async (request, sinkFor) => {
    seen.push(request.url);
    return fetchHttp(request, sinkFor);
  };
}

describe("19.5 databroker text columns (<U0) on the legacy replica", () => {
  let run: BlueskyRun;
  beforeAll(async () => {
    await LEGACY.requireServer();
    run = await (await fromUri(LEGACY.url, LEGACY.options)).get(["20idb_usaxs", USAXS_RUN], { kind: "run" });
  });

  it("19.5 the server describes a text data key with itemsize 0; readText() splits the bytes by the count", async () => {
    const node = await run.get("baseline/data/mono_shutter", { kind: "array" });
    // The quirk itself: numpy's "U" with no width, in the structure and in the descriptor.
    expect(node.structure.data_type).toMatchObject({ kind: "U", itemsize: 0 });
    expect((await run.stream("baseline")).dataKeys.mono_shutter?.dtype_numpy).toBe("<U0");
    expect(node.isText).toBe(true);
    const text = await node.readText();
    expect(text.shape).toEqual(node.shape);
    expect(text.data.every((s) => s === "open" || s === "closed")).toBe(true);
    // A slice still reads: the width comes from what arrives.
    expect((await node.readText({ slice: [1] })).data).toEqual([text.data[1]]);
  });

  it("19.5 a baseline stream reads with its text decoded, in 4 requests for its ~100 columns, the same as array by array", async () => {
    const together: string[] = [];
    const apart: string[] = [];
    const read = async (http: HttpFunction) => {
      const client = await fromUri(LEGACY.url, { http });
      const stream = await client.get(["20idb_usaxs", USAXS_RUN, "baseline"], { kind: "stream" });
      return stream.read();
    };
    const a = await read(recording(together));
    const b = await read(withoutContainerFull(apart));
    expect(typeof a.columns.mono_shutter.get(0)).toBe("string");
    expect(Object.keys(a.columns).length).toBeGreaterThan(50);
    expect(Object.keys(b.columns).sort()).toEqual(Object.keys(a.columns).sort());
    for (const name of Object.keys(a.columns)) expect(canonicalOf(b.columns[name]), name).toEqual(canonicalOf(a.columns[name]));
    expect(b.table?.schema.fields.map((f) => f.name)).toEqual(a.table?.schema.fields.map((f) => f.name));
    const reads = (urls: string[]) => urls.filter((u) => /\/api\/v1\/(container|array)\/full\//.test(u)).length;
    // data and timestamps: one combined read each (two if the URL would be too long), against one per array.
    expect(reads(together)).toBeLessThanOrEqual(4);
    expect(reads(apart) - 2).toBeGreaterThan(2 * Object.keys(a.columns).length - 2);
  });
});
