"""Export a node to a file with tiled's Python client (`node.export(...)`), to compare with what the
TypeScript client's export writes for the same node and format.

    .venv/bin/python server/roundtrip/py_export.py URL PATH OUT [--format F]
                     [--slice "0:2,::2,1"] [--columns a,b] [--fields x,y]
    TILED_API_KEY=... (optional: only if the server refuses anonymous reads)

--format is a media type ("text/csv") or a file extension ("csv"); without it the Python client
infers it from OUT's suffixes ("table.csv" -> "csv"). --slice (arrays) uses numpy's syntax;
--columns selects table columns, --fields a container's children.

Prints one JSON line: {"path", "format", "file", "bytes", "sha256"}. The Python client reads the
whole response into memory, then writes the file (no temporary file). Note that xlsx exports
differ byte for byte between two requests (the workbook records its creation time): compare
their contents, not their bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys


# tiled's client retries a 5xx up to 10 times over 45 s; here a 500 is a server bug to report at
# once, not to wait out (an explicit TILED_RETRY_ATTEMPTS in the environment still wins).
os.environ.setdefault("TILED_RETRY_ATTEMPTS", "1")

def parse_slice(text: str) -> tuple:
    """"0:2,::2,1" -> (slice(0, 2), slice(None, None, 2), 1)."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            bits = [int(b) if b.strip() else None for b in part.split(":")]
            if len(bits) > 3:
                raise ValueError(f"bad slice {part!r}")
            out.append(slice(*bits))
        elif part == "...":
            out.append(Ellipsis)
        else:
            out.append(int(part))
    return tuple(out)


def export(client, path: str, out: str, fmt: str | None = None, *, slice_text: str | None = None,
           columns: list[str] | None = None, fields: list[str] | None = None) -> dict:
    node = client[path.strip("/")] if path.strip("/") else client
    family = node.item["attributes"]["structure_family"]
    if family == "array":
        node.export(out, format=fmt, slice=parse_slice(slice_text) if slice_text else None)
    elif family == "table":
        node.export(out, columns=columns, format=fmt)
    elif family == "container":
        node.export(out, fields=fields, format=fmt)
    else:
        raise ValueError(f"export of a {family} node is not covered here")
    data = open(out, "rb").read()
    return {"path": path.strip("/"), "format": fmt, "file": out, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="py_export.py", description="Export a tiled node with the Python client.")
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("out", help="the file to write (overwritten)")
    parser.add_argument("--format", default=None)
    parser.add_argument("--slice", default=None, help='arrays: numpy slice syntax, e.g. "0:2,::2,1"')
    parser.add_argument("--columns", default=None, help="tables: comma-separated column names")
    parser.add_argument("--fields", default=None, help="containers: comma-separated child keys")
    args = parser.parse_args(argv)

    import httpx
    from tiled.client import from_uri

    api_key = os.environ.get("TILED_API_KEY", "").strip() or None
    try:
        client = from_uri(args.url, api_key=api_key)
        result = export(client, args.path, args.out, args.format, slice_text=args.slice,
                        columns=args.columns.split(",") if args.columns else None,
                        fields=args.fields.split(",") if args.fields else None)
    except KeyError as err:
        print(f"py_export: no node at {args.path!r} ({err})", file=sys.stderr)
        return 1
    except httpx.HTTPError as err:
        print(f"py_export: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"py_export: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
