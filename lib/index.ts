/**
 * index.ts — the library's public API, in one import (under tslab, import this file, not the folder).
 *
 * Two layers, like the demo's two kinds of client: `requestsTiled` and friends show the HTTP API
 * by hand; `fromUri` and the node clients work like tiled's Python client. Everything else is an
 * internal module, importable from its own file (see docs/architecture.md). Live updates have
 * their own entry point, lib/live/index.ts; notebook display helpers are in lib/notebook/.
 *
 * @example
 * import { fromUri, Key, summary } from "./lib/index";
 * const catalog = await fromUri("http://127.0.0.1:8000/bdp2022");
 * const run = await catalog.search(Key("start.plan_name").eq("push_images")).sort("start.time").values({ kind: "run" }).last();
 * console.log(await summary(run, "US/Central"));
 * const data = await run.stream("primary").then((s) => s.read());   // one await per expression under tslab
 */

// Connect, and the node clients (tiled's Python client: from_uri, Container, BlueskyRun, …).
export { fromUri } from "./client/from-uri";
export type { FromUriOptions } from "./client/from-uri";
export { Context } from "./client/context";
export type { ContextOptions } from "./client/context";
export { BaseClient } from "./client/base";
export { Container } from "./client/container";
export type { SortKey } from "./client/container";
export { LazyView } from "./client/view";
export { CatalogOfBlueskyRuns, asCatalogOfRuns } from "./client/catalog";
export { BlueskyRun } from "./client/run";
export { BlueskyEventStream } from "./client/stream";
export type { StreamReadOptions } from "./client/stream";
export type { StreamData } from "./client/stream-data";
export { ArrayClient } from "./client/array";
export type { ArrayReadOptions } from "./client/array";
export { TableClient } from "./client/table";
export type { TableReadOptions } from "./client/table";
export { DEFAULT_STRUCTURE_CLIENTS } from "./client/structure-clients";
export type { ClientKind, ClientKinds, StructureClients } from "./client/kinds";

// Queries (tiled.queries), the Bluesky ones, and the loose-match rules.
export { Key, Eq, NotEq, Comparison, Contains, In, NotIn, Like, FullText, KeyPresent, SpecsQuery, SpecQuery, StructureFamilyQuery, Regex, KeysFilter, KeyLookup } from "./queries";
export type { Query, ScalarValue } from "./queries";
export { TimeRange, ScanID, ScanIDRange, PartialUID } from "./bluesky-queries";
export { LOOSE_MATCH_RULES, fulltextQuote } from "./loose";

// The demo's `requests` section: hand-built URIs.
export { requestsTiled, requestsTiledBytes, tiledUri, searchSuffix, searchParams } from "./requests";
export type { RequestsTiledOptions, RequestsTiledBytesOptions, SearchSuffixOptions } from "./requests";

// Data: arrays, columns, times.
export { decodeArray, toNumbers } from "./dtype";
export type { ArrayData, NumberArray, TypedArray } from "./dtype";
export { columnNumbers } from "./columns";
export { isotimeToTimestamp, timestampToIsotime } from "./time";

// Bluesky documents and the API's answers, as zod schemas (parse with them; their types come along).
export { RunStart, RunStop, RunMetadata, StreamMetadata, DataKey } from "./schemas/bluesky";
export { SearchPage, MetadataResponse, NodeResource } from "./schemas/node";
export { ArrayStructure, TableStructure } from "./schemas/structures";

// Summaries for people.
export { summary } from "./summary";
export type { RunSummary } from "./summary";
export { tree } from "./tree";

// Errors, and the transport for those who need its options.
export { TiledError, isTiledError } from "./errors";
export type { TiledErrorCode } from "./errors";
export { Transport } from "./transport";
export type { TransportOptions } from "./settings";
export type { RequestOptions } from "./http/types";
