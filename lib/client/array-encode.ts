/**
 * client/array-encode.ts — a TypedArray and a shape made into what tiled stores: a data_type, and
 * raw C-order bytes in that data_type's byte order, checked before anything is sent.
 *
 * The reverse of dtype.ts's decodeArray, for every numeric dtype the client reads. The TypedArray
 * decides the dtype unless `dtype` says otherwise, and then it must be one the TypedArray can
 * hold exactly (numpy names, "int32", or strings, "<i4", ">f8", "|b1"):
 *
 *   Int8Array i1 · Uint8Array u1, or bool (values 0/1 only) · Int16Array i2 · Uint16Array u2, or
 *   float16 as raw half-precision bits · Int32Array i4 · Uint32Array u4 · Float32Array f4, complex64
 *   (real and imaginary interleaved: twice the shape's size), or float16 (rounded to nearest even;
 *   refused when a value would overflow or lose more than rounding) · Float64Array f8, complex128
 *   (interleaved) · BigInt64Array i8, datetime64[unit], timedelta64[unit] · BigUint64Array u8.
 *
 * Byte order: the machine's by default (little on every machine Node runs on); ">…" writes
 * big-endian (tiled keeps it, and serves it big-endian). The length must match the shape (×2 for
 * complex); a mismatch, a dtype the array cannot hold, a bool array holding 2, are bad-input.
 *
 * @example
 * const enc = encodeArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * enc.dataType;    // { endianness: "little", kind: "f", itemsize: 4, dt_units: null }
 * enc.bytes;       // 24 bytes, a view of the array's own buffer (no copy)
 */
import { badInput } from "../errors.js";
import { byteswap, numpyStr } from "../dtype.js";
import type { TypedArray } from "../dtype.js";
import type { BuiltinDtype, Kind } from "../schemas/structures.js";

const LITTLE_ENDIAN_MACHINE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface EncodedArray {
  dataType: BuiltinDtype;
  shape: number[];
  /** C-order bytes in dataType's byte order (a view of the caller's buffer when no conversion was needed). */
  bytes: Uint8Array;
}

/** What a TypedArray holds natively: kind and itemsize. */
function nativeOf(data: TypedArray): { kind: Kind; itemsize: number; name: string } {
  if (data instanceof Int8Array) return { kind: "i", itemsize: 1, name: "Int8Array" };
  if (data instanceof Uint8Array) return { kind: "u", itemsize: 1, name: "Uint8Array" };
  if (data instanceof Int16Array) return { kind: "i", itemsize: 2, name: "Int16Array" };
  if (data instanceof Uint16Array) return { kind: "u", itemsize: 2, name: "Uint16Array" };
  if (data instanceof Int32Array) return { kind: "i", itemsize: 4, name: "Int32Array" };
  if (data instanceof Uint32Array) return { kind: "u", itemsize: 4, name: "Uint32Array" };
  if (data instanceof Float32Array) return { kind: "f", itemsize: 4, name: "Float32Array" };
  if (data instanceof Float64Array) return { kind: "f", itemsize: 8, name: "Float64Array" };
  if (data instanceof BigInt64Array) return { kind: "i", itemsize: 8, name: "BigInt64Array" };
  if (data instanceof BigUint64Array) return { kind: "u", itemsize: 8, name: "BigUint64Array" };
  throw badInput(`writeArray takes a TypedArray (Float64Array, Int32Array, …), not ${describeValue(data)}. Wrap plain numbers: new Float64Array(values).`);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a plain array";
  if (value === null) return "null";
  if (typeof value === "object") return `a ${(value as { constructor?: { name?: string } }).constructor?.name ?? "object"}`;
  return typeof value;
}

const NAMES: Readonly<Record<string, [Kind, number]>> = {
  bool: ["b", 1], int8: ["i", 1], int16: ["i", 2], int32: ["i", 4], int64: ["i", 8],
  uint8: ["u", 1], uint16: ["u", 2], uint32: ["u", 4], uint64: ["u", 8],
  float16: ["f", 2], float32: ["f", 4], float64: ["f", 8], complex64: ["c", 8], complex128: ["c", 16],
};

/** Parse "int32", "<i4", ">f8", "|b1", "datetime64[ns]", "<M8[us]" into a data_type (byte order not yet decided when absent). */
export function parseDtype(text: string): { kind: Kind; itemsize: number; order: "<" | ">" | "|" | undefined; units: string | null } {
  const t = text.trim();
  const named = NAMES[t];
  if (named) return { kind: named[0], itemsize: named[1], order: undefined, units: null };
  const dt = /^(datetime64|timedelta64)(\[[A-Za-z]+\])$/.exec(t);
  if (dt) return { kind: dt[1] === "datetime64" ? "M" : "m", itemsize: 8, order: undefined, units: dt[2] };
  const m = /^([<>|=]?)([biufcmM])(\d+)(\[[A-Za-z]+\])?$/.exec(t);
  if (m) {
    const order = m[1] === "" || m[1] === "=" ? undefined : (m[1] as "<" | ">" | "|");
    return { kind: m[2] as Kind, itemsize: Number(m[3]), order, units: m[4] ?? null };
  }
  throw badInput(`dtype ${JSON.stringify(text)} is not one this client writes: use a numpy name (int32, float16, bool, complex64, datetime64[ns]) or a numpy string ("<i4", ">f8", "|b1").`);
}

