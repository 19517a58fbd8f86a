// live/sequence.ts: how a subscription classifies each message's sequence number (next,
// duplicate, gap, or a counter that began again after a reconnect). No server needed.
import { describe, expect, it } from "vitest";
import { SequenceTracker } from "../live/sequence";

describe("SequenceTracker", () => {
  it("classifies next, duplicate, gap and, on a fresh connection, reset", () => {
    const t = new SequenceTracker(1);
    expect(t.classify(1)).toBe("next");
    t.accept(1);
    expect(t.classify(1)).toBe("duplicate");
    expect(t.classify(4)).toBe("gap");
    expect(t.missing(4)).toEqual([2, 3]);
    t.reconnected();
    expect(t.classify(1)).toBe("reset");
    expect(new SequenceTracker(0).next).toBe(1); // start=0 replays like start=1
    expect(new SequenceTracker().classify(17)).toBe("next"); // live only: whatever comes first
  });
});
