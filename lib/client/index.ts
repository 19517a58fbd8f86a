/**
 * client/index.ts — the tiled client: fromUri and the node classes.
 *
 * @example
 * import { fromUri, BlueskyRun } from "./client/index";
 * const client = await fromUri("http://127.0.0.1:8000");
 * for await (const key of client.keys()) console.log(key);        // bdp2022, 20idb_usaxs
 * const bdp = await client.get("bdp2022", { kind: "container" });
 * const run = await bdp.values({ kind: "run" }).last();
 */
export * from "./context";
export * from "./kinds";
export * from "./structure-clients";
export * from "./base";
export * from "./view";
export * from "./container";
export * from "./array";
export * from "./table";
export * from "./run";
export * from "./stream";
export * from "./catalog";
export * from "./from-uri";
