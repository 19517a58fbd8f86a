/**
 * Recorded websocket frames and a fake socket, for lib/live's unit tests (live-*.test.ts): frames
 * recorded from the replica by lib/test/fixtures/record_live.mjs (fixtures/live-frames.json), played
 * through a socket factory that can reorder, cut, repeat and close them with the codes tiled uses.
 * No server needed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Context } from "../context";
import type { TiledError } from "../errors";
import type { SocketFactory, SocketHandlers } from "../live/socket";
import type { LiveEvent } from "../live/subscription";

export interface Recorded {
  path: string;
  envelope: "msgpack" | "json";
  frames: ({ b64: string } | { text: string })[];
  close: { code: number; reason: string };
}
const FIXTURE = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "live-frames.json"), "utf8")) as { connections: Recorded[] };

/** The recorded connection whose path ends with `suffix`, in that envelope. */
export const conn = (suffix: string, envelope = "msgpack"): Recorded => {
  const c = FIXTURE.connections.find((x) => x.path.endsWith(suffix) && x.envelope === envelope);
  if (!c) throw new Error(`no recorded connection for ${suffix}`);
  return c;
};
/** A recorded frame as the socket delivers it: bytes (msgpack) or text (json). */
export const bytes = (f: Recorded["frames"][number]): Uint8Array | string => ("b64" in f ? new Uint8Array(Buffer.from(f.b64, "base64")) : f.text);
export const TABLE = conn("/primary/internal");
export const TABLE_JSON = conn("/primary/internal", "json");
export const schemaFrame = bytes(TABLE.frames[0]);
export const tableFrame = (seq: number) => bytes(TABLE.frames[seq]); // frames[1..5] are sequences 1..5

export type Step = Uint8Array | string | { close: number; reason?: string } | { fail: TiledError };

/** A socket factory that plays one script per connection and records the URLs asked for. */
export function fakeSockets(scripts: Step[][]): { factory: SocketFactory; urls: string[] } {
  const urls: string[] = [];
  const factory: SocketFactory = (url, _options, handlers: SocketHandlers) => {
    urls.push(url);
    const script = scripts[urls.length - 1] ?? [];
    let closed = false;
    void (async () => {
      for (const step of script) {
        await new Promise((r) => setTimeout(r, 1));
        if (closed) return;
        if (typeof step === "string" || step instanceof Uint8Array) handlers.onMessage(step);
        else if ("close" in step) {
          closed = true;
          handlers.onClose(step.close, step.reason ?? "");
        } else {
          closed = true;
          handlers.onFailure(step.fail);
        }
      }
    })();
    return {
      close() {
        closed = true;
      },
    };
  };
  return { factory, urls };
}

/** The close a producer's end of stream sends. */
export const END = { close: 1000, reason: "Producer ended stream" };
/** Subscription options that keep a test fast (no server: the socket factory is always given). */
export const FAST = { context: new Context({ baseUrl: "http://127.0.0.1:1" }), gapGraceMs: 20, reconnect: { initialDelayMs: 1, attempts: 3 } };

/** The sequences a subscription delivers, with its gaps and resets, until it ends. */
export async function sequences(sub: AsyncIterable<LiveEvent>): Promise<(number | string)[]> {
  const out: (number | string)[] = [];
  for await (const ev of sub) out.push(ev.kind === "update" ? ev.message.sequence : ev.kind === "gap" ? `gap ${ev.from}-${ev.to}` : `reset ${ev.sequence}`);
  return out;
}
