/**
 * client/search-deep.ts — `container.searchDeep(queries, { maxDepth })`: every node below a
 * container, at any depth, that matches (tiled 0.2.20's `/search-deep` route; Python's
 * `search_deep`).
 *
 * Same filters as a search; `max_depth` 1…64. Results carry their path from the server's root
 * (`ancestors` + key), so each becomes the client for that node. Refused before sending: no query
 * (as Python), a depth out of range, a node whose links have no `search_deep`. Refused by servers
 * that cannot run it, and said so plainly: databroker's MongoAdapter (the legacy replica) lists
 * the link yet answers 400 "does not support deep search"; inside a registered HDF5 file, 400.
 * Pages are walked by offset up to the exact count the first page gives: keys repeat across
 * subtrees ("primary" under every run), so pages are not checked for repeated keys as a search's are.
 *
 * @example
 * const hits = await root.searchDeep([Key("sample").eq("Ni foil")], { maxDepth: 3 });
 * hits.map((node) => node.path.join("/"));   // ["roundtrip/ts", "roundtrip/ts/arrays/float64_le_2x3x4"]
 */
import { TiledError, badInput, isTiledError } from "../errors.js";
import { withParams } from "../urls.js";
import { queriesToParams } from "../queries.js";
import type { Query } from "../queries.js";
import { SearchPage } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import { checkPageSize, DEFAULT_PAGE_LIMIT } from "../pagination.js";
import type { BaseClient } from "./base.js";
import { clientForItem } from "./kinds.js";
import type { NodeRef } from "./export.js";

export interface SearchDeepOptions extends RequestOptions {
  /** How many levels below the container to look (1…64). Default: the server's (unlimited). */
  maxDepth?: number;
  /** Items per page (1…300). Default 100. */
  pageSize?: number;
}

/** Every node below `node` matching all `queries`, as clients. */
export async function searchDeepFrom(node: NodeRef, queries: readonly Query[], options: SearchDeepOptions = {}): Promise<BaseClient[]> {
  if (!Array.isArray(queries) || queries.length === 0) throw badInput("searchDeep needs at least one query, e.g. searchDeep([Key(\"sample\").eq(\"Ni\")]); to list children use keys() or values().");
  if (options.maxDepth !== undefined && (!Number.isInteger(options.maxDepth) || options.maxDepth < 1 || options.maxDepth > 64)) {
    throw badInput(`maxDepth ${options.maxDepth} must be an integer from 1 to 64.`);
  }
  const links = node.item.links ?? {};
  if (node.item.attributes.structure_family !== "container" && node.item.attributes.structure_family !== "composite") {
    throw badInput(`/${node.path.join("/")} is ${node.item.attributes.structure_family ?? "not a container"}: deep search looks below containers.`);
  }
  if (!links.search_deep) {
    throw new TiledError("unsupported-query", `This server does not offer deep search at /${node.path.join("/")} (no search_deep link; tiled added /search-deep in 0.2). Walk the tree with values() instead.`);
  }
  await node.context.checkQueries(queries, node.context.apiUrl("search-deep", node.path));
  const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_LIMIT);
  const base = node.context.apiUrl("search-deep", node.path);
  const fixed: [string, string][] = [...queriesToParams(queries), ...(options.maxDepth === undefined ? [] : [["max_depth", String(options.maxDepth)] as [string, string]])];
  const out: BaseClient[] = [];
  let total: number | undefined;
  for (let offset = 0; total === undefined || offset < total; ) {
    const url = withParams(base, [...fixed, ["page[offset]", String(offset)], ["page[limit]", String(pageSize)]]);
    let page: SearchPage;
    try {
      page = await node.context.transport.getJson(url, SearchPage, options);
    } catch (err) {
      if (isTiledError(err, "http") && err.status === 400 && /deep search/i.test(String(err.detail))) {
        throw new TiledError("unsupported-query", `The server cannot search below /${node.path.join("/")}: ${String(err.detail)} (databroker's MongoAdapter and registered files do not support it). Search each container with search() instead.`, { status: 400, url: err.url, detail: err.detail, cause: err });
      }
      throw err;
    }
    if (typeof page.meta.count === "number") total ??= page.meta.count;
    for (const item of page.data) {
      const path = [...item.attributes.ancestors, item.id];
      out.push(clientForItem(node.context, item, path));
    }
    offset += page.data.length;
    if (page.data.length === 0 || (total === undefined && !page.links.next)) break;
  }
  return out;
}
