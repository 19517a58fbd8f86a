"""Read a tiled subtree with tiled's Python client and print its canonical digest (one JSON line).

    .venv/bin/python server/roundtrip/py_read.py URL [PATH]
    TILED_API_KEY=... (optional: only if the server refuses anonymous reads)

The TypeScript round-trip tests compute the same digest from what their client reads (or wrote)
and compare: equal digests mean equal families, specs, metadata, dtypes, shapes and data.

The digest format `tiled-roundtrip-digest/1`
============================================

The output is canonical JSON: object keys sorted by code point, no whitespace, strings UTF-8
(not \\u-escaped), no NaN/Infinity. Compare parsed values, or texts byte for byte.

    {"format": "tiled-roundtrip-digest/1", "root": PATH, "nodes": {REL: ENTRY, ...}}

REL is each node's path relative to PATH, segments joined with "/"; the node at PATH itself is "".
Every node below PATH appears (containers are walked to any depth). ENTRY holds, for every node:

    "family"    the structure family as the server names it: "container", "array", "table", ...
    "specs"     the specs as served, in order: [{"name": "...", "version": "..." or null}, ...]
    "metadata"  the metadata object as served (JSON)

and in addition, for arrays:

    "dtype"     numpy's dtype string built from the structure's data_type:
                {little: "<", big: ">", not_applicable: "|"}[endianness] + kind + itemsize
                + (dt_units or ""), e.g. "<i4", ">f8", "|b1", "|u1", ">c16", "<M8[ns]"
    "shape"     the shape, a list of integers ([] for 0-d)
    "sha256"    hex SHA-256 of the array's canonical bytes: every element in C (row-major) order,
                each as its `itemsize` bytes in LITTLE-endian order, whatever byte order the
                server keeps. bool is one byte 0x00/0x01; complex is real then imaginary part
                (each little-endian); float16 is 2 bytes; datetime64/timedelta64 are int64
                counts. No canonicalisation of NaN payloads: the bytes are what was stored.
                A 0-d array has one element; an empty array hashes the empty string
                (e3b0c442...b855).

for tables (read as Apache Arrow from /table/full, all partitions in order, in one response):

    "num_rows"  the number of rows
    "columns"   one entry per column of the structure's `columns`, in that order (other
                columns the server sends, such as pandas' `__index_level_0__`, are left out):
        "name"        the column name
        "type"        the Arrow type's canonical name: pyarrow's name ("int8".."int64",
                      "uint8".."uint64", "halffloat", "float", "double", "bool",
                      "timestamp[ns]", "timestamp[us, tz=UTC]", "duration[s]", ...), except that
                      string and large_string are both "utf8", binary and large_binary "binary".
                      apache-arrow JS: Int(bitWidth, isSigned) -> "int64"/"uint8"...,
                      Float(HALF|SINGLE|DOUBLE) -> "halffloat"|"float"|"double", Bool -> "bool",
                      Utf8/LargeUtf8 -> "utf8", Binary/LargeBinary -> "binary".
        "null_count"  the number of nulls
        "sha256"      hex SHA-256 of the column's canonical bytes: for each row in order, 0x00 if
                      the value is null, else 0x01 followed by the value:
                        integers    the column's width, little-endian two's complement
                        halffloat/float/double   IEEE 754 of the column's width, little-endian;
                                    every NaN as the quiet NaN 0x7e00 / 0x7fc00000 /
                                    0x7ff8000000000000 (-0.0 and infinities kept as they are)
                        bool        one byte 0x00 or 0x01
                        utf8        the UTF-8 length as uint64 little-endian, then the bytes
                        binary      the same, with the raw bytes
                        timestamp/duration   the int64 count of the type's unit, little-endian
                      Other types (lists, structs, dictionaries, decimals) are refused.

for other families (sparse, awkward, ragged, ...): family, specs and metadata only.

Example: an int16 array [1, -2] gives dtype "<i2", shape [2] and the SHA-256 of the 4 bytes
01 00 fe ff; a utf8 column ["a", null] gives the SHA-256 of
01 01 00 00 00 00 00 00 00 61 00.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundtrip import digest  # noqa: E402

ARROW = "application/vnd.apache.arrow.file"


# tiled's client retries a 5xx up to 10 times over 45 s; here a 500 is a server bug to report at
# once, not to wait out (an explicit TILED_RETRY_ATTEMPTS in the environment still wins).
os.environ.setdefault("TILED_RETRY_ATTEMPTS", "1")

def read_table(node):
    """The table's data as one pyarrow Table, from /table/full through the Python client's own HTTP
    context (its pandas `read()` would turn nullable integer columns into floats). One request,
    not one per partition: tiled serves an SQL-stored partition's integer column as double when
    that partition holds a null, as int64 otherwise, so partitions can disagree on a type."""
    import pyarrow

    structure = node.item["attributes"]["structure"]
    response = node.context.http_client.get(node.item["links"]["full"], headers={"Accept": ARROW})
    response.raise_for_status()
    table = pyarrow.ipc.open_file(io.BytesIO(response.content)).read_all()
    return table, structure["columns"]


def entry_for(node) -> dict:
    attributes = node.item["attributes"]
    family = attributes["structure_family"]
    specs = [{"name": s["name"], "version": s.get("version")} for s in (attributes.get("specs") or [])]
    metadata = attributes.get("metadata") or {}
    if family == "array":
        data_type = attributes["structure"]["data_type"]
        return digest.array_entry(node.read(), data_type, specs, metadata)
    if family == "table":
        table, columns = read_table(node)
        return digest.table_entry(table, columns, specs, metadata)
    return digest.other_entry(family, specs, metadata)


def walk(node, rel: str, out: dict) -> None:
    try:
        entry = entry_for(node)
    except digest.DigestError as err:
        raise digest.DigestError(f"node {rel or '(root)'}: {err}") from None
    out[rel] = entry
    if entry["family"] == "container":
        for key in sorted(node.keys()):
            walk(node[key], f"{rel}/{key}" if rel else key, out)


def read_digest(client, path: str) -> dict:
    path = path.strip("/")
    node = client[path] if path else client
    nodes: dict = {}
    walk(node, "", nodes)
    return digest.document(path, nodes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="py_read.py", description="Print the canonical digest of a tiled subtree.")
    parser.add_argument("url", help="the tiled server, e.g. http://127.0.0.1:8006")
    parser.add_argument("path", nargs="?", default="", help="the subtree's root (default: the whole server)")
    args = parser.parse_args(argv)

    import httpx
    from tiled.client import from_uri

    api_key = os.environ.get("TILED_API_KEY", "").strip() or None
    try:
        client = from_uri(args.url, api_key=api_key)
        doc = read_digest(client, args.path)
    except KeyError as err:
        print(f"py_read: no node at {args.path!r} ({err})", file=sys.stderr)
        return 1
    except httpx.HTTPError as err:
        print(f"py_read: {err}", file=sys.stderr)
        return 1
    except digest.DigestError as err:
        print(f"py_read: {err}", file=sys.stderr)
        return 1
    print(digest.dumps(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
