/**
 * live/channel.ts — a queue between callbacks (socket events) and an async iterator (the caller).
 *
 * Sockets push whenever frames arrive; the caller pulls with `for await`. Items wait in order
 * until pulled (no frame is dropped while the caller is busy drawing), and `end(error)` makes the
 * next pull finish or throw. Several producers may share one channel, which is how a run's
 * subscriptions (run, stream, table) are merged into one iteration.
 *
 * @example
 * const ch = new Channel<number>();
 * setTimeout(() => { ch.push(1); ch.push(2); ch.end(); }, 10);
 * for await (const n of ch) console.log(n);      // 1, 2
 */
/** A queue the socket side pushes into and the iterator pulls from. */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiter: (() => void) | undefined;
  #done = false;
  #error: unknown;

  push(item: T): void {
    if (this.#done) return;
    this.#items.push(item);
    this.#wake();
  }
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#wake();
  }
  get done(): boolean {
    return this.#done;
  }
  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return { value: item, done: false };
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }
}

