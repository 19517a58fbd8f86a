/**
 * index.ts — the library's public API, in one import.
 *
 * Two layers, like the demo's two kinds of client: `requestsTiled` and friends show the HTTP API
 * by hand; `fromUri` and the node clients work like tiled's Python client.
 *
 * @example
 * import { fromUri, Key, summary } from "./lib";
 * const catalog = await (await fromUri("http://127.0.0.1:8000")).get("bdp2022", { kind: "container" });
 * const run = await catalog.search(Key("start.plan_name").eq("push_images")).sort("start.time").values({ kind: "run" }).last();
 * console.log(await summary(run, "US/Central"));
 * const { columns, arrays } = await (await run.stream("primary")).read();
 */
export * from "./errors";
export * from "./transport";
export * from "./snapshots";
export * from "./freshness";
export * from "./schemas";
export * from "./time";
export * from "./requests";
export * from "./queries";
export * from "./bluesky-queries";
export * from "./loose";
export * from "./pagination";
export * from "./dtype";
export * from "./slice";
export * from "./client";
export * from "./summary";
export * from "./tree";
