/**
 * client/container.ts — a node with children: search it, sort it, walk it lazily, look things up.
 *
 * Mirrors tiled's Python `Container`. `search(query)` and `sort(...)` return a new lazy view and
 * send nothing; `keys()`, `values()` and `items()` fetch pages as you iterate, re-adding filters and
 * sort on every page. Before a filter is sent, the server's registered queries are checked (tiled
 * ignores unknown filters silently). Regex on a node that cannot run it (SQL catalogs) is applied
 * here, on the client, after the other queries narrow the search (see loose.ts).
 *
 * @example
 * const catalog = await client.get("bdp2022", { kind: "catalog" });   // a CatalogOfBlueskyRuns
 * const pushes = catalog.search(Key("start.plan_name").eq("push_images")).sort("start.time");
 * console.log(await pushes.count(), await pushes.keys().first());
 * const run = await pushes.values().last();
 * const stream = await catalog.get([uid, "primary"], { kind: "stream" });
 */
import { rewriteBlueskyQuery } from "../bluesky-queries.js";
import { badInput, isTiledError, TiledError } from "../errors.js";
import { checkPathSegments } from "../urls.js";
import { compileRegex, isClientQuery, matchesOnClient } from "../loose.js";
import type { ClientQuery, CompiledRegex } from "../loose.js";
import { checkPageSize, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, paginate } from "../pagination.js";
import { withParams } from "../urls.js";
import { KeyLookup, isBlueskyQuery, queriesToParams } from "../queries.js";
import type { Query, RegexQuery } from "../queries.js";
import { DistinctResponse, MetadataResponse, SearchPage } from "../schemas/node.js";
import type { NodeResource } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import { BaseClient } from "./base.js";
import type { Context } from "../context.js";
import { asKind, clientForItem, withArticle } from "./kinds.js";
import type { ClientKind, ClientKinds } from "./kinds.js";
import type { AppendableTableOptions, NodeOptions, WriteArrayOptions } from "./write.js";
import type { SearchDeepOptions } from "./search-deep.js";
import type { Schema, Table } from "apache-arrow";
import type { TypedArray } from "../dtype.js";
import type { ArrayClient } from "./array.js";
import type { TableClient } from "./table.js";

/** A sort key: "start.time" (ascending), "-start.time" (descending), or ["start.time", -1]. */
export type SortKey = string | readonly [string, 1 | -1];

export interface ContainerState {
  queries: readonly Query[];
  sorting: readonly (readonly [string, 1 | -1])[] | null;
  /** Items per page as chosen with withPageSize(); null: 100 for values and items, 300 for keys. */
  pageSize: number | null;
}

function parseSortKey(key: SortKey): readonly [string, 1 | -1] {
  if (typeof key === "string") return key.startsWith("-") ? [key.slice(1), -1] : [key.replace(/^\+/, ""), 1];
  if (!Array.isArray(key) || typeof key[0] !== "string" || (key[1] !== 1 && key[1] !== -1)) {
    throw badInput(`Sort key ${JSON.stringify(key)} must be "key", "-key" or [key, 1 | -1].`);
  }
  return [key[0], key[1]];
}

export class Container extends BaseClient {
  readonly #state: ContainerState;

  constructor(context: Context, item: NodeResource, path: readonly string[], state: Partial<ContainerState> = {}) {
    super(context, item, path);
    this.#state = { queries: state.queries ?? [], sorting: state.sorting ?? null, pageSize: state.pageSize ?? null };
  }

  /** The queries applied so far (after Bluesky rewriting). */
  get queries(): readonly Query[] {
    return this.#state.queries;
  }

