/**
 * live/sequence.ts — ordering one node's updates by `sequence`: in order, duplicate, gap or reset.
 *
 * tiled numbers each node's updates from 1, and the server keeps no position per client: after a
 * reconnect the client asks for `start=<next expected>` and the server replays what its cache
 * still holds (the memory cache: 1000 messages for the whole server). So the client must notice
 * a gap (a sequence above the next expected), drop duplicates (replay overlapping what it has),
 * and tell a counter reset (a server restart begins again at 1) from a duplicate: after a new
 * connection, a first sequence below the expected one can only be a reset.
 *
 * @example
 * const seq = new SequenceTracker(1);          // start=1: expect 1 first
 * seq.classify(1);   // "next"     -> deliver, then seq.accept(1)
 * seq.classify(1);   // "duplicate"
 * seq.classify(5);   // "gap" (2..4 missing); seq.missing(5) -> [2, 4]
 */

/** What to do with an update whose sequence is `s`. */
export type SequenceVerdict = "next" | "duplicate" | "gap" | "reset";

export class SequenceTracker {
  /** The sequence expected next; undefined until the first update when subscribing without `start`. */
  #next: number | undefined;
  /** True until the first update of the current connection has been classified. */
  #fresh = true;

  constructor(start?: number) {
    // start=0 replays like start=1: the server never stores a message at 0.
    this.#next = start === undefined ? undefined : Math.max(1, start);
  }

  /** The sequence expected next (what to reconnect with as `start`), if known. */
  get next(): number | undefined {
    return this.#next;
  }

  /** The last sequence delivered, or 0. */
  get last(): number {
    return this.#next === undefined ? 0 : this.#next - 1;
  }

  /** A new connection begins: its first update may legitimately be lower (a counter reset). */
  reconnected(): void {
    this.#fresh = true;
  }

  classify(s: number): SequenceVerdict {
    const fresh = this.#fresh;
    this.#fresh = false;
    if (this.#next === undefined || s === this.#next) return "next";
    if (s > this.#next) return "gap";
    return fresh ? "reset" : "duplicate";
  }

  /** The inclusive range of sequences missing before `s` (call on a "gap"). */
  missing(s: number): [number, number] {
    return [this.#next ?? s, s - 1];
  }

  /** Record `s` as delivered: the next expected is s + 1. */
  accept(s: number): void {
    this.#next = s + 1;
  }

  /** Forget the position after a reset: the counter began again. */
  reset(): void {
    this.#next = undefined;
  }
}
