/**
 * index.ts — the library's public API, in one import.
 *
 * Two layers, like the demo's two kinds of client: `requestsTiled` and friends show the HTTP API
 * by hand; `fromUri` and the node clients work like tiled's Python client.
 *
 * @example
 * import { fromUri, Key, summary } from "./lib/index";   // tslab needs the file, not the folder
 * const catalog = await fromUri("http://127.0.0.1:8000/bdp2022");
 * const run = await catalog.search(Key("start.plan_name").eq("push_images")).sort("start.time").values({ kind: "run" }).last();
 * console.log(await summary(run, "US/Central"));
 * const { columns, arrays } = await run.stream("primary").then((s) => s.read());   // one await per expression under tslab
 */
export * from "./errors";
export * from "./transport";
export * from "./snapshots";
export * from "./freshness";
export * from "./schemas/index";
export * from "./time";
export * from "./requests";
export * from "./queries";
export * from "./bluesky-queries";
export * from "./loose";
export * from "./pagination";
export * from "./dtype";
export * from "./slice";
export * from "./client/index";
export * from "./summary";
export * from "./tree";
export * from "./live/index";