/** The dtypes each TypedArray may be written as (kind+itemsize), the first being its own. */
const HOLDS: Readonly<Record<string, string[]>> = {
  Int8Array: ["i1"],
  Uint8Array: ["u1", "b1"],
  Int16Array: ["i2"],
  Uint16Array: ["u2", "f2"],
  Int32Array: ["i4"],
  Uint32Array: ["u4"],
  Float32Array: ["f4", "c8", "f2"],
  Float64Array: ["f8", "c16", "f2"],
  BigInt64Array: ["i8", "M8", "m8"],
  BigUint64Array: ["u8"],
};

/** IEEE 754 half precision bits of a number, rounded to nearest even; undefined when it overflows. */
export function floatToHalf(value: number): number | undefined {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  if (a >= 65520) return undefined; // rounds to infinity: refuse rather than store inf for a finite value
  if (a < 2 ** -24 / 2) return sign; // underflows to zero (as numpy does)
  if (a < 2 ** -14) {
    // Subnormal: a multiple of 2^-24, rounded to nearest even.
    const m = a / 2 ** -24;
    const f = Math.floor(m);
    const d = m - f;
    return sign | (d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f);
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp -= 1;
  if (2 ** (exp + 1) <= a) exp += 1;
  const mant = a / 2 ** exp - 1; // [0, 1)
  const scaled = mant * 1024;
  let frac = Math.floor(scaled);
  const rest = scaled - frac;
  if (rest > 0.5 || (rest === 0.5 && frac % 2 === 1)) frac += 1;
  if (frac === 1024) {
    frac = 0;
    exp += 1;
  }
  if (exp > 15) return undefined;
  return sign | ((exp + 15) << 10) | frac;
}

/**
 * Check `data` against `shape` and `dtype` and produce the bytes to send. Bad-input, naming what
 * to do, for a length that does not match the shape, a dtype the TypedArray cannot hold, a bool
 * array with values other than 0 and 1, or float16 values that overflow.
 */
export function encodeArray(data: TypedArray, shape?: readonly number[], dtype?: string): EncodedArray {
  const native = nativeOf(data);
  const parsed = dtype === undefined ? undefined : parseDtype(dtype);
  const kind = parsed?.kind ?? native.kind;
  const itemsize = parsed?.itemsize ?? native.itemsize;
  const code = `${kind}${itemsize}`;
  const allowed = HOLDS[native.name];
  if (!allowed.includes(code)) {
    throw badInput(`${native.name.startsWith("Int") ? "An" : "A"} ${native.name} cannot hold ${dtype} exactly (it can be written as ${allowed.map((c) => c.replace(/^b1$/, "bool").replace(/^f2$/, "float16").replace(/^c(8|16)$/, (_, n) => `complex${Number(n) * 8}`)).join(", ")}). Convert the data to the TypedArray of that dtype first.`);
  }
  if ((kind === "m" || kind === "M") && !parsed?.units) throw badInput(`dtype ${dtype} needs units, e.g. datetime64[ns] or <m8[s].`);
  const dims = shape === undefined ? [data.length / (kind === "c" ? 2 : 1)] : [...shape];
  for (const n of dims) if (!Number.isSafeInteger(n) || n < 0) throw badInput(`shape [${dims.join(", ")}] must hold non-negative integers.`);
  const size = dims.reduce((a, b) => a * b, 1);
  const perElement = kind === "c" ? 2 : 1;
  if (data.length !== size * perElement) {
    throw badInput(
      `The ${native.name} holds ${data.length} values but shape [${dims.join(", ")}] needs ${size * perElement}${perElement === 2 ? ` (${size} complex values, real and imaginary interleaved)` : ""}. Give the shape that matches the data.`,
    );
  }
  if (kind === "b") {
    const bytes = data as Uint8Array;
    const bad = bytes.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw badInput(`A bool array holds only 0 and 1; element ${bad} is ${bytes[bad]}. Write it as uint8, or map it with (v) => (v ? 1 : 0).`);
  }
  const order: "little" | "big" | "not_applicable" = itemsize === 1 || kind === "b" ? "not_applicable" : parsed?.order === ">" ? "big" : parsed?.order === "<" ? "little" : LITTLE_ENDIAN_MACHINE ? "little" : "big";
  const dataType: BuiltinDtype = { endianness: order, kind, itemsize, dt_units: parsed?.units ?? null };

  let bytes: Uint8Array;
  if (kind === "f" && itemsize === 2 && native.kind === "f") {
    const halves = new Uint16Array(data.length);
    const source = data as Float32Array | Float64Array;
    for (let i = 0; i < source.length; i++) {
      const h = floatToHalf(source[i]);
      if (h === undefined) throw badInput(`Element ${i} (${source[i]}) is too large for float16 (max 65504). Write it as float32.`);
      halves[i] = h;
    }
    bytes = new Uint8Array(halves.buffer);
  } else {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const swapUnit = kind === "c" ? itemsize / 2 : itemsize;
  const machine = LITTLE_ENDIAN_MACHINE ? "little" : "big";
  if (order !== "not_applicable" && order !== machine && swapUnit > 1) {
    // Never swap the caller's buffer: copy, then swap the copy.
    const copy = new Uint8Array(bytes);
    byteswap(copy, swapUnit);
    bytes = copy;
  }
  return { dataType, shape: dims, bytes };
}

/** "<f4"-style name of what will be stored, for messages. */
export function encodedName(encoded: EncodedArray): string {
  return numpyStr(encoded.dataType);
}
