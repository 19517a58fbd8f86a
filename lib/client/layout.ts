/**
 * client/layout.ts — which of the two ways of serving Bluesky runs a node uses, from its specs.
 *
 * - "tiledwriter": today's SQL catalog, written by bluesky-tiled-plugins' TiledWriter. Specs carry
 *   version 3.x (`CatalogOfBlueskyRuns` 3.0, `BlueskyRun` 3.0). Runs hold `{start, stop}`; a stream
 *   holds an `internal` table and one array per external data key. Bluesky queries (TimeRange,
 *   ScanID, …) are not implemented by the server and are rewritten on the client.
 * - "databroker": databroker's MongoAdapter (the 2022 demo's server, still common at facilities).
 *   Specs carry version 1. Runs hold `{start, stop, summary}`; a stream holds the containers
 *   `data`, `timestamps`, `config`, `config_timestamps` (xarray datasets of arrays). The server
 *   runs the Bluesky queries itself, searches the start document only, and sorts by bare keys.
 *
 * Decided from the node's specs, never from its URL, as bluesky-tiled-plugins decides between its
 * v2 and v3 clients. A stream's layout is confirmed from its children (see stream.ts).
 *
 * @example
 * catalogLayout(catalog.specs);                   // "databroker" for spec CatalogOfBlueskyRuns version "1"
 * specVersion(run.specs, "BlueskyRun");           // "3.0"
 * isDatabrokerSpec(stream.specs, "BlueskyEventStream");   // true for version "1"
 */
import type { Spec } from "../schemas/node.js";

export type BlueskyLayout = "tiledwriter" | "databroker";

/** The version string of the named spec, or null if absent or unversioned. */
export function specVersion(specs: readonly Spec[], name: string): string | null {
  const spec = specs.find((s) => s.name === name);
  return spec?.version ?? null;
}

/** True when the named spec is present with major version 1 or 2 (databroker's adapters). */
export function isDatabrokerSpec(specs: readonly Spec[], name: string): boolean {
  const version = specVersion(specs, name);
  if (version === null) return false;
  const major = Number.parseInt(version, 10);
  return major === 1 || major === 2;
}

/** The layout of a catalog of runs: databroker for CatalogOfBlueskyRuns 1.x/2.x, else TiledWriter's. */
export function catalogLayout(specs: readonly Spec[]): BlueskyLayout {
  return isDatabrokerSpec(specs, "CatalogOfBlueskyRuns") ? "databroker" : "tiledwriter";
}
