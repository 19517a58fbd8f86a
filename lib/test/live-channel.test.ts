// live/channel.ts: the queue between socket callbacks and the caller's `for await`, with the
// high-water marks that hold a producer back (issue 19, item 10). No server needed.
import { describe, expect, it } from "vitest";
import { Channel } from "../live/channel";

describe("19.10 the channel tells its producer when to stop and when to go on", () => {
  it("19.10 past maxItems or maxBytes it is full (onPressure true); pulled down to half of both, it is not (false); nothing is dropped", async () => {
    const calls: boolean[] = [];
    const ch = new Channel<number>({ maxItems: 4, maxBytes: 1000, sizeOf: (n) => n, onPressure: (full) => calls.push(full) });
    for (const n of [1, 1, 1, 1]) ch.push(n);
    expect(ch.full).toBe(false);
    ch.push(1); // the fifth item
    expect([ch.full, calls]).toEqual([true, [true]]);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push((await ch.next()).value as number);
    expect([ch.length, ch.full, calls]).toEqual([2, false, [true, false]]);
    ch.push(1001); // one item over maxBytes
    expect([ch.full, ch.bytes]).toEqual([true, 1003]);
    ch.end();
    for await (const n of ch) got.push(n);
    expect(got).toEqual([1, 1, 1, 1, 1, 1001]);
  });

  it("19.10 room() waits while the channel is full, and is released by a pull or by end()", async () => {
    const ch = new Channel<string>({ maxItems: 1 });
    ch.push("a");
    ch.push("b");
    let released = false;
    const waiting = ch.room().then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(released).toBe(false);
    await ch.next();
    await ch.next();
    await waiting;
    expect(released).toBe(true);
    ch.push("c");
    ch.push("d");
    const again = ch.room();
    ch.end();
    await again;
  });
});

describe("ending", () => {
  it("end() lets the caller take what is queued, then finishes or throws; end(error, { discard: true }) drops it (an abort)", async () => {
    const kept = new Channel<number>();
    kept.push(1);
    kept.end(new Error("after the items"));
    expect((await kept.next()).value).toBe(1);
    await expect(kept.next()).rejects.toThrow("after the items");
    const dropped = new Channel<number>({ sizeOf: () => 10 });
    dropped.push(1);
    dropped.end(new Error("aborted"), { discard: true });
    expect(dropped.bytes).toBe(0);
    await expect(dropped.next()).rejects.toThrow("aborted");
  });
});
