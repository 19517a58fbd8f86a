/**
 * live/index.ts — live updates from tiled (websocket streaming, tiled >= 0.2.20), in one import.
 *
 * Subscribe to a catalog (new runs and their stop documents), a run (streams, rows, frames, stop),
 * a table (rows as they are appended) or an array (new frames), as async iterators that take an
 * AbortSignal. Under tslab import this file, not the folder.
 *
 * @example
 * import { subscribeCatalog, nextRun, followRun } from "./lib/live/index";
 * const catalog = subscribeCatalog("live"); await catalog.connected;      // then start a run
 * const run = await nextRun(catalog);
 * for await (const ev of followRun(`live/${run.key}`)) if (ev.kind === "rows") console.log(ev.table.numRows);
 */
export * from "./schemas";
export * from "./envelope";
export * from "./sequence";
export * from "./channel";
export * from "./socket";
export * from "./subscription";
export * from "./table";
export * from "./array";
export * from "./catalog";
export * from "./run";
export * from "./plot";
