/**
 * requests.ts — the demo's `requests` section, ported: build a tiled URI by hand and GET its JSON.
 *
 * `requestsTiled(server, catalog, { api, suffix, port })` GETs
 * `http://${server}:${port}${api}/${catalog}${suffix}` and returns the parsed JSON, validated
 * (a search page by default, a node for `api: "/api/v1/metadata"`). It goes through the same
 * context as the client (`context` option), so credentials, errors and timeouts behave the same. `searchSuffix`
 * shows how `?page[limit]=…&filter[…][condition][…]=…&sort=…` is put together.
 *
 * Today's paths differ from 2022's: `/api/v1/node/search` is now `/api/v1/search`, and
 * `/api/v1/node/metadata` is `/api/v1/metadata`. A filter name the server does not know is
 * refused here before sending (tiled would silently ignore it); pass `checkFilters: false` to see
 * that for yourself.
 *
 * @example
 * const suffix = searchSuffix({ queries: [Key("start.plan_name").eq("push_images")], sort: ["start.time"], limit: 300 });
 * // "?page[limit]=300&filter[eq][condition][key]=start.plan_name&filter[eq][condition][value]=%22push_images%22&sort=start.time"
 * const r = await requestsTiled("localhost", "bdp2022", { suffix });
 * console.log(r.meta.count, r.data[0].id);
 * const node = await requestsTiled("localhost", `bdp2022/${uid}`, { api: "/api/v1/metadata" });
 */
import { z } from "zod";
import { Context } from "./context.js";
import type { ContextOptions } from "./context.js";
import { badInput } from "./errors.js";
import type { RequestOptions } from "./http/types.js";
import { withCountField } from "./pagination.js";
import { assertQueriesSupported, filterNamesInParams, queriesToParams } from "./queries.js";
import type { Query } from "./queries.js";
import { MetadataResponse, SearchPage } from "./schemas/node.js";
import { tiledUri } from "./urls.js";
import type { TiledUriParts } from "./urls.js";

export { tiledUri };
export type { TiledUriParts };

/** The demo's default route. */
export const DEFAULT_API = "/api/v1/search";

export interface RequestsTiledOptions extends TiledUriParts, RequestOptions, Omit<ContextOptions, "baseUrl" | "structureClients"> {
  /**
   * Send through this context (its credentials, timeouts and caps). It must be for the same server
   * as the URI. Default: a context made from the other options for the URI's server.
   */
  context?: Context;
  /** Refuse filter names the server does not register (default true). */
  checkFilters?: boolean;
}

export interface SearchSuffixOptions {
  queries?: readonly Query[];
  /** Sort keys, "-" in front for descending. */
  sort?: readonly string[];
  /** page[limit]: 1…300. */
  limit?: number;
  /** page[offset]. */
  offset?: number;
  /**
   * Attributes to return (metadata, structure_family, structure, count, sorting, specs, data_sources);
   * [] for ids only. `count` is added when missing: without it tiled estimates meta.count and, with
   * a sort, ends links.next early (see pagination.ts withCountField).
   */
  fields?: readonly string[];
}

/** The search parameters as name/value pairs, in the order written. */
export function searchParams(options: SearchSuffixOptions = {}): [string, string][] {
  const out: [string, string][] = [];
  if (options.offset !== undefined) out.push(["page[offset]", String(options.offset)]);
  if (options.limit !== undefined) out.push(["page[limit]", String(options.limit)]);
  out.push(...queriesToParams(options.queries ?? []));
  if (options.fields) {
    const fields: [string, string][] = options.fields.length === 0 ? [["fields", ""]] : options.fields.map((f): [string, string] => ["fields", f]);
    out.push(...withCountField(fields));
  }
  for (const key of options.sort ?? []) out.push(["sort", key]);
  return out;
}

/** The same parameters as a URLSearchParams (which percent-encodes the brackets too when printed). */
export function searchUrlSearchParams(options: SearchSuffixOptions = {}): URLSearchParams {
  return new URLSearchParams(searchParams(options));
}

/** A readable query string: brackets left as they are, values percent-encoded. Empty → "". */
export function searchSuffix(options: SearchSuffixOptions = {}): string {
  const params = searchParams(options);
  if (params.length === 0) return "";
  return `?${params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("&")}`;
}

/** The context a hand-built URI is sent through: the caller's, checked to be for the same server, or a new one. */
function contextFor(uri: string, options: RequestsTiledOptions): Context {
  const origin = new URL(uri).origin;
  if (options.context) {
    if (new URL(options.context.baseUrl).origin !== origin) {
      throw badInput(`The URI's server ${origin} is not the context's (${new URL(options.context.baseUrl).origin}): its credentials would not be sent there.`);
    }
    return options.context;
  }
  const { api: _api, suffix: _suffix, port: _port, scheme: _scheme, checkFilters: _check, signal: _signal, onProgress: _progress, ...contextOptions } = options;
  return new Context({ ...contextOptions, baseUrl: origin });
}

/** The demo's `requests_tiled`: GET a hand-built tiled URI and return its JSON (a search page by default). */
export function requestsTiled(server: string, catalog: string, options?: RequestsTiledOptions & { api?: "/api/v1/search" }): Promise<SearchPage>;
export function requestsTiled(server: string, catalog: string, options: RequestsTiledOptions & { api: "/api/v1/metadata" }): Promise<MetadataResponse>;
export function requestsTiled(server: string, catalog: string, options: RequestsTiledOptions): Promise<unknown>;
export async function requestsTiled(server: string, catalog: string, options: RequestsTiledOptions = {}): Promise<unknown> {
  const uri = tiledUri(server, catalog, options);
  const url = new URL(uri);
  const context = contextFor(uri, options);
  if (options.checkFilters ?? true) {
    const names = filterNamesInParams(url.searchParams.entries());
    if (names.length) {
      const about = await context.about(options);
      assertQueriesSupported(names, about.queries, uri);
    }
  }
  const api = options.api ?? DEFAULT_API;
  const schema: z.ZodType = api === "/api/v1/search" ? SearchPage : api === "/api/v1/metadata" ? MetadataResponse : z.unknown();
  return context.transport.getJson(uri, schema, options);
}

export interface RequestsTiledBytesOptions extends RequestsTiledOptions {
  /** The MIME type asked for: "application/octet-stream" for arrays, "application/vnd.apache.arrow.file" for tables. */
  accept: string;
}

/**
 * The binary twin of `requestsTiled`: GET a hand-built URI (`/api/v1/array/full/…`,
 * `/api/v1/table/full/…`) and return the body's bytes. Bulk data never goes through JSON; decode
 * arrays with `decodeArray(bytes, structure.data_type)` and tables with apache-arrow's `tableFromIPC`.
 *
 * @example
 * const bytes = await requestsTiledBytes("localhost", `bdp2022/${uid}/primary/adsimdet_image`,
 *   { api: "/api/v1/array/full", suffix: "?slice=0", accept: "application/octet-stream" });
 */
export async function requestsTiledBytes(server: string, path: string, options: RequestsTiledBytesOptions): Promise<Uint8Array> {
  const uri = tiledUri(server, path, options);
  return contextFor(uri, options).transport.getBytes(uri, { ...options, accept: options.accept });
}
