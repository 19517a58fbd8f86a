/**
 * index.ts — the library's public API, in one import (under tslab, import this file, not the folder).
 *
 * Two layers, like the demo's two kinds of client: `requestsTiled` and friends show the HTTP API
 * by hand; `fromUri` and the node clients work like tiled's Python client. Everything else is an
 * internal module, importable from its own file (see docs/architecture.md). Live updates have
 * their own entry point, lib/live/index.ts; notebook display helpers are in lib/notebook/.
 *
 * @example
 * import { fromUri, Key, summary } from "./lib/index.js";
 * const catalog = await fromUri("http://127.0.0.1:8000/bdp2022");
 * const run = await catalog.search(Key("start.plan_name").eq("push_images")).sort("start.time").values({ kind: "run" }).last();
 * console.log(await summary(run, "US/Central"));
 * const data = await run.stream("primary").then((s) => s.read());   // one await per expression under tslab
 */

// Connect, and the node clients (tiled's Python client: from_uri, Container, BlueskyRun, …).
export { fromUri } from "./client/from-uri.js";
export type { FromUriOptions } from "./client/from-uri.js";
export { Context } from "./context.js";
export type { ContextOptions } from "./context.js";
export type { ClientOptions, RetryPolicy, BulkReader } from "./config.js";
export { BaseClient } from "./client/base.js";
export { Container } from "./client/container.js";
export type { SortKey } from "./client/container.js";
export { LazyView } from "./client/container.js";
export { CatalogOfBlueskyRuns, asCatalogOfRuns } from "./client/catalog.js";
export { BlueskyRun } from "./client/run.js";
export { BlueskyEventStream } from "./client/stream.js";
export type { StreamReadOptions } from "./client/stream.js";
export type { StreamData } from "./client/stream-data.js";
export { ArrayClient } from "./client/array.js";
export type { ArrayReadOptions } from "./client/array.js";
export { TableClient } from "./client/table.js";
export type { TableReadOptions } from "./client/table.js";
export { DEFAULT_STRUCTURE_CLIENTS } from "./client/structure-clients.js";
export type { ClientKind, ClientKinds, StructureClients } from "./client/kinds.js";

// Export, data sources and raw files, writes, metadata changes, deep search (issue 20).
export type { ExportOptions, ExportResult } from "./client/export.js";
export { nodeFormats, resolveFormat, KNOWN_EXTENSIONS } from "./client/formats.js";
export type { Asset, DataSource, RawExportOptions } from "./client/data-sources.js";
export type { NodeOptions, WriteArrayOptions, AppendableTableOptions, SpecInput } from "./client/write.js";
export { DEFAULT_BLOCK_BYTES } from "./client/write.js";
export { encodeArray, parseDtype } from "./client/array-encode.js";
export type { EncodedArray } from "./client/array-encode.js";
export { DELETE_KEY, JSON_PATCH, MERGE_PATCH, applyUpdate, jsonPatchDiff } from "./client/metadata-update.js";
export type { MetadataUpdate, MetadataRevision, UpdateMetadataOptions, PatchMetadataOptions, DeleteOptions, JsonPatchOperation, PatchContentType } from "./client/metadata-update.js";
export type { SearchDeepOptions } from "./client/search-deep.js";
export { checkJson } from "./client/json-check.js";
// apache-arrow, as this library loads it. Build tables to write with these: under tslab a notebook's
// own `import ... from "apache-arrow"` loads the CommonJS copy, whose tables pass `instanceof` but
// serialize to Arrow files the server cannot read (the dual-package hazard; writeTable refuses them).
export * as arrow from "apache-arrow";
export type { ProgressCallback } from "./progress.js";

// Logging in (tiled's Python Context.login, logout, whoami, API keys) and the shared token cache.
export type { LoginOptions, DevicePrompt } from "./auth/login.js";
export { showDeviceCode } from "./auth/login.js";
export type { CreateApiKeyOptions } from "./auth/account.js";
export type { Credentials } from "./auth/credentials.js";
export { TokenCache, tokenDirectory, userCacheDir } from "./auth/token-cache.js";
export type { Tokens } from "./auth/token-cache.js";
export { Principal, NewApiKey, ApiKeyInfo, Authentication, AuthProvider } from "./schemas/auth.js";

// Queries (tiled.queries), the Bluesky ones, and the loose-match rules.
export { Key, Eq, NotEq, Comparison, Contains, In, NotIn, Like, FullText, KeyPresent, SpecsQuery, SpecQuery, StructureFamilyQuery, Regex, KeysFilter, KeyLookup } from "./queries.js";
export type { Query, ScalarValue } from "./queries.js";
export { TimeRange, ScanID, ScanIDRange, PartialUID } from "./bluesky-queries.js";
export { LOOSE_MATCH_RULES, fulltextQuote } from "./loose.js";

// The demo's `requests` section: hand-built URIs.
export { requestsTiled, requestsTiledBytes, tiledUri, searchSuffix, searchParams } from "./requests.js";
export type { RequestsTiledOptions, RequestsTiledBytesOptions, SearchSuffixOptions } from "./requests.js";

// Data: arrays, columns, times.
export { decodeArray, toNumbers } from "./dtype.js";
export type { ArrayData, NumberArray, TypedArray } from "./dtype.js";
export { columnNumbers } from "./columns.js";
export { describeTable } from "./describe.js";
export { LAYOUT_DIFFERENCES } from "./layout-differences.js";
export type { LayoutDifference } from "./layout-differences.js";
export type { NullPolicy, NumbersOptions } from "./columns.js";
export { isotimeToTimestamp, timestampToIsotime } from "./time.js";

// Bluesky documents and the API's answers, as zod schemas (parse with them; their types come along).
export { RunStart, RunStop, RunMetadata, StreamMetadata, DataKey } from "./schemas/bluesky.js";
export { SearchPage, MetadataResponse, NodeResource } from "./schemas/node.js";
export { ArrayStructure, TableStructure } from "./schemas/structures.js";

// Summaries for people.
export { summary } from "./summary.js";
export type { RunSummary } from "./summary.js";
export { tree } from "./tree.js";

// Errors.
export { TiledError, isTiledError } from "./errors.js";
export type { TiledErrorCode } from "./errors.js";

// How requests are sent: the options every read takes, and the HTTP functions a context can be given.
export type { RequestOptions, HttpFunction, HttpRequest, HttpResponse, BodySink } from "./http/types.js";
export { fetchHttp } from "./http/node-fetch.js";
export { socketHttp } from "./http/socket-get.js";
