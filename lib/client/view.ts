/**
 * client/view.ts — a lazy, async sequence of a container's keys, values or items.
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
import { badInput, TiledError } from "../errors.js";

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
