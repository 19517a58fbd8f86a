/**
 * pagination.ts — walk a search through its pages, safely.
 *
 * tiled answers a search one page at a time (`page[limit]` ≤ 300, default 100) and gives
 * `links.next`. That link carries only the page parameters, so the filters and the sort are put
 * back on every page (as tiled's Python client does). `page[limit]=0` returns no items while
 * `links.next` stays non-null, so a naive loop never ends: here a page size must be 1…300, an empty
 * page ends the walk, and a next link seen before is an error rather than a loop.
 *
 * @example
 * const url = `${transport.baseUrl}/api/v1/search/bdp2022`;
 * const params = queriesToParams([Key("start.plan_name").eq("push_images")]);
 * for await (const page of paginate(transport, url, { params, sort: ["start.time"], pageSize: 300 })) {
 *   for (const item of page.data) console.log(item.id);
 * }
 */
import { badInput, TiledError } from "./errors.js";
import type { Transport } from "./http/transport.js";
import type { RequestOptions } from "./http/types.js";
import { SearchPage } from "./schemas/node.js";
import { withParams } from "./urls.js";

/** The server's maximum `page[limit]`. */
export const MAX_PAGE_LIMIT = 300;
/** The server's default `page[limit]`. */
export const DEFAULT_PAGE_LIMIT = 100;

/** Return `size` if it is an integer in 1…300; otherwise throw bad-input (0 would loop forever on the server's next link). */
export function checkPageSize(size: number): number {
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_LIMIT) {
    throw badInput(
      `Page size ${JSON.stringify(size)} is invalid: it must be an integer from 1 to ${MAX_PAGE_LIMIT} ` +
        `(the server's maximum; 0 returns no items yet a non-null next link).`,
    );
  }
  return size;
}

export interface PaginateOptions extends RequestOptions {
  /** Filter parameters (queriesToParams) and any other non-page parameters, e.g. ["fields", ""]. */
  params?: [string, string][];
  /** Sort keys, `-` for descending; sent as repeated `sort=` parameters. */
  sort?: readonly string[];
  /** Items per page, 1…300. Default 100. */
  pageSize?: number;
  /** Start at this item (`page[offset]`). */
  offset?: number;
}

/**
 * Make sure `fields`, when given, includes `count`, for a hand-built search URL (`requestsTiled`):
 * without it tiled 0.2.20 reports an estimated `meta.count` (101 for a 503-run catalog) and, with an
 * explicit sort (offset paging), sets `links.next` to null once offset + limit passes that estimate.
 * An empty `fields=` (ids only) becomes `fields=count&fields=structure_family` (`fields=count` alone
 * returns no items). `paginate` does not use it: `count` among the fields also makes tiled count
 * every listed container's children, one query per item (see the count request in `paginate`).
 */
export function withCountField(params: readonly [string, string][]): [string, string][] {
  const fields = params.filter(([name]) => name === "fields").map(([, value]) => value);
  if (fields.length === 0 || fields.includes("count")) return [...params];
  const others = params.filter(([name, value]) => !(name === "fields" && value === ""));
  const extra: [string, string][] = [["fields", "count"]];
  if (!fields.some((f) => f !== "")) extra.push(["fields", "structure_family"]);
  return [...others, ...extra];
}

/** The `page[...]` parameters of a next link (the only ones it carries that we keep). */
function pageParams(link: string): [string, string][] {
  return [...new URL(link).searchParams.entries()].filter(([name]) => name.startsWith("page["));
}

