/**
 * testing/canonical.ts — the TypeScript twin of the oracle's canonical encoding
 * (`oracle-canonical/1`, server/oracle/canonical.py), so a variable read by this client and the
 * same variable read by tiled's Python client digest alike when, and only when, their values agree.
 *
 * The rules, as canonical.py states them (change both files, and the format name, together):
 *
 * - **numeric** (bool, ints, floats, datetime/timedelta counts): each element, in C order, as an
 *   IEEE-754 binary64, little-endian, whatever the source's type or byte order; integers rounded to
 *   the nearest binary64 (`Number(bigint)` and numpy's `astype(float64)` agree); every NaN (and a
 *   null, which this client reads as NaN) as the one pattern 0x7FF8000000000000; ±Infinity and -0.0
 *   keep their own bits.
 * - **text**: each element as a u32 little-endian byte count and its UTF-8 bytes (a lone surrogate
 *   becomes U+FFFD, as TextEncoder does); a missing element (null) is the count 0xFFFFFFFF and no bytes.
 *
 * The digest is the lowercase hex SHA-256 of those bytes; shape and encoding are reported beside it.
 *
 * @example
 * import { canonicalOf, digestNumbers } from "tiled-client/testing";
 * digestNumbers([1, -2.5, NaN, Infinity, -0]);          // "f8b4d072…"
 * const data = await stream.read();
 * canonicalOf(data.columns.time);                       // { encoding: "numeric", shape: [n], sha256, first }
 * canonicalOf(data.arrays.adsimdet_image);              // the frames: shape [events, 1, 1024, 1024]
 */
import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import type { Vector } from "apache-arrow";
import { DataType } from "apache-arrow";
import { vectorNumbers } from "../columns.js";
import { byteswap, toNumbers } from "../dtype.js";
import type { ArrayData, TypedArray } from "../dtype.js";

export const CANONICAL_FORMAT = "oracle-canonical/1";

export type CanonicalEncoding = "numeric" | "text";

/** One variable's canonical description, as stream_digest.py records it (shape, encoding, sha256, first values). */
export interface CanonicalDigest {
  encoding: CanonicalEncoding;
  shape: number[];
  sha256: string;
  /** The first three elements as JSON values: NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"; missing text as null. */
  first: (number | string | null)[];
}

const LITTLE_ENDIAN_MACHINE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Elements converted at a time: bounds the copy of a large frame stack, as canonical.py does. */
const CHUNK = 1 << 20;
const MISSING_LENGTH = 0xffffffff;

/** Numbers (any TypedArray, or plain numbers) into a hash, as float64 LE with the one NaN. */
function updateNumbers(hash: Hash, values: ArrayLike<number> | TypedArray): void {
  const numbers: ArrayLike<number> = values instanceof BigInt64Array || values instanceof BigUint64Array ? toNumbers(values) : (values as ArrayLike<number>);
  for (let start = 0; start < numbers.length; start += CHUNK) {
    const n = Math.min(CHUNK, numbers.length - start);
    const out = new Float64Array(n);
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) {
      const x = numbers[start + i];
      if (x !== x) {
        // Written as words: a typed array may keep a NaN's sign and payload.
        words[2 * i] = LITTLE_ENDIAN_MACHINE ? 0 : 0x7ff80000;
        words[2 * i + 1] = LITTLE_ENDIAN_MACHINE ? 0x7ff80000 : 0;
      } else out[i] = x;
    }
    const bytes = new Uint8Array(out.buffer);
    if (!LITTLE_ENDIAN_MACHINE) byteswap(bytes, 8);
    hash.update(bytes);
  }
}

/** Strings (null or undefined: missing) into a hash, each as a u32 LE length and UTF-8. */
function updateText(hash: Hash, values: ArrayLike<string | null | undefined>): void {
  const encoder = new TextEncoder();
  const length = new Uint8Array(4);
  const view = new DataView(length.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      view.setUint32(0, MISSING_LENGTH, true);
      hash.update(length);
      continue;
    }
    const bytes = encoder.encode(v);
    view.setUint32(0, bytes.byteLength, true);
    hash.update(length);
    hash.update(bytes);
  }
}

/** The canonical SHA-256 of numbers (every TypedArray, BigInt ones included). */
export function digestNumbers(values: ArrayLike<number> | TypedArray): string {
  const hash = createHash("sha256");
  updateNumbers(hash, values);
  return hash.digest("hex");
}

/** The canonical SHA-256 of text (null or undefined: a missing element). */
export function digestText(values: ArrayLike<string | null | undefined>): string {
  const hash = createHash("sha256");
  updateText(hash, values);
  return hash.digest("hex");
}

function firstNumbers(values: ArrayLike<number> | TypedArray): (number | string)[] {
  const out: (number | string)[] = [];
  for (let i = 0; i < Math.min(3, values.length); i++) {
    const x = Number(values[i]);
    out.push(Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : x);
  }
  return out;
}

function isTextVector(vector: Vector): boolean {
  const type: DataType = vector.type;
  const values = DataType.isDictionary(type) ? type.dictionary : type;
  return DataType.isUtf8(values) || DataType.isLargeUtf8(values);
}

/**
 * A column (an Arrow vector: text or numbers, nulls as missing/NaN) or an array (ArrayData) in the
 * canonical encoding. A column's shape is its length; an array's is its own.
 */
export function canonicalOf(value: Vector | ArrayData): CanonicalDigest {
  if ("dataType" in value && "shape" in value) {
    return { encoding: "numeric", shape: [...value.shape], sha256: digestNumbers(value.data), first: firstNumbers(value.data) };
  }
  const vector = value;
  if (isTextVector(vector)) {
    const strings = Array.from({ length: vector.length }, (_, i): string | null => {
      const v: unknown = vector.get(i);
      return typeof v === "string" ? v : null;
    });
    return { encoding: "text", shape: [vector.length], sha256: digestText(strings), first: strings.slice(0, 3) };
  }
  const numbers = vectorNumbers(vector, "value");
  return { encoding: "numeric", shape: [vector.length], sha256: digestNumbers(numbers), first: firstNumbers(numbers) };
}
