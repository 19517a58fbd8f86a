/**
 * dtype.ts — an array's `data_type` (numpy kind, itemsize, endianness) to a JavaScript TypedArray.
 *
 * The server sends array bytes raw, C-ordered, in the array's own byte order. This module picks
 * the TypedArray for each kind and itemsize, swaps big-endian bytes in place, and names the type
 * as numpy would ("uint16", ">f8"). 8-byte integers become BigInt64Array / BigUint64Array (exact;
 * use `Number(x)` when the values fit in 2^53). bool becomes Uint8Array of 0/1. float16 widens to
 * Float32Array (Node 20 has no Float16Array). complex64/128 become Float32/64Array with real and
 * imaginary parts interleaved (twice as many elements as the shape says). datetime64/timedelta64
 * become BigInt64Array counts of `dt_units`. Strings, bytes and structured types are refused.
 *
 * @example
 * const dt = { endianness: "big", kind: "i", itemsize: 4 } as const;
 * const data = decodeArray(bytes, dt);      // Int32Array, bytes swapped to the machine's order
 * numpyName(dt);                            // "int32"
 * numpyStr(dt);                             // ">i4"
 */
import { firstValues } from "./describe.js";
import { TiledError } from "./errors.js";
import type { BuiltinDtype, StructDtype } from "./schemas/structures.js";

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A TypedArray whose elements are JavaScript numbers (every TypedArray but the BigInt ones). */
export type NumberArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

/** The decoded data of an array read: values, shape, and numpy's name of the type. */
export interface ArrayData<T extends TypedArray = TypedArray> {
  /** The values, C-ordered, in the TypedArray of the dtype (Uint16Array for uint16, BigInt64Array for int64, …). */
  data: T;
  shape: number[];
  /** numpy's name: "uint16", "float64", "int64", "bool", "complex128", "datetime64[ns]", … */
  dtype: string;
  /** The structure's data_type as the server described it. */
  dataType: BuiltinDtype;
  /** The values as numbers, for arithmetic and plots: `data` itself, or for 64-bit integers a Float64Array made on first use. */
  readonly numbers: NumberArray;
  /** "ArrayData uint16 [10, 1, 1024, 1024]: 71, 72, 73, …" (also what console.log prints). */
  toString(): string;
}

/** Build an ArrayData: `numbers` is computed lazily, once, so a uint16 image is never copied. */
export function arrayData<T extends TypedArray>(data: T, shape: readonly number[], dataType: BuiltinDtype): ArrayData<T> {
  let numbers: NumberArray | undefined;
  const dtype = numpyName(dataType);
  const text = () => `ArrayData ${dtype} [${shape.join(", ")}]: ${firstValues(data)}`;
  return {
    data,
    shape: [...shape],
    dtype,
    dataType,
    get numbers(): NumberArray {
      numbers ??= toNumbers(data);
      return numbers;
    },
    toString: text,
    // What console.log and a notebook print: the short form, not a million values.
    [Symbol.for("nodejs.util.inspect.custom")]: text,
  };
}

const LITTLE_ENDIAN_MACHINE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** True when the data type describes one number per element (no fields). */
export function isBuiltinDtype(dt: BuiltinDtype | StructDtype): dt is BuiltinDtype {
  return "kind" in dt;
}

/** numpy's dtype string: "<u2", ">f8", "|b1". */
export function numpyStr(dt: BuiltinDtype): string {
  const order = dt.endianness === "big" ? ">" : dt.endianness === "little" ? "<" : "|";
  return `${order}${dt.kind}${dt.itemsize}${dt.dt_units ?? ""}`;
}

/** numpy's dtype name: "uint16", "float64", "bool", "datetime64[ns]". */
export function numpyName(dt: BuiltinDtype): string {
  const bits = dt.itemsize * 8;
  switch (dt.kind) {
    case "b": return "bool";
    case "i": return `int${bits}`;
    case "u": return `uint${bits}`;
    case "f": return `float${bits}`;
    case "c": return `complex${bits}`;
    case "m": return `timedelta64${dt.dt_units ?? ""}`;
    case "M": return `datetime64${dt.dt_units ?? ""}`;
    case "S": return `bytes${dt.itemsize}`;
    case "U": return `str${dt.itemsize / 4}`;
    case "V": return `void${bits}`;
  }
}

