/**
 * What the TypeScript side of the round trip writes (the twin of server/roundtrip/dataset.py):
 * every numeric dtype the client reads, in both byte orders, with each kind's extreme and special
 * values; datetime64/timedelta64; extra shapes (0-d, empty, 1-d, 4-d); an array sent in blocks;
 * a table with nulls in every nullable column type; an appendable table filled in three appends;
 * nested, unicode metadata and specs. Deterministic, so the expected digest is computed from these
 * inputs, never from what the server answers.
 */
import { Bool, Field, Float32, Float64, Int64, Int8, Schema, Table, Uint64, Utf8, vectorFromArray } from "apache-arrow";
import type { TypedArray } from "../dtype";

export const ROOT_METADATA = {
  title: "round trip (TypeScript)",
  sample: { name: "Ni foil", temperatures_K: [4.2, 77, 293.15], mounted: true, holder: null },
  nested: { level1: { level2: { level3: ["deep", 1, 2.5, false, null, { k: "v" }] } } },
  unicode: "µm · Å · 日本語 · ✓",
  "key with spaces/and slash": "kept",
  empty_object: {},
  empty_list: [],
  numbers: { zero: 0, negative: -17, big_safe: 9007199254740991, small: 1.5e-300, exp: 6.02214076e23 },
};
export const ROOT_SPECS = [{ name: "RoundTrip", version: "1" }];

export interface ArrayCase {
  key: string;
  data: TypedArray;
  shape: number[];
  /** What is written (byte order included). */
  dtype: string;
  /** The same type, little-endian: the digest's canonical bytes. */
  canonical: string;
  metadata: Record<string, unknown>;
  specs: { name: string; version: string | null }[];
  blockBytes?: number;
}

/** n values of a kind, the first ones its extremes and special values (as dataset.py's _values). */
function values(name: string, n: number): TypedArray {
  const ramp = (i: number) => i * 37 - 300;
  const ints: Record<string, [new (n: number) => TypedArray, number | bigint, number | bigint, number | bigint]> = {
    int8: [Int8Array, -128, 127, -1],
    int16: [Int16Array, -32768, 32767, -1],
    int32: [Int32Array, -2147483648, 2147483647, -1],
    uint8: [Uint8Array, 0, 255, 1],
    uint16: [Uint16Array, 0, 65535, 1],
    uint32: [Uint32Array, 0, 4294967295, 1],
  };
  if (name in ints) {
    const [Ctor, min, max, last] = ints[name];
    const out = new Ctor(n);
    for (let i = 0; i < n; i++) out[i] = ramp(i); // wraps around for narrow types, as numpy's cast does
    [min, max, 0, last].slice(0, n).forEach((v, i) => (out[i] = Number(v)));
    return out;
  }
  if (name === "int64" || name === "datetime64[ns]" || name === "timedelta64[s]") {
    const out = new BigInt64Array(n).map((_, i) => BigInt(ramp(i)) * 1_000_000_007n);
    [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n].slice(0, n).forEach((v, i) => (out[i] = v));
    return out;
  }
  if (name === "uint64") {
    const out = new BigUint64Array(n).map((_, i) => BigInt.asUintN(64, BigInt(ramp(i))));
    [0n, 2n ** 64n - 1n, 0n, 1n].slice(0, n).forEach((v, i) => (out[i] = v));
    return out;
  }
  if (name === "float16" || name === "float32" || name === "float64") {
    const out = name === "float64" ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = i / 7 - 1.5;
    const f16 = [NaN, Infinity, -Infinity, -0, 2 ** -14, 65504, -65504, 2 ** -10];
    const f32 = [NaN, Infinity, -Infinity, -0, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 2 ** -23];
    const f64 = [NaN, Infinity, -Infinity, -0, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON];
    (name === "float16" ? f16 : name === "float32" ? f32 : f64).slice(0, n).forEach((v, i) => (out[i] = v));
    return out;
  }
  if (name === "complex64" || name === "complex128") {
    const out = name === "complex64" ? new Float32Array(2 * n) : new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = i / 3 - 2;
      out[2 * i + 1] = -i / 5 + 1;
    }
    [[NaN, 1], [Infinity, -Infinity], [-0, 0]].slice(0, n).forEach(([re, im], i) => {
      out[2 * i] = re;
      out[2 * i + 1] = im;
    });
    return out;
  }
  if (name === "bool") return new Uint8Array(n).map((_, i) => (i % 3 === 0 ? 1 : 0));
  throw new Error(name);
}

