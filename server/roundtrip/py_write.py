"""Write the round-trip data set under PATH with tiled's Python client (the oracle side of "Python
writes, TypeScript reads").

    .venv/bin/python server/roundtrip/py_write.py URL PATH
    TILED_API_KEY=... (the key; read from the environment, never from the command line)

PATH is the new container's path ("roundtrip/py" creates `py` under the existing `roundtrip`,
"py" creates it at the top); it must not exist yet. What is written is described in dataset.py:
every numeric dtype in both byte orders, extra shapes (0-d, empty, 1-d, 4-d), one array written
block by block, a Parquet table with nulls and an appendable SQL table, nested metadata and specs.

Prints one JSON line: {"url": ..., "path": ..., "nodes": [relative paths written, in order]}.
Exit status 1 with one line on stderr when it cannot write (no key, refused, PATH taken).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundtrip import dataset  # noqa: E402


# tiled's client retries a 5xx up to 10 times over 45 s; here a 500 is a server bug to report at
# once, not to wait out (an explicit TILED_RETRY_ATTEMPTS in the environment still wins).
os.environ.setdefault("TILED_RETRY_ATTEMPTS", "1")

def _split(path: str) -> tuple[list[str], str]:
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        raise SystemExit("py_write: PATH must name the container to create, e.g. roundtrip/py")
    return parts[:-1], parts[-1]


def _specs(specs: list[dict]) -> list:
    """dataset's {"name", "version"} dicts as tiled's Spec (the client takes Spec or plain names)."""
    from tiled.structures.core import Spec

    return [Spec(s["name"], version=s.get("version")) for s in specs]


def _write_blocks(parent, node: dataset.ArrayNode):
    """The low-level path: create the node with explicit chunks, then PUT each block."""
    import itertools

    import numpy
    from tiled.structures.array import ArrayStructure, BuiltinDtype
    from tiled.structures.core import StructureFamily
    from tiled.structures.data_source import DataSource

    structure = ArrayStructure(data_type=BuiltinDtype.from_numpy_dtype(node.data.dtype),
                               shape=node.data.shape, chunks=node.chunks)
    client = parent.new(StructureFamily.array, [DataSource(structure=structure, structure_family=StructureFamily.array)],
                        key=node.key, metadata=node.metadata, specs=_specs(node.specs))
    offsets = [numpy.cumsum((0,) + tuple(c)) for c in node.chunks]
    for block in itertools.product(*(range(len(c)) for c in node.chunks)):
        index = tuple(slice(offsets[d][i], offsets[d][i + 1]) for d, i in enumerate(block))
        client.write_block(node.data[index], block=block)
    return client


def write(client, path: str) -> list[str]:
    """Write the data set under `path` of `client` (tiled's Python client, with write access)."""
    parents, key = _split(path)
    parent = client
    for segment in parents:
        parent = parent[segment]
    root = parent.create_container(key, metadata=dataset.ROOT_METADATA, specs=_specs(dataset.ROOT_SPECS))
    written = [""]

    arrays = root.create_container("arrays", metadata={"count": len(dataset.arrays())})
    written.append("arrays")
    for node in dataset.arrays():
        if node.chunks:
            _write_blocks(arrays, node)
        else:
            arrays.write_array(node.data, key=node.key, metadata=node.metadata, specs=_specs(node.specs))
        written.append(f"arrays/{node.key}")

    tables = root.create_container("tables")
    written.append("tables")
    for node in dataset.tables():
        if node.appendable_schema is not None:
            table = tables.create_appendable_table(node.appendable_schema, npartitions=node.npartitions, key=node.key,
                                                   metadata=node.metadata, specs=_specs(node.specs))
            for partition, rows in node.data:
                # A pyarrow Table, not a pandas DataFrame: the client sends a DataFrame's index as
                # a column, which SQL storage refuses (500, schema mismatch).
                table.append_partition(partition, rows)
        else:
            tables.write_table(node.data, key=node.key, metadata=node.metadata, specs=_specs(node.specs))
        written.append(f"tables/{node.key}")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="py_write.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the tiled server, e.g. http://127.0.0.1:8006")
    parser.add_argument("path", help="the container to create, e.g. roundtrip/py")
    args = parser.parse_args(argv)
    api_key = os.environ.get("TILED_API_KEY", "").strip()
    if not api_key:
        print("py_write: set TILED_API_KEY to the server's API key (e.g. $(cat var/replica/api-key))", file=sys.stderr)
        return 1

    import httpx
    from tiled.client import from_uri

    try:
        client = from_uri(args.url, api_key=api_key)
        written = write(client, args.path)
    except httpx.HTTPStatusError as err:
        # tiled's ClientError message holds the status, the server's detail and the URL (no key).
        print(f"py_write: the server refused a write: {err}", file=sys.stderr)
        return 1
    except httpx.TransportError as err:
        print(f"py_write: cannot reach {args.url}: {err}", file=sys.stderr)
        return 1
    except KeyError as err:
        print(f"py_write: the parent of {args.path!r} does not exist ({err}); create it first", file=sys.stderr)
        return 1
    print(json.dumps({"url": args.url, "path": args.path.strip("/"), "nodes": written}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