function unsupported(dt: BuiltinDtype | StructDtype, why: string): TiledError {
  const name = isBuiltinDtype(dt) ? `${numpyName(dt)} (${numpyStr(dt)})` : "a structured dtype";
  const instead = isBuiltinDtype(dt) && (dt.kind === "U" || dt.kind === "S") ? "Read text with ArrayClient.readText()." : "Read it with format=json instead.";
  return new TiledError("unsupported-dtype", `Cannot decode ${name} into a TypedArray: ${why}. ${instead}`);
}

/** Reverse the bytes of every `itemsize`-byte element, in place. */
export function byteswap(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  if (bytes.byteLength % itemsize !== 0) {
    throw new TiledError("invalid-response", `${bytes.byteLength} bytes is not a whole number of ${itemsize}-byte elements.`);
  }
  for (let i = 0; i < bytes.byteLength; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** IEEE 754 half precision (its 16 bits) to a JavaScript number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Check the kind/itemsize pair has a TypedArray, without decoding (throws unsupported-dtype). */
export function checkDecodable(dt: BuiltinDtype | StructDtype): BuiltinDtype {
  if (!isBuiltinDtype(dt)) throw unsupported(dt, "structured (record) types have several fields per element");
  const ok: Record<string, number[]> = { b: [1], i: [1, 2, 4, 8], u: [1, 2, 4, 8], f: [2, 4, 8], c: [8, 16], m: [8], M: [8] };
  if (!(ok[dt.kind] ?? []).includes(dt.itemsize)) throw unsupported(dt, "no TypedArray holds this kind and size");
  return dt;
}

/**
 * View `bytes` as the TypedArray of `dt`. Big-endian data on a little-endian machine (and the
 * reverse) is swapped in place first, so the caller must own `bytes`. `bytes.byteOffset` must be a
 * multiple of the itemsize (true for buffers the transport allocates).
 */
export function decodeArray(bytes: Uint8Array, dt: BuiltinDtype | StructDtype): TypedArray {
  const checked = checkDecodable(dt);
  const size = checked.kind === "c" ? checked.itemsize / 2 : checked.itemsize;
  const swap = size > 1 && ((checked.endianness === "big" && LITTLE_ENDIAN_MACHINE) || (checked.endianness === "little" && !LITTLE_ENDIAN_MACHINE));
  if (bytes.byteLength % checked.itemsize !== 0) {
    throw new TiledError("invalid-response", `${bytes.byteLength} bytes is not a whole number of ${checked.itemsize}-byte ${numpyName(checked)} elements.`);
  }
  if (swap) byteswap(bytes, size);
  let buffer = bytes.buffer;
  let offset = bytes.byteOffset;
  if (offset % size !== 0) {
    // Unaligned view: copy once so the TypedArray can start on an element boundary.
    const copy = new Uint8Array(bytes);
    buffer = copy.buffer;
    offset = 0;
  }
  const count = bytes.byteLength / size;
  switch (`${checked.kind}${checked.itemsize}`) {
    case "b1":
    case "u1":
      return new Uint8Array(buffer, offset, count);
    case "i1":
      return new Int8Array(buffer, offset, count);
    case "i2":
      return new Int16Array(buffer, offset, count);
    case "u2":
      return new Uint16Array(buffer, offset, count);
    case "i4":
      return new Int32Array(buffer, offset, count);
    case "u4":
      return new Uint32Array(buffer, offset, count);
    case "i8":
    case "m8":
    case "M8":
      return new BigInt64Array(buffer, offset, count);
    case "u8":
      return new BigUint64Array(buffer, offset, count);
    case "f2": {
      const halves = new Uint16Array(buffer, offset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]);
      return out;
    }
    case "f4":
    case "c8":
      return new Float32Array(buffer, offset, count);
    case "f8":
    case "c16":
      return new Float64Array(buffer, offset, count);
  }
  throw unsupported(checked, "no TypedArray holds this kind and size");
}

/** Numbers for plotting: the data itself when it already holds numbers, else a Float64Array (BigInt → Number, exact below 2^53). */
export function toNumbers(data: TypedArray): NumberArray {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, (x) => Number(x));
  return data;
}