const CODES: Record<string, string> = {
  int8: "i1", int16: "i2", int32: "i4", int64: "i8", uint8: "u1", uint16: "u2", uint32: "u4", uint64: "u8",
  float16: "f2", float32: "f4", float64: "f8", complex64: "c8", complex128: "c16", bool: "b1",
  "datetime64[ns]": "M8[ns]", "timedelta64[s]": "m8[s]",
};

function arrayCase(name: string, order: "le" | "be" | "na", shape: number[], extra: Partial<ArrayCase> = {}, label?: string): ArrayCase {
  const n = shape.reduce((a, b) => a * b, 1);
  const code = CODES[name];
  const dtype = order === "na" ? `|${code}` : `${order === "le" ? "<" : ">"}${code}`;
  const shapeLabel = label ?? (shape.length === 0 ? "0d" : `${shape.includes(0) ? "empty_" : ""}${shape.join("x")}`);
  return {
    key: `${name.replace(/\[|\]/g, "")}_${order}_${shapeLabel}`,
    data: values(name, n),
    shape,
    dtype,
    canonical: order === "na" ? dtype : `<${code}`,
    metadata: { dtype, shape },
    specs: [],
    ...extra,
  };
}

export const NUMERIC_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64", "complex64", "complex128", "bool"];

export function arrayCases(): ArrayCase[] {
  const out: ArrayCase[] = [];
  for (const name of NUMERIC_DTYPES) {
    const oneByte = ["int8", "uint8", "bool"].includes(name);
    for (const order of oneByte ? (["na"] as const) : (["le", "be"] as const)) out.push(arrayCase(name, order, [2, 3, 4]));
  }
  out.push(arrayCase("datetime64[ns]", "le", [2, 3]), arrayCase("timedelta64[s]", "be", [4]));
  out.push(
    arrayCase("float64", "le", []), arrayCase("float64", "be", []), arrayCase("bool", "na", []), arrayCase("int16", "be", []),
    arrayCase("int32", "le", [0]), arrayCase("float64", "be", [0, 3]), arrayCase("uint16", "be", [7]), arrayCase("int8", "na", [1, 1, 1, 1]),
    arrayCase("complex64", "be", [3]),
    // 5x4 int64 in blocks of at most 64 bytes: chunks [[2, 2, 1], [4]] — sent as three PUT /array/block.
    arrayCase("int64", "be", [5, 4], { blockBytes: 64, metadata: { written: "block by block" }, specs: [{ name: "Blocked", version: null }] }, "blocks_5x4"),
  );
  return out;
}

/** A table with nulls in every nullable type, and the extremes of narrow and unsigned columns. */
export function nullsTable(): Table {
  return new Table({
    int64_nulls: vectorFromArray([1n, null, -(2n ** 62n), 2n ** 62n, null], new Int64()),
    int8: vectorFromArray([-128, 127, 0, -1, 5], new Int8()),
    uint64: vectorFromArray([0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 42n], new Uint64()),
    float64_nulls: vectorFromArray([0.5, null, -0, Infinity, 1e-300], new Float64()),
    float32: vectorFromArray([1.5, -2.25, 3.0e38, -1.0e-38, 0], new Float32()),
    string_nulls: vectorFromArray(["a", null, "µm Å", "", "日本語"], new Utf8()),
    bool_nulls: vectorFromArray([true, null, false, true, null], new Bool()),
  });
}

export function appendableSchema(): Schema {
  return new Schema([new Field("i", new Int64(), true), new Field("x", new Float64(), true), new Field("s", new Utf8(), true), new Field("b", new Bool(), true)]);
}

function rows(i: (bigint | null)[], x: (number | null)[], s: (string | null)[], b: (boolean | null)[]): Table {
  return new Table({ i: vectorFromArray(i, new Int64()), x: vectorFromArray(x, new Float64()), s: vectorFromArray(s, new Utf8()), b: vectorFromArray(b, new Bool()) });
}

/** (partition, rows) in the order they are appended (as dataset.py's appendable_appends). */
export function appendableAppends(): [number, Table][] {
  return [
    [0, rows([1n, null, 3n], [0.5, 1.5, null], ["a", null, "c"], [true, null, false])],
    [1, rows([10n], [-1], ["second partition"], [false])],
    [0, rows([4n, 5n], [Infinity, 2], ["d", ""], [null, true])],
  ];
}