/**
 * Yield each page of a search, in order, filters and sort re-added on each.
 *
 * `links.next` is followed while the server gives one. tiled 0.2.20 computes it from an
 * *estimated* count when `fields` leaves out `count`, and under an explicit sort (offset paging)
 * may end it early; asking for an exact count on every page instead makes the server count every
 * match once per page (6x slower listing of 2,500 of 10,000 runs, see bench/README.md). So a full
 * page with no next link is followed by one more page at the next offset; a short or empty page ends
 * the walk. Under the default sort tiled pages by cursor (`page[cursor]=<last id>`, read from
 * tiled 0.2.20's source): those links are exact, so once the server has handed out a cursor link,
 * a null one is the end and no extra page is asked for (25–53 ms saved per walk, bench/README.md).
 *
 * A server whose next links never end is stopped, with an invalid-response error, by two bounds:
 * progress (a page that holds only keys already seen) and the count it announced (more items than
 * an exact `meta.count`, which tiled gives when `count` is among the fields: on every page by
 * default; when the fields leave it out, from one count-only request sent beside the first page),
 * counted again once before giving up, since a live catalog grows while it is walked.
 *
 * The bound is asked for apart (`fields=count` alone, which tiled answers with a COUNT and no
 * items) rather than by adding `count` to the first page's fields: tiled 0.2.20 then also counts
 * the children of every container on that page (`construct_resource`), one query per item, which
 * made the first page of a 2,500-key walk cost 400 ms instead of 20 (bench/README.md, case c).
 */
export async function* paginate(transport: Transport, searchUrl: string, options: PaginateOptions = {}): AsyncGenerator<SearchPage> {
  const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_LIMIT);
  if (options.offset !== undefined && (!Number.isInteger(options.offset) || options.offset < 0)) {
    throw badInput(`Page offset ${options.offset} is invalid: it must be a non-negative integer.`);
  }
  const base = searchUrl.split("?")[0];
  const fixed: [string, string][] = [...(options.params ?? []), ...(options.sort ?? []).map((key): [string, string] => ["sort", key])];
  let page: [string, string][] = [["page[limit]", String(pageSize)]];
  if (options.offset) page.unshift(["page[offset]", String(options.offset)]);
  let itemsRead = options.offset ?? 0;
  let cursorLinks = false;
  const seen = new Set<string>();
  const keys = new Set<string>();
  const fields = fixed.filter(([name]) => name === "fields").map(([, value]) => value);
  // Without `count` among the fields, tiled only estimates meta.count (a lower bound, 101 for a
  // 503-run catalog); a count-only request beside the first page gives the walk its bound.
  const exactEveryPage = fields.length === 0 || fields.includes("count");
  let announced: number | undefined;
  /** The exact count now, in one light request (`fields=count` alone: tiled sends no items): the bound of a walk whose pages do not carry it, and again when the pages hold more than announced (a live catalog grows). */
  const recount = async (): Promise<number | undefined> => {
    const filters = fixed.filter(([name]) => name !== "fields" && name !== "sort");
    const answer = await transport.getJson(withParams(base, [["page[limit]", "1"], ...filters, ["fields", "count"]]), SearchPage, options);
    return typeof answer.meta.count === "number" ? answer.meta.count : undefined;
  };
  for (let first = true; ; first = false) {
    const url = withParams(base, [...page, ...fixed]);
    if (seen.has(url)) {
      throw new TiledError("invalid-response", "The server's next link points back to a page already read; stopping instead of looping.", { url });
    }
    seen.add(url);
    // The walk's bound, when the pages will not carry it, is counted while the first page loads.
    const [result, counted] = await Promise.all([transport.getJson(url, SearchPage, options), first && !exactEveryPage ? recount() : undefined]);
    if (counted !== undefined) announced = counted;
    if (result.data.length > 0 && result.data.every((item) => keys.has(item.id))) {
      throw new TiledError("invalid-response", `The server's next link gave a page of ${result.data.length} entries all seen before; stopping instead of looping.`, { url });
    }
    for (const item of result.data) keys.add(item.id);
    if (exactEveryPage && typeof result.meta.count === "number") announced = Math.max(announced ?? 0, result.meta.count);
    if (announced !== undefined && itemsRead + result.data.length > announced) {
      const now = await recount();
      if (now !== undefined && now > announced) announced = now;
      if (itemsRead + result.data.length > announced) {
        throw new TiledError("invalid-response", `The server announced ${announced} entries but its pages hold more; stopping instead of reading on.`, { url });
      }
    }
    yield result;
    if (result.data.length === 0) return;
    itemsRead += result.data.length;
    const next = result.links.next;
    if (next) {
      page = pageParams(next);
      cursorLinks ||= page.some(([name]) => name === "page[cursor]");
    } else if (result.data.length >= pageSize && !cursorLinks) page = [["page[offset]", String(itemsRead)], ["page[limit]", String(pageSize)]];
    else return;
  }
}
