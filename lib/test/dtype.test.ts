// dtype.ts: array bytes → TypedArray (every kind and size, both byte orders, 64-bit integers exact),
// and ArrayData, the result of an array read, with its lazy `numbers` view.
import { describe, expect, it } from "vitest";
import { arrayData, byteswap, decodeArray, decodeStrings, numpyName, numpyStr, textWidth, toNested, toNumbers } from "../dtype";
import { ArrayStructure } from "../schemas/structures";
import { thrown } from "./caught";
import { TiledError } from "../errors";
import type { BuiltinDtype } from "../schemas/structures";

/** Encode numbers with a DataView, in the requested byte order, as a server would send them. */
function encode(values: (number | bigint)[], kind: BuiltinDtype["kind"], itemsize: number, big: boolean): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(values.length * itemsize));
  const view = new DataView(bytes.buffer);
  const le = !big;
  values.forEach((v, i) => {
    const o = i * itemsize;
    const key = `${kind}${itemsize}`;
    if (key === "i1") view.setInt8(o, Number(v));
    else if (key === "u1" || key === "b1") view.setUint8(o, Number(v));
    else if (key === "i2") view.setInt16(o, Number(v), le);
    else if (key === "u2") view.setUint16(o, Number(v), le);
    else if (key === "i4") view.setInt32(o, Number(v), le);
    else if (key === "u4") view.setUint32(o, Number(v), le);
    else if (key === "i8" || key === "m8" || key === "M8") view.setBigInt64(o, BigInt(v), le);
    else if (key === "u8") view.setBigUint64(o, BigInt(v), le);
    else if (key === "f4") view.setFloat32(o, Number(v), le);
    else if (key === "f8") view.setFloat64(o, Number(v), le);
    else throw new Error(key);
  });
  return bytes;
}

const cases: { kind: BuiltinDtype["kind"]; itemsize: number; values: (number | bigint)[]; ctor: string; name: string }[] = [
  { kind: "b", itemsize: 1, values: [0, 1, 1, 0], ctor: "Uint8Array", name: "bool" },
  { kind: "i", itemsize: 1, values: [-128, -1, 0, 127], ctor: "Int8Array", name: "int8" },
  { kind: "u", itemsize: 1, values: [0, 1, 200, 255], ctor: "Uint8Array", name: "uint8" },
  { kind: "i", itemsize: 2, values: [-32768, -2, 3, 32767], ctor: "Int16Array", name: "int16" },
  { kind: "u", itemsize: 2, values: [0, 258, 4096, 65535], ctor: "Uint16Array", name: "uint16" },
  { kind: "i", itemsize: 4, values: [-2147483648, -5, 6, 2147483647], ctor: "Int32Array", name: "int32" },
  { kind: "u", itemsize: 4, values: [0, 1, 65536, 4294967295], ctor: "Uint32Array", name: "uint32" },
  { kind: "i", itemsize: 8, values: [-(2n ** 63n), -1n, 2n ** 53n + 1n, 2n ** 63n - 1n], ctor: "BigInt64Array", name: "int64" },
  { kind: "u", itemsize: 8, values: [0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n], ctor: "BigUint64Array", name: "uint64" },
  { kind: "f", itemsize: 4, values: [0, -1.5, 3.25, 1e30], ctor: "Float32Array", name: "float32" },
  { kind: "f", itemsize: 8, values: [0, -1.5, Math.PI, 1e300], ctor: "Float64Array", name: "float64" },
  { kind: "M", itemsize: 8, values: [0n, 1662663265178280000n], ctor: "BigInt64Array", name: "datetime64" },
  { kind: "m", itemsize: 8, values: [-5n, 5n], ctor: "BigInt64Array", name: "timedelta64" },
];

describe("decodeArray: every kind and itemsize, both byte orders", () => {
  for (const c of cases) {
    for (const big of [false, true]) {
      const dt: BuiltinDtype = { kind: c.kind, itemsize: c.itemsize, endianness: c.itemsize === 1 ? "not_applicable" : big ? "big" : "little" };
      it(`${numpyStr(dt)} → ${c.ctor}`, () => {
        const data = decodeArray(encode(c.values, c.kind, c.itemsize, big), dt);
        expect(data.constructor.name).toBe(c.ctor);
        expect(numpyName(dt)).toBe(c.name);
        const expected = c.kind === "f" && c.itemsize === 4 ? c.values.map((v) => Math.fround(Number(v))) : c.values;
        expect(Array.from(data as ArrayLike<number | bigint>)).toEqual(expected);
      });
    }
  }
  it("float16 widens to Float32Array", () => {
    // 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, inf = 0x7C00; big-endian bytes
    const bytes = new Uint8Array([0x3c, 0x00, 0xc0, 0x00, 0x38, 0x00, 0x7c, 0x00]);
    const data = decodeArray(bytes, { kind: "f", itemsize: 2, endianness: "big" });
    expect(data).toBeInstanceOf(Float32Array);
    expect(Array.from(data as Float32Array)).toEqual([1, -2, 0.5, Infinity]);
  });
  it("complex128 is interleaved (re, im) Float64Array, each part swapped on its own", () => {
    const bytes = encode([1.5, -2.5, 3, 4], "f", 8, true);
    const data = decodeArray(bytes, { kind: "c", itemsize: 16, endianness: "big" });
    expect(Array.from(data as Float64Array)).toEqual([1.5, -2.5, 3, 4]);
  });
  it("refuses strings and structured types with unsupported-dtype", () => {
    for (const dt of [{ kind: "U", itemsize: 4, endianness: "little" } as const, { itemsize: 8, fields: [] }]) {
      try {
        decodeArray(new Uint8Array(8), dt);
        expect.unreachable();
      } catch (err) {
        expect((err as TiledError).code).toBe("unsupported-dtype");
      }
    }
  });
  it("refuses a body that is not a whole number of elements", () => {
    expect(() => decodeArray(new Uint8Array(6), { kind: "i", itemsize: 4, endianness: "little" })).toThrow(/not a whole number/);
  });
  it("copies an unaligned view rather than failing", () => {
    const backing = new Uint8Array(9);
    backing.set(encode([258, 772], "u", 4, false), 1);
    expect(Array.from(decodeArray(backing.subarray(1), { kind: "u", itemsize: 4, endianness: "little" }) as Uint32Array)).toEqual([258, 772]);
  });
});

