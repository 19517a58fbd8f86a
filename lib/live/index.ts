/**
 * live/index.ts — live updates from tiled (websocket streaming, tiled >= 0.2.20), in one import.
 *
 * Subscribe to a catalog (new runs and their stop documents), a run (streams, rows, frames, stop),
 * a table (rows as they are appended) or an array (new frames), as async iterators that take an
 * AbortSignal. Under tslab import this file, not the folder. The message schemas, the socket and
 * the sequence tracking are internal modules of this folder.
 *
 * @example
 * import { subscribeCatalog, nextRun, followRun } from "./lib/live/index";
 * const catalog = subscribeCatalog("live"); await catalog.connected;      // then start a run
 * const run = await nextRun(catalog);
 * for await (const ev of followRun(`live/${run.key}`)) if (ev.kind === "rows") console.log(ev.table.numRows);
 */
export { subscribe, Subscription, DEFAULT_RECONNECT } from "./subscription";
export type { SubscribeOptions, ReconnectPolicy, LiveEvent, SubscriptionStats } from "./subscription";
export { subscribeCatalog, nextRun, CatalogSubscription } from "./catalog";
export type { CatalogEvent } from "./catalog";
export { followRun, RunFollower } from "./run";
export type { RunEvent, FollowRunOptions } from "./run";
export { subscribeTable, TableSubscription } from "./table";
export type { TableEvent } from "./table";
export { subscribeArray, readRef, ArraySubscription } from "./array";
export type { ArrayEvent, ArraySubscribeOptions } from "./array";
export { LivePlot } from "./plot";
export type { LivePlotOptions } from "./plot";
