/**
 * live/index.ts — live updates from tiled (websocket streaming, tiled >= 0.2.20), in one import.
 *
 * Subscribe to a catalog (new runs and their stop documents), a run (streams, rows, frames, stop),
 * a table (rows as they are appended) or an array (new frames), as async iterators that take an
 * AbortSignal. Under tslab import this file, not the folder. The message schemas, the socket and
 * the sequence tracking are internal modules of this folder.
 *
 * @example
 * import { subscribeCatalog, nextRun, followRun } from "./lib/live/index.js";
 * const catalog = subscribeCatalog("live"); await catalog.connected;      // then start a run
 * const run = await nextRun(catalog);
 * for await (const ev of followRun(`live/${run.key}`)) if (ev.kind === "rows") console.log(ev.table.numRows);
 */
export { subscribe, Subscription, DEFAULT_RECONNECT, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_BUFFERED_MESSAGES } from "./subscription.js";
export type { SubscribeOptions, ReconnectPolicy, LiveEvent, SubscriptionStats } from "./subscription.js";
export { subscribeCatalog, nextRun, CatalogSubscription } from "./catalog.js";
export type { CatalogEvent } from "./catalog.js";
export { followRun, RunFollower } from "./run.js";
export type { RunEvent, FollowRunOptions } from "./run.js";
export { subscribeTable, TableSubscription } from "./table.js";
export type { TableEvent } from "./table.js";
export { subscribeArray, readRef, ArraySubscription } from "./array.js";
export type { ArrayEvent, ArraySubscribeOptions } from "./array.js";
export { LivePlot } from "./plot.js";
export type { LivePlotOptions } from "./plot.js";
