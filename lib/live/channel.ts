/**
 * live/channel.ts — a queue between callbacks (socket events) and an async iterator (the caller),
 * with a high-water mark so a slow caller holds the producer back instead of growing memory.
 *
 * Sockets push whenever frames arrive; the caller pulls with `for await`. Items wait in order
 * until pulled (no frame is dropped while the caller is busy drawing), and `end(error)` makes the
 * next pull finish or throw. Several producers may share one channel, which is how a run's
 * subscriptions (run, stream, table) are merged into one iteration.
 *
 * The channel counts what it holds (items, and bytes as `sizeOf` estimates them). `push` never
 * refuses, so nothing is lost, but once either count passes its high-water mark `full` is true and
 * `onPressure(true)` is called: the producer must stop reading (a subscription pauses its socket,
 * so TCP pushes back on the server; a merging pump awaits `room()`). When the caller has pulled it
 * down to half the marks, `onPressure(false)` lets the producer go on. What a channel holds is so
 * bounded by the marks plus what was already in flight when the producer was told to stop.
 *
 * @example
 * const ch = new Channel<number>({ maxItems: 2, onPressure: (full) => console.log("full:", full) });
 * setTimeout(() => { ch.push(1); ch.push(2); ch.push(3); ch.end(); }, 10);   // full: true
 * for await (const n of ch) console.log(n);      // 1, 2 (full: false), 3
 */
export interface ChannelOptions<T> {
  /** High-water mark in items (default: no limit). */
  maxItems?: number;
  /** High-water mark in bytes as `sizeOf` counts them (default: no limit). */
  maxBytes?: number;
  /** An item's size in bytes (default 0). */
  sizeOf?: (item: T) => number;
  /** Told when the channel passes a high-water mark (true) and when it is down to half of both again (false). */
  onPressure?: (full: boolean) => void;
}

/** A queue the socket side pushes into and the iterator pulls from. */
export class Channel<T> implements AsyncIterable<T> {
  #items: { item: T; size: number }[] = [];
  #bytes = 0;
  #full = false;
  #waiter: (() => void) | undefined;
  #roomWaiters: (() => void)[] = [];
  #done = false;
  #error: unknown;
  readonly #maxItems: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (item: T) => number;
  readonly #onPressure: ((full: boolean) => void) | undefined;

  constructor(options: ChannelOptions<T> = {}) {
    this.#maxItems = options.maxItems ?? Infinity;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#onPressure = options.onPressure;
  }

  push(item: T, size = this.#sizeOf(item)): void {
    if (this.#done) return;
    this.#items.push({ item, size });
    this.#bytes += size;
    if (!this.#full && (this.#items.length > this.#maxItems || this.#bytes > this.#maxBytes)) {
      this.#full = true;
      this.#onPressure?.(true);
    }
    this.#wake();
  }
  /** No more items: the next pulls take what is queued, then finish (or throw `error`); with `discard`, what is queued is dropped (an abort). */
  end(error?: unknown, options: { discard?: boolean } = {}): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    if (options.discard) {
      this.#items = [];
      this.#bytes = 0;
    }
    this.#wake();
    this.#releaseRoom();
  }
  get done(): boolean {
    return this.#done;
  }
  /** Items waiting to be pulled. */
  get length(): number {
    return this.#items.length;
  }
  /** Bytes waiting to be pulled, as `sizeOf` counted them. */
  get bytes(): number {
    return this.#bytes;
  }
  /** True from passing a high-water mark until the caller has pulled down to half of both. */
  get full(): boolean {
    return this.#full;
  }
  /** Resolves when the channel is not full (at once if it is not): a pump awaits it before pushing. */
  room(): Promise<void> {
    if (!this.#full || this.#done) return Promise.resolve();
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }
  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
  #releaseRoom(): void {
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      const entry = this.#items.shift();
      if (entry !== undefined) {
        this.#bytes -= entry.size;
        if (this.#full && this.#items.length <= this.#maxItems / 2 && this.#bytes <= this.#maxBytes / 2) {
          this.#full = false;
          this.#onPressure?.(false);
          this.#releaseRoom();
        }
        return { value: entry.item, done: false };
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }
}