describe("helpers", () => {
  it("byteswap reverses each element", () => {
    const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    byteswap(b, 4);
    expect(Array.from(b)).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
  });
  it("toNumbers and toNested", () => {
    expect(Array.from(toNumbers(new BigInt64Array([1n, -2n])))).toEqual([1, -2]);
    expect(toNested(new Uint16Array([0, 1, 2, 3, 4, 5]), [2, 3])).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(toNested(new Float64Array([7]), [])).toBe(7);
  });
});

describe("ArrayData.numbers", () => {
  it("is the data itself for every type that holds JavaScript numbers (a uint16 image is never copied)", () => {
    for (const c of cases.filter((x) => x.itemsize < 8 || x.kind === "f")) {
      const dt: BuiltinDtype = { kind: c.kind, itemsize: c.itemsize, endianness: "little" };
      const read = arrayData(decodeArray(encode(c.values, c.kind, c.itemsize, false), dt), [c.values.length], dt);
      expect(read.numbers, c.name).toBe(read.data);
      expect(read.dtype).toBe(c.name);
    }
  });
  it("is a Float64Array of the exact values (below 2^53) for 64-bit integers and datetimes", () => {
    for (const c of cases.filter((x) => x.itemsize === 8 && x.kind !== "f")) {
      const dt: BuiltinDtype = { kind: c.kind, itemsize: 8, endianness: "little" };
      const read = arrayData(decodeArray(encode(c.values, c.kind, 8, false), dt), [c.values.length], dt);
      expect(read.numbers, c.name).toBeInstanceOf(Float64Array);
      expect(Array.from(read.numbers)).toEqual(c.values.map((v) => Number(v)));
    }
    const exact = arrayData(new BigInt64Array([2n ** 53n, -(2n ** 53n), 1n]), [3], { kind: "i", itemsize: 8, endianness: "little" });
    expect(Array.from(exact.numbers)).toEqual([9007199254740992, -9007199254740992, 1]);
  });
  it("is made on first use, once: not when the array is read, and the same Float64Array each time after", () => {
    const data = new BigInt64Array([1n, 2n]);
    const read = arrayData(data, [2], { kind: "i", itemsize: 8, endianness: "little" });
    data[0] = 5n; // before the first use: seen
    const first = read.numbers;
    expect(Array.from(first)).toEqual([5, 2]);
    data[0] = 7n; // after: the view made once is kept
    expect(read.numbers).toBe(first);
    expect(read.numbers[0]).toBe(5);
  });
  it("keeps its own copy of the shape", () => {
    const shape = [2, 1];
    const read = arrayData(new Uint8Array(2), shape, { kind: "u", itemsize: 1, endianness: "not_applicable" });
    shape[0] = 99;
    expect(read.shape).toEqual([2, 1]);
  });
});

describe("19.5 text described with itemsize 0 (databroker's <U0): the width comes from the bytes", () => {
  const u0 = { kind: "U", itemsize: 0, endianness: "little" } as const;
  const ucs4 = (texts: string[], width: number) => {
    const out = new Uint8Array(texts.length * width * 4);
    const view = new DataView(out.buffer);
    texts.forEach((t, i) => [...t].forEach((c, j) => view.setUint32((i * width + j) * 4, c.codePointAt(0) ?? 0, true)));
    return out;
  };
  it("19.5 the structure schema accepts itemsize 0 for U and S only", () => {
    expect(ArrayStructure.safeParse({ data_type: u0, chunks: [[2]], shape: [2] }).success).toBe(true);
    expect(ArrayStructure.safeParse({ data_type: { kind: "f", itemsize: 0, endianness: "little" }, chunks: [[2]], shape: [2] }).success).toBe(false);
  });
  it("19.5 decodeStrings splits by bytes / count; trailing NULs dropped, inner ones kept as numpy does", () => {
    expect(decodeStrings(ucs4(["open", "closed"], 6), u0, 2)).toEqual(["open", "closed"]);
    expect(decodeStrings(ucs4(["a\u0000b", "Å→"], 4), u0, 2)).toEqual(["a\u0000b", "Å→"]);
    expect(decodeStrings(new Uint8Array(0), u0, 0)).toEqual([]);
  });
  it("19.5 bytes that are not count strings of one width, or no count, are invalid-response", async () => {
    expect((await thrown(() => decodeStrings(new Uint8Array(12), u0, 2))).code).toBe("invalid-response");
    expect((await thrown(() => decodeStrings(new Uint8Array(8), u0))).code).toBe("invalid-response");
    expect((await thrown(() => decodeStrings(new Uint8Array(4), u0, 0))).code).toBe("invalid-response");
    expect(textWidth(24, u0, 2).itemsize).toBe(12);
  });
});