  /** The sort as (key, direction) pairs; the server's default is [["", 1]] (insertion order). */
  get sorting(): readonly (readonly [string, 1 | -1])[] {
    if (this.#state.sorting) return this.#state.sorting;
    const server = (this.item.attributes.sorting ?? []).map((s): readonly [string, 1 | -1] => [s.key, s.direction < 0 ? -1 : 1]);
    return server.length ? server : [["", 1]];
  }

  /** The view's state (queries, sorting, page size), e.g. to rebuild it as another class. */
  get state(): ContainerState {
    return { ...this.#state };
  }

  /** Items requested per page (1…300) by values() and items(); keys() asks for 300 unless a size was chosen. */
  get pageSize(): number {
    return this.#state.pageSize ?? DEFAULT_PAGE_LIMIT;
  }

  /**
   * The `fields` a listing of values or items asks for; undefined: all of them. A catalog of runs
   * leaves out `structure` and `count`, which make the server count every run's streams (4x slower
   * listing, bench/README.md) and which a run's client does not use.
   */
  protected listingFields(): readonly string[] | undefined {
    return undefined;
  }

  /** A copy of this client (same class) with some state changed. */
  protected newVariation(state: Partial<ContainerState>): this {
    const Ctor = this.constructor as new (context: Context, item: NodeResource, path: readonly string[], state: Partial<ContainerState>) => this;
    return new Ctor(this.context, this.item, this.path, { ...this.#state, ...state });
  }

  /** Turn a query as given into the queries sent (Bluesky queries rewritten). Overridden by catalogs of runs. */
  protected prepareQuery(query: Query): Query[] {
    return isBlueskyQuery(query) ? rewriteBlueskyQuery(query) : [query];
  }

  /** A new view with `query` added (all queries must match). Nothing is sent until you read. */
  search(query: Query): this {
    return this.newVariation({ queries: [...this.#state.queries, ...this.prepareQuery(query)] });
  }

  /** A new view sorted by these keys ("start.time", "-start.time", or ["start.time", -1]). */
  sort(...keys: SortKey[]): this {
    return this.newVariation({ sorting: keys.map(parseSortKey) });
  }

  /** A new view fetching `size` items per page (1…300; 0, negative or over 300 is bad-input). */
  withPageSize(size: number): this {
    return this.newVariation({ pageSize: checkPageSize(size) });
  }

  /** The `sort=` values, as the Python client writes them (reversed for backwards iteration). */
  sortParams(direction: 1 | -1 = 1): string[] {
    const list = this.sorting.map(([key, dir]) => `${dir * direction < 0 ? "-" : ""}${key}`);
    return list.join("") === "" ? [] : list;
  }

  get searchUrl(): string {
    return this.context.apiUrl("search", this.path);
  }

  /**
   * Where a query runs: on the server, on the client (against each listed node's metadata), or
   * both (the server narrows, the client checks again with the meaning the SQL catalog gives it).
   * Regex is decided apart: on the server when the node runs it, else on the client. Catalogs of
   * runs served by databroker override this (client/databroker-queries.ts).
   */
  protected queryPlacement(_query: Query): "server" | "client" | "both" {
    return "server";
  }

  /**
   * Split the queries into those the server runs and those checked here. Checks the server's
   * registered queries first, and probes once per path whether it runs regex.
   */
  protected async planQueries(options: RequestOptions = {}): Promise<{ server: Query[]; client: ClientQuery[] }> {
    const server: Query[] = [];
    const client: ClientQuery[] = [];
    if (this.#state.queries.length === 0) return { server, client };
    const about = await this.context.about(options);
    for (const query of this.#state.queries) {
      if (query.name === "regex") {
        compileRegex(query); // report a bad pattern before any request
        if (about.queries.includes("regex") && (await this.#regexRunsOnServer(query, options))) server.push(query);
        else client.push(query);
        continue;
      }
      const where = this.queryPlacement(query);
      if (where !== "client") server.push(query);
      if (where === "server") continue;
      // Never dropped: a query placed on the client that the client cannot check is an error here.
      if (!isClientQuery(query)) throw new TiledError("unsupported-query", `The ${query.name} query cannot be checked on the client.`, { url: this.searchUrl });
      client.push(query);
    }
    await this.context.checkQueries(server, this.searchUrl);
    await this.checkServerQueries(server, options);
    return { server, client };
  }

  /** Refuse a query the server would answer wrongly (catalogs of runs override it); nothing to check here. */
  protected async checkServerQueries(_queries: readonly Query[], _options: RequestOptions): Promise<void> {}

  async #regexRunsOnServer(query: RegexQuery, options: RequestOptions): Promise<boolean> {
    const key = this.path.join("/");
    const known = this.context.regexOnServer.get(key);
    if (known !== undefined) return known;
    const url = withParams(this.searchUrl, [...queriesToParams([query]), ["fields", ""], ["page[limit]", "1"]]);
    let supported = true;
    try {
      await this.context.transport.getJson(url, SearchPage, options);
    } catch (err) {
      if (isTiledError(err, "unsupported-query")) supported = false;
      else throw err;
    }
    this.context.regexOnServer.set(key, supported);
    return supported;
  }

  /** Refuse a sort the server would do wrong (catalogs of runs override it); nothing to check here. */
  protected async checkSorting(_options: RequestOptions): Promise<void> {}

  /** The children's descriptions, page by page, filters applied. `ids` asks for keys only. */
  protected async *iterate(direction: 1 | -1, limit: number | undefined, ids: boolean, options: RequestOptions = {}): AsyncGenerator<NodeResource> {
    if (limit === 0) return;
    await this.checkSorting(options);
    const { server, client } = await this.planQueries(options);
    const compiled = client.map((q): CompiledRegex | undefined => (q.name === "regex" ? compileRegex(q) : undefined));
    const params = queriesToParams(server);
    const keysOnly = ids && client.length === 0;
    // Client-side filters need each child's metadata, so ask for it then.
    const fields = keysOnly ? [""] : this.listingFields();
    for (const field of fields ?? []) params.push(["fields", field]);
    // Keys are small: a full page of 300 is 2.2x faster than 100 (bench/README.md), unless a size was chosen.
    const chosen = keysOnly ? (this.#state.pageSize ?? MAX_PAGE_LIMIT) : this.pageSize;
    const pageSize = limit !== undefined && client.length === 0 ? Math.min(limit, chosen) : chosen;
    let yielded = 0;
    for await (const page of paginate(this.context.transport, this.searchUrl, { ...options, params, sort: this.sortParams(direction), pageSize })) {
      for (const listed of page.data) {
        if (!client.every((q, i) => matchesOnClient(listed.attributes.metadata, q, compiled[i]))) continue;
        yield fields === undefined || keysOnly ? listed : await this.#withStructure(listed, options);
        if (limit !== undefined && ++yielded >= limit) return;
      }
    }
  }

  /** A listed child without its structure (see listingFields): fetched whole, unless it is a container. */
  async #withStructure(item: NodeResource, options: RequestOptions): Promise<NodeResource> {
    const family = item.attributes.structure_family;
    if (item.attributes.structure != null || family === "container" || family === "composite") return item;
    const response = await this.context.transport.getJson(this.context.apiUrl("metadata", [...this.path, item.id]), MetadataResponse, options);
    return response.data;
  }

  #describe(): string {
    return `/${this.path.join("/")}${this.#state.queries.length ? " (with the search applied)" : ""}`;
  }

  /** The children's keys, lazily. */
  keys(options: RequestOptions = {}): LazyView<string> {
    const self = this;
    return new LazyView(async function* (direction, limit) {
      for await (const item of self.iterate(direction, limit, true, options)) yield item.id;
    }, this.#describe());
  }

  /** The children as clients, lazily. With `kind`, each must be of that kind (typed accordingly). */
  values(): LazyView<BaseClient>;
  values<K extends ClientKind>(options: RequestOptions & { kind: K }): LazyView<ClientKinds[K]>;
  values(options?: RequestOptions): LazyView<BaseClient>;
  values(options: RequestOptions & { kind?: ClientKind } = {}): LazyView<BaseClient> {
    const self = this;
    return new LazyView(async function* (direction, limit) {
      for await (const item of self.iterate(direction, limit, false, options)) {
        const client = clientForItem(self.context, item, [...self.path, item.id]);
        yield options.kind ? asKind(client, options.kind, self.context.structureClients) : client;
      }
    }, this.#describe());
  }

  /** [key, client] pairs, lazily. */
  items(options: RequestOptions = {}): LazyView<[string, BaseClient]> {
    const self = this;
    return new LazyView(async function* (direction, limit) {
      for await (const item of self.iterate(direction, limit, false, options)) {
        yield [item.id, clientForItem(self.context, item, [...self.path, item.id])];
      }
    }, this.#describe());
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.keys()[Symbol.asyncIterator]();
  }

  /** How many children match (Python's `len(c)`). With a client-side regex, counts by reading. */
  async count(options: RequestOptions = {}): Promise<number> {
    const { server, client } = await this.planQueries(options);
    if (client.length === 0) {
      const url = withParams(this.searchUrl, [...queriesToParams(server), ["fields", "count"], ["page[limit]", "1"], ...this.sortParams().map((s): [string, string] => ["sort", s])]);
      const page = await this.context.transport.getJson(url, SearchPage, options);
      if (typeof page.meta.count === "number") return page.meta.count;
    }
    let n = 0;
    for await (const _item of this.iterate(1, undefined, true, options)) n++;
    return n;
  }

  /**
   * A child (or deeper node) by key: "uid", "uid/primary" or ["uid", "primary"]. On a searched
   * container the first key must be among the results. `kind` checks and types the result.
   * An unknown key → TiledError "not-found" (404).
   */
  get(key: string | readonly string[]): Promise<BaseClient>;
  get<K extends ClientKind>(key: string | readonly string[], options: RequestOptions & { kind: K }): Promise<ClientKinds[K]>;
  get(key: string | readonly string[], options?: RequestOptions): Promise<BaseClient>;
  async get(key: string | readonly string[], options: RequestOptions & { kind?: ClientKind } = {}): Promise<BaseClient> {
    const keys = (typeof key === "string" ? [key] : [...key]).flatMap((k) => {
      if (typeof k !== "string") throw badInput(`Container keys are strings, not ${JSON.stringify(k)}.`);
      return k.split("/");
    }).filter((k) => k !== "");
    if (keys.length === 0) throw badInput("get() needs a key.");
    checkPathSegments(keys);
    const client = await this.lookup(keys, options);
    return options.kind ? asKind(client, options.kind, this.context.structureClients) : client;
  }

  /** Resolve keys below this node (subclasses remap keys, e.g. a run's old `streams/` layout). */
  protected async lookup(keys: readonly string[], options: RequestOptions = {}): Promise<BaseClient> {
    if (this.#state.queries.length === 0) {
      const path = [...this.path, ...keys];
      const url = this.context.apiUrl("metadata", path);
      const response = await this.context.transport.getJson(url, MetadataResponse, options);
      return clientForItem(this.context, response.data, path);
    }
    // Searched: the first key must be one of the results.
    const [first, ...rest] = keys;
    const { server, client } = await this.planQueries(options);
    const url = withParams(this.searchUrl, [...queriesToParams([KeyLookup(first), ...server])]);
    const page = await this.context.transport.getJson(url, SearchPage, options);
    const item = page.data.find((d) => d.id === first);
    if (!item || !client.every((q) => matchesOnClient(item.attributes.metadata, q))) {
      throw new TiledError("not-found", `No entry ${JSON.stringify(first)} in ${this.#describe()}.`, { url, status: 404 });
    }
    const found = clientForItem(this.context, item, [...this.path, first]);
    if (rest.length === 0) return found;
    if (!(found instanceof Container)) throw badInput(`/${found.path.join("/")} has no children (it is ${withArticle(found.structureFamily ?? "node")}).`);
    return found.get(rest, options);
  }

  /** Distinct values of metadata keys among the children (`GET /distinct`), with counts. */
  async distinct(metadataKeys: readonly string[], options: RequestOptions & { counts?: boolean } = {}): Promise<DistinctResponse> {
    const { server } = await this.planQueries(options);
    const params: [string, string][] = [...metadataKeys.map((k): [string, string] => ["metadata", k]), ["counts", String(options.counts ?? true)], ...queriesToParams(server)];
    return this.context.transport.getJson(withParams(this.context.apiUrl("distinct", this.path), params), DistinctResponse, options);
  }

  // --- writes and deep search (issue 20): client/write.ts, client/search-deep.ts ------------------

  /** A new container under this one (Python's `create_container`); `key` undefined: the server picks one. */
  async createContainer(key: string | undefined, options: NodeOptions = {}): Promise<Container> {
    const { createContainerNode } = await import("./write.js");
    const item = await createContainerNode(this, key, options);
    return asKind(clientForItem(this.context, item, [...this.path, item.id]), "container", this.context.structureClients);
  }

  /** A new array node holding `data` (Python's `write_array`): every numeric dtype, big arrays in blocks. */
  async writeArray(key: string | undefined, data: TypedArray, options: WriteArrayOptions = {}): Promise<ArrayClient> {
    const { writeArrayNode } = await import("./write.js");
    const item = await writeArrayNode(this, key, data, options);
    return asKind(clientForItem(this.context, item, [...this.path, item.id]), "array", this.context.structureClients);
  }

  /** A new table node holding an Arrow table, stored as Parquet (Python's `write_table`). */
  async writeTable(key: string | undefined, table: Table, options: NodeOptions = {}): Promise<TableClient> {
    const { writeTableNode } = await import("./write.js");
    const item = await writeTableNode(this, key, table, options);
    return asKind(clientForItem(this.context, item, [...this.path, item.id]), "table", this.context.structureClients);
  }

  /** An empty table stored in SQL, filled with `appendPartition` (Python's `create_appendable_table`). */
  async createAppendableTable(key: string | undefined, schema: Schema, options: AppendableTableOptions = {}): Promise<TableClient> {
    const { createAppendableTableNode } = await import("./write.js");
    const item = await createAppendableTableNode(this, key, schema, options);
    return asKind(clientForItem(this.context, item, [...this.path, item.id]), "table", this.context.structureClients);
  }

  /** Every node below this one, at any depth, matching all `queries` (Python's `search_deep`). */
  async searchDeep(queries: readonly Query[], options: SearchDeepOptions = {}): Promise<BaseClient[]> {
    const { searchDeepFrom } = await import("./search-deep.js");
    return searchDeepFrom(this, queries, options);
  }

  override toString(): string {
    const q = this.#state.queries.length ? ` queries=${this.#state.queries.map((x) => x.name).join("+")}` : "";
    return `${super.toString().slice(0, -1)}${q}>`;
  }
}

/*
 * LazyView: a lazy, async sequence of a container's keys, values or items.
 *
 * Nothing is requested until you iterate or ask for `first()`, `head(n)` and so on; pages are then
 * fetched one at a time. `last()` and `tail(n)` reverse the sort on the server rather than reading
 * everything. Mirrors the Python client's `c.keys().first()`, `c.values().last()`, `c.items().head()`.
 *
 * @example
 * for await (const uid of catalog.keys()) console.log(uid);
 * const newest = await catalog.sort("start.time").values().last();
 * const [firstFive, count] = [await catalog.keys().head(5), await catalog.count()];
 * const all = await catalog.keys().toArray();
 */


/** Produces the sequence forwards (1) or backwards (-1), stopping after `limit` if given. */
export type ViewSource<T> = (direction: 1 | -1, limit?: number) => AsyncGenerator<T>;

export class LazyView<T> implements AsyncIterable<T> {
  readonly #source: ViewSource<T>;
  readonly #what: string;

  constructor(source: ViewSource<T>, what = "container") {
    this.#source = source;
    this.#what = what;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `<LazyView of ${this.#what}: iterate it, or call first(), last(), head(n), tail(n), toArray()>`;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#source(1);
  }

  /** The first entry; throws "not-found" if there is none. */
  async first(): Promise<T> {
    for await (const value of this.#source(1, 1)) return value;
    throw new TiledError("not-found", `No entries in ${this.#what}.`);
  }

  /** The last entry (one request with the sort reversed); throws "not-found" if there is none. */
  async last(): Promise<T> {
    for await (const value of this.#source(-1, 1)) return value;
    throw new TiledError("not-found", `No entries in ${this.#what}.`);
  }

  /** The first n entries (fewer if there are fewer). */
  async head(n = 5): Promise<T[]> {
    return collect(this.#source(1, checkCount(n)), n);
  }

  /** The last n entries, in forward order. */
  async tail(n = 5): Promise<T[]> {
    return (await collect(this.#source(-1, checkCount(n)), n)).reverse();
  }

  /** Every entry, page by page. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this.#source(1)) out.push(value);
    return out;
  }
}

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw badInput(`The count ${JSON.stringify(n)} must be a non-negative integer.`);
  return n;
}

async function collect<T>(source: AsyncGenerator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const value of source) {
    out.push(value);
    if (out.length >= n) break;
  }
  return out;
}
