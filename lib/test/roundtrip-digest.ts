/**
 * The TypeScript twin of `tiled-roundtrip-digest/1` (specified at the top of
 * server/roundtrip/py_read.py, implemented for Python in server/roundtrip/digest.py): one canonical
 * JSON document per subtree — family, specs, metadata of every node; dtype, shape and SHA-256 of
 * an array's little-endian C-order bytes; type, null count and SHA-256 of each table column's
 * canonical row encoding. Equal digests from the two clients mean equal data.
 *
 * Two ways in: `readDigest(node)` walks what this library reads from a server; `arrayEntry` /
 * `tableEntry` digest what a test meant to write, from its own inputs.
 */
import { createHash } from "node:crypto";
import { DataType, Type } from "apache-arrow";
import type { Table } from "apache-arrow";
import { ArrayClient } from "../client/array";
import type { BaseClient } from "../client/base";
import { Container } from "../client/container";
import { TableClient } from "../client/table";
import { floatToHalf } from "../client/array-encode";
import { numpyStr } from "../dtype";
import type { TypedArray } from "../dtype";
import type { BuiltinDtype } from "../schemas/structures";

export const FORMAT = "tiled-roundtrip-digest/1";

export type DigestEntry = Record<string, unknown>;
export interface DigestDocument {
  format: string;
  root: string;
  nodes: Record<string, DigestEntry>;
}

/** Canonical JSON: keys sorted by code point, no whitespace, no NaN (as Python's json.dumps(sort_keys, separators, ensure_ascii=False)). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`the digest has no NaN/Infinity (${value})`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const byCodePoint = (a: string, b: string) => {
    const x = [...a].map((c) => c.codePointAt(0) ?? 0);
    const y = [...b].map((c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  const entries = Object.entries(value).sort(([a], [b]) => byCodePoint(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const specsOf = (specs: readonly { name: string; version?: string | null }[]) => specs.map((s) => ({ name: s.name, version: s.version ?? null }));

/**
 * The canonical bytes of decoded array data (machine order, which is little-endian on every
 * machine Node runs on): the TypedArray's own bytes, except float16, which the client widens to
 * float32 and is narrowed back here (exact: every half is a float32).
 */
export function canonicalArrayBytes(data: TypedArray, dataType: BuiltinDtype): Uint8Array {
  if (dataType.kind === "f" && dataType.itemsize === 2) {
    const halves = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) halves[i] = floatToHalf(Number(data[i])) ?? 0x7c00;
    return new Uint8Array(halves.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function arrayEntry(littleEndianBytes: Uint8Array, dataType: BuiltinDtype, shape: readonly number[], specs: readonly { name: string; version?: string | null }[], metadata: Record<string, unknown>): DigestEntry {
  return { family: "array", specs: specsOf(specs), metadata, dtype: numpyStr(dataType), shape: [...shape], sha256: sha256(littleEndianBytes) };
}

/** pyarrow's name of an Arrow type, as the digest spells it. */
export function arrowTypeName(type: DataType): string {
  if (DataType.isInt(type)) return `${type.isSigned ? "int" : "uint"}${type.bitWidth}`;
  if (DataType.isFloat(type)) return ["halffloat", "float", "double"][type.precision];
  if (DataType.isBool(type)) return "bool";
  if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) return "utf8";
  if (type.typeId === Type.Binary || type.typeId === Type.LargeBinary) return "binary";
  if (DataType.isTimestamp(type)) {
    const unit = ["s", "ms", "us", "ns"][type.unit];
    return type.timezone ? `timestamp[${unit}, tz=${type.timezone}]` : `timestamp[${unit}]`;
  }
  if (DataType.isDuration(type)) return `duration[${["s", "ms", "us", "ns"][type.unit]}]`;
  throw new Error(`table columns of Arrow type ${String(type)} are not covered by the digest`);
}

const CANONICAL_NAN: Record<string, number[]> = { halffloat: [0x00, 0x7e], float: [0x00, 0x00, 0xc0, 0x7f], double: [0, 0, 0, 0, 0, 0, 0xf8, 0x7f] };

function valueBytes(typeName: string, value: unknown): number[] {
  const int = /^(u?)int(\d+)$/.exec(typeName);
  if (int) {
    const width = Number(int[2]) / 8;
    let v = BigInt.asUintN(width * 8, typeof value === "bigint" ? value : BigInt(Number(value)));
    const out: number[] = [];
    for (let i = 0; i < width; i++) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
    }
    return out;
  }
  if (typeName in CANONICAL_NAN) {
    const x = Number(value);
    if (Number.isNaN(x)) return CANONICAL_NAN[typeName];
    if (typeName === "halffloat") {
      const h = floatToHalf(x) ?? 0x7c00;
      return [h & 0xff, h >> 8];
    }
    const buf = new DataView(new ArrayBuffer(typeName === "float" ? 4 : 8));
    if (typeName === "float") buf.setFloat32(0, x, true);
    else buf.setFloat64(0, x, true);
    return [...new Uint8Array(buf.buffer)];
  }
  if (typeName === "bool") return [value ? 1 : 0];
  if (typeName === "utf8" || typeName === "binary") {
    const raw = typeof value === "string" ? new TextEncoder().encode(value) : (value as Uint8Array);
    const len = new DataView(new ArrayBuffer(8));
    len.setBigUint64(0, BigInt(raw.length), true);
    return [...new Uint8Array(len.buffer), ...raw];
  }
  if (typeName.startsWith("timestamp[") || typeName.startsWith("duration[")) return valueBytes("int64", value);
  throw new Error(`no canonical encoding for ${typeName}`);
}

/** The digest entry of an Arrow table, for the structure's `columns` (others, like __index_level_0__, left out). */
export function tableEntry(table: Table, columns: readonly string[], specs: readonly { name: string; version?: string | null }[], metadata: Record<string, unknown>): DigestEntry {
  const entries = columns.map((name) => {
    const column = table.getChild(name);
    if (!column) throw new Error(`column ${name} of the structure is missing from the data`);
    const typeName = arrowTypeName(column.type);
    const out: number[] = [];
    let nulls = 0;
    for (let i = 0; i < column.length; i++) {
      const v: unknown = column.get(i);
      if (v === null || v === undefined) {
        out.push(0);
        nulls++;
      } else out.push(1, ...valueBytes(typeName, v));
    }
    return { name, type: typeName, null_count: nulls, sha256: sha256(Uint8Array.from(out)) };
  });
  return { family: "table", specs: specsOf(specs), metadata, num_rows: table.numRows, columns: entries };
}

async function entryFor(node: BaseClient): Promise<DigestEntry> {
  const specs = node.specs;
  const metadata = node.metadata;
  if (node instanceof ArrayClient) {
    const { data, shape, dataType } = await node.read();
    return arrayEntry(canonicalArrayBytes(data, dataType), dataType, shape, specs, metadata);
  }
  if (node instanceof TableClient) return tableEntry(await node.read(), node.columns, specs, metadata);
  return { family: node.structureFamily, specs: specsOf(specs), metadata };
}

/** The digest of the subtree at `node`, as this library reads it (children sorted by key, any depth). */
export async function readDigest(node: BaseClient): Promise<DigestDocument> {
  const nodes: Record<string, DigestEntry> = {};
  const walk = async (n: BaseClient, rel: string) => {
    nodes[rel] = await entryFor(n);
    if (n instanceof Container) {
      const keys = (await n.keys().toArray()).sort();
      for (const key of keys) await walk(await n.get(key), rel ? `${rel}/${key}` : key);
    }
  };
  await walk(node, "");
  return { format: FORMAT, root: node.path.join("/"), nodes };
}