/** A nested array of numbers, one level per axis. */
export type NestedNumbers = number | NestedNumbers[];

/** Reshape flat C-ordered data into nested arrays (e.g. an image's rows for a heatmap). */
export function toNested(data: TypedArray, shape: readonly number[]): NestedNumbers {
  const flat = toNumbers(data);
  const build = (axis: number, offset: number): NestedNumbers => {
    if (axis === shape.length) return flat[offset];
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out: NestedNumbers[] = [];
    for (let i = 0; i < shape[axis]; i++) out.push(build(axis + 1, offset + i * stride));
    return out;
  };
  return build(0, 0);
}

/** True for numpy's text kinds: "U" (UCS-4 text) and "S" (bytes), which no TypedArray holds. */
export function isTextDtype(dt: BuiltinDtype | StructDtype): dt is BuiltinDtype {
  return isBuiltinDtype(dt) && (dt.kind === "U" || dt.kind === "S");
}

/**
 * The true width of text described with `itemsize: 0`, as databroker describes string data keys
 * ("<U0") while sending UCS-4 at the width numpy chose: the bytes received divided by the number
 * of elements, which must be whole (and, for "U", whole characters of 4 bytes).
 */
export function textWidth(byteLength: number, dt: BuiltinDtype, count: number | undefined): BuiltinDtype {
  if (dt.itemsize > 0) return dt;
  if (count === undefined) throw new TiledError("invalid-response", `${numpyStr(dt)} gives no width, and the element count is unknown: cannot split ${byteLength} bytes into strings.`);
  if (count === 0) {
    if (byteLength !== 0) throw new TiledError("invalid-response", `${byteLength} bytes for an array of no elements.`);
    return { ...dt, itemsize: dt.kind === "U" ? 4 : 1 };
  }
  const width = byteLength / count;
  const unit = dt.kind === "U" ? 4 : 1;
  if (!Number.isInteger(width) || width % unit !== 0 || width === 0) {
    throw new TiledError(
      "invalid-response",
      `${byteLength} bytes is not ${count} ${dt.kind === "U" ? "UCS-4 strings (4 bytes a character)" : "byte strings"} of one width (the structure says ${numpyStr(dt)}, width unknown).`,
    );
  }
  return { ...dt, itemsize: width };
}

/**
 * Decode numpy fixed-width text: kind "U" is UCS-4 (4 bytes per character, in the array's byte
 * order), kind "S" is bytes (read as Latin-1); both are padded with NULs, which are dropped, as
 * numpy does when it hands out a str (trailing ones only). databroker serves string data keys this way, described with
 * `itemsize: 0`: then `count` (the number of elements) gives the width (see textWidth).
 */
export function decodeStrings(bytes: Uint8Array, dt: BuiltinDtype, count?: number): string[] {
  if (!isTextDtype(dt)) throw unsupported(dt, "not a text type");
  if (dt.itemsize === 0) dt = textWidth(bytes.byteLength, dt, count);
  if (bytes.byteLength % dt.itemsize !== 0) {
    throw new TiledError("invalid-response", `${bytes.byteLength} bytes is not a whole number of ${dt.itemsize}-byte ${numpyStr(dt)} elements.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = dt.endianness !== "big";
  const out: string[] = [];
  for (let at = 0; at < bytes.byteLength; at += dt.itemsize) {
    let text = "";
    if (dt.kind === "U") {
      for (let i = 0; i < dt.itemsize; i += 4) {
        const code = view.getUint32(at + i, little);
        if (code > 0x10ffff) throw new TiledError("invalid-response", `Element ${at / dt.itemsize} of a ${numpyStr(dt)} array holds ${code}, which is no Unicode code point.`);
        text += String.fromCodePoint(code);
      }
    } else {
      for (let i = 0; i < dt.itemsize; i++) text += String.fromCharCode(bytes[at + i]);
    }
    // numpy strips trailing NULs only (the padding); a NUL inside the text is kept.
    out.push(text.replace(/\u0000+$/, ""));
  }
  return out;
}
