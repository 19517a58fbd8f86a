/**
 * live/array.ts — an array node's new data: values sent inline (array-data) or a reference to a
 * slab in an external file (array-ref, e.g. one area-detector frame per event).
 *
 * array-data payloads are decoded with the element type of the connection's array-schema, and
 * must hold exactly the message's shape of it (else invalid-response, ending the iteration). An
 * array-ref has no payload; `readRef` fetches its slab over HTTP (the message is published after
 * the database commit, so the slab is readable as soon as it arrives).
 *
 * @example
 * import { subscribeArray, readRef } from "./lib/live/array.js";
 * const frames = subscribeArray("live/<uid>/primary/saxs_det_image", { start: 1 });
 * for await (const ev of frames) if (ev.kind === "ref") console.log(ev.shape, (await readRef(frames, ev)).data.length);
 * // ev.kind === "data": ev.array.data is a TypedArray of shape ev.array.shape, at ev.offset
 */
import { arrayData, checkDecodable, decodeArray } from "../dtype.js";
import type { ArrayData } from "../dtype.js";
import { TiledError } from "../errors.js";
import type { BuiltinDtype, StructDtype } from "../schemas/structures.js";
import { arrayOf } from "./envelope.js";
import { SubscriptionView } from "./subscription.js";
import type { LiveEvent, SubscribeOptions } from "./subscription.js";

export type ArrayEvent =
  | { kind: "data"; sequence: number; array: ArrayData; offset: number[] | null }
  /** New data in an external file: `patch` is the new slab, `shape` the array's new total shape. */
  | { kind: "ref"; sequence: number; shape: number[]; patch: { offset: number[]; shape: number[] } | null; uri?: string }
  | Exclude<LiveEvent, { kind: "update" }>;

export type ArraySubscribeOptions = SubscribeOptions;

export class ArraySubscription extends SubscriptionView implements AsyncIterable<ArrayEvent> {
  /** The element type, from the connection's array-schema message. */
  readonly dataType: Promise<BuiltinDtype | StructDtype>;

  constructor(path: string, options: ArraySubscribeOptions = {}) {
    super(path, options);
    this.dataType = this.subscription.schema.then((s) => {
      if (s.type !== "array-schema") throw new TiledError("bad-input", `${path} is not an array (its stream sends ${s.type}).`);
      return s.data_type;
    });
    this.dataType.catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ArrayEvent> {
    for await (const ev of this.subscription) {
      if (ev.kind !== "update") yield ev;
      else if (ev.message.type === "array-data") {
        const m = ev.message;
        yield { kind: "data", sequence: m.sequence, array: arrayOf(m, await this.dataType, this.subscription.path), offset: m.offset ?? null };
      } else if (ev.message.type === "array-ref") {
        const m = ev.message;
        yield { kind: "ref", sequence: m.sequence, shape: m.shape, patch: m.patch ? { offset: m.patch.offset, shape: m.patch.shape } : null, uri: m.uri };
      }
    }
  }
}

/** Subscribe to an array node's new data. */
export function subscribeArray(path: string, options: ArraySubscribeOptions = {}): ArraySubscription {
  return new ArraySubscription(path, options);
}

/** Read the slab an array-ref announced (GET its uri as application/octet-stream). */
export async function readRef(sub: ArraySubscription, ref: Extract<ArrayEvent, { kind: "ref" }>, options: { signal?: AbortSignal } = {}): Promise<ArrayData> {
  if (!ref.uri) throw new TiledError("invalid-response", `array-ref ${ref.sequence} has no uri to read.`);
  const dataType = await sub.dataType;
  const shape = ref.patch?.shape ?? ref.shape;
  const itemsize = dataType.itemsize;
  const bytes = await sub.subscription.context.transport.getBytes(ref.uri, { accept: "application/octet-stream", expectedBytes: shape.reduce((a, b) => a * b, 1) * itemsize, signal: options.signal });
  return arrayData(decodeArray(bytes, dataType), shape, checkDecodable(dataType));
}
