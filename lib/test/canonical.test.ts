// testing/canonical.ts: the TypeScript twin of server/oracle/canonical.py (oracle-canonical/1). The
// reference vectors are canonical.py's (its docstring; server/tests/test_oracle.py builds their bytes
// by hand); the rest checks the rules the twin must share with it: one NaN, -0.0 kept, integers
// rounded as numpy does, null as missing text, lone surrogates as U+FFFD.
import { makeVector, tableFromArrays, vectorFromArray, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrayData } from "../dtype";
import { CANONICAL_FORMAT, canonicalOf, digestNumbers, digestText } from "../testing/canonical";

const NUMERIC = "f8b4d07264102f66d036c6b2b12b83318826f4499c83ae2637ffb2ef8c007665";
const TEXT = "d4cf117569ca4757a663b0960706b47e230cf7d4b826e301d77e4a519a5c9d42";
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("the canonical encoding (oracle-canonical/1)", () => {
  it("has canonical.py's name", () => expect(CANONICAL_FORMAT).toBe("oracle-canonical/1"));

  it("numeric [1, -2.5, NaN, Infinity, -0.0] digests as canonical.py's reference, from any TypedArray", () => {
    expect(digestNumbers([1, -2.5, Number.NaN, Infinity, -0])).toBe(NUMERIC);
    expect(digestNumbers(Float32Array.of(1, -2.5, Number.NaN, Infinity, -0))).toBe(NUMERIC);
    // A NaN with another payload and sign is still the one pattern.
    const odd = new Float64Array([1, -2.5, 0, Infinity, -0]);
    new Uint32Array(odd.buffer).set([0x1234, 0xfff80001], 4);
    expect(Number.isNaN(odd[2])).toBe(true);
    expect(digestNumbers(odd)).toBe(NUMERIC);
  });

  it("text ['open', '', missing, 'Å→x'] digests as canonical.py's reference", () => {
    expect(digestText(["open", "", null, "Å→x"])).toBe(TEXT);
    expect(canonicalOf(vectorFromArray(["open", "", null, "Å→x"], new Utf8())).sha256).toBe(TEXT);
  });

  it("an empty array digests as SHA-256 of no bytes in both encodings", () => {
    expect(digestNumbers([])).toBe(EMPTY);
    expect(digestText([])).toBe(EMPTY);
  });

  it("integers are the nearest float64 (int64 beyond 2^53 too); booleans 1 and 0; -0.0 differs from 0.0", () => {
    expect(digestNumbers(BigInt64Array.of(2n ** 53n + 1n))).toBe(digestNumbers([2 ** 53]));
    expect(digestNumbers(Uint8Array.of(1, 0))).toBe(digestNumbers([1, 0]));
    expect(digestNumbers([-0])).not.toBe(digestNumbers([0]));
  });

  it("a lone surrogate is U+FFFD, as canonical.py's _utf8 makes it", () => {
    expect(digestText(["a\ud800b"])).toBe(digestText(["a\ufffdb"]));
  });

  it("canonicalOf: a column's shape is its length; an array keeps its shape; a null number is NaN", () => {
    const t = tableFromArrays({ x: Float64Array.of(1, -2.5, Number.NaN, Infinity, -0) });
    const column = canonicalOf(t.getChild("x") ?? makeVector(new Float64Array(0)));
    expect(column).toEqual({ encoding: "numeric", shape: [5], sha256: NUMERIC, first: [1, -2.5, "NaN"] });
    const frames = canonicalOf(arrayData(Float64Array.of(1, -2.5, Number.NaN, Infinity, -0, 0), [2, 3], { kind: "f", itemsize: 8, endianness: "little" }));
    expect(frames.shape).toEqual([2, 3]);
    expect(canonicalOf(vectorFromArray([1, null, 3])).sha256).toBe(digestNumbers([1, Number.NaN, 3]));
  });
});
