// progress.ts and notebook/display.ts's displayUpdatable: a large transfer's bar is one notebook
// output updated in place (the same display_id, update messages after the first) or one stderr
// line rewritten on a terminal; small transfers and non-terminals show none; the caller's
// onProgress hears every step regardless.
import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROGRESS_MIN_BYTES, formatBytes, progressBar } from "../progress";
import { displayUpdatable } from "../notebook/display";

const cache = createRequire(import.meta.url).cache;
const FAKE_KERNEL = "/fake/node_modules/tslab/dist/jupyter.js";

interface Sent {
  data: Record<string, unknown>;
  transient: Record<string, unknown>;
  update: boolean;
}

/** Pretend a tslab kernel is running: its display writer records what it is sent. */
function fakeKernel(): Sent[] {
  const sent: Sent[] = [];
  const writer = (message: { data: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => sent.push({ ...message, update });
  cache[FAKE_KERNEL] = { exports: { lastWriteDisplayData: writer } } as unknown as NodeJS.Module;
  return sent;
}

afterEach(() => {
  delete cache[FAKE_KERNEL];
  vi.restoreAllMocks();
});

describe("in a notebook", () => {
  it("one output, updated in place: a display, then updates with the same display_id", () => {
    const sent = fakeKernel();
    const now = vi.spyOn(Date, "now");
    let t = 1_000_000;
    now.mockImplementation(() => (t += 500));
    const heard: number[] = [];
    const bar = progressBar("export /big → big.bin", 64e6, (n) => heard.push(n));
    bar.step(16e6);
    bar.step(32e6);
    bar.done();
    expect(heard).toEqual([16e6, 32e6]);
    expect(sent.length).toBe(3);
    expect(sent.map((s) => s.update)).toEqual([false, true, true]);
    const ids = new Set(sent.map((s) => s.transient.display_id));
    expect(ids.size).toBe(1);
    expect(String(sent[0].data["text/html"])).toMatch(/<progress value="16000000" max="64000000"/);
    expect(String(sent[2].data["text/plain"])).toMatch(/^export \/big → big\.bin: 32\.0 MB of 64\.0 MB 50 %.* — done$/);
  });

  it("displayUpdatable replaces its own output only", () => {
    const sent = fakeKernel();
    const a = displayUpdatable({ "text/plain": "a0" });
    const b = displayUpdatable({ "text/plain": "b0" });
    a.update({ "text/plain": "a1" });
    expect(a.live).toBe(true);
    expect(sent[2].transient.display_id).toBe(sent[0].transient.display_id);
    expect(sent[2].transient.display_id).not.toBe(sent[1].transient.display_id);
    void b;
  });
});

describe("on a terminal", () => {
  it("one stderr line rewritten (\\r), ended by a newline when done", () => {
    const tty = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
    Object.defineProperty(process.stderr, "isTTY", { value: true, configurable: true });
    const writes: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const bar = progressBar("upload /big", 200e6);
      bar.step(100e6);
      bar.done();
    } finally {
      if (tty) Object.defineProperty(process.stderr, "isTTY", tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(writes.every((w) => w.startsWith("\r"))).toBe(true);
    expect(writes[writes.length - 1]).toMatch(/upload \/big: 100 MB of 200 MB 50 %.* — done\u001b\[K\n$/);
  });

  it("nothing for a small transfer on a terminal, nor for a large one when stderr is not a terminal", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const tty = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
    Object.defineProperty(process.stderr, "isTTY", { value: true, configurable: true });
    try {
      const small = progressBar("small", PROGRESS_MIN_BYTES - 1);
      small.step(PROGRESS_MIN_BYTES - 1);
      small.done();
    } finally {
      if (tty) Object.defineProperty(process.stderr, "isTTY", tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(process.stderr.isTTY).toBeFalsy(); // vitest's stderr is a pipe
    const big = progressBar("big", 1e9);
    big.step(5e8);
    big.done();
    expect(write).not.toHaveBeenCalled();
  });
});

it("formatBytes: decimal units, three significant digits", () => {
  expect([formatBytes(999), formatBytes(1500), formatBytes(1_073_741_824), formatBytes(2.5e12)]).toEqual(["999 B", "1.50 kB", "1.07 GB", "2.50 TB"]);
});
