"""The canonical digest of a tiled subtree (format `tiled-roundtrip-digest/1`), shared by py_read.py
and the tests. The format is specified at the top of py_read.py; this module implements it.

    from roundtrip import digest
    digest.array_entry(numpy_array, data_type, specs, metadata)
    digest.table_entry(pyarrow_table, columns, specs, metadata)
    digest.dumps(doc)     # the canonical JSON text
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import Any, Iterable

FORMAT = "tiled-roundtrip-digest/1"

_ORDER = {"little": "<", "big": ">", "not_applicable": "|"}


class DigestError(ValueError):
    """Data the digest format does not cover (the message says which node and why)."""


def dtype_str(data_type: dict) -> str:
    """numpy's dtype string from a tiled structure's data_type: "<i4", ">f8", "|b1", "<M8[ns]"."""
    return f"{_ORDER[data_type['endianness']]}{data_type['kind']}{data_type['itemsize']}{data_type.get('dt_units') or ''}"


def array_bytes(array) -> bytes:
    """The canonical bytes of an array: its elements in C order, little-endian, itemsize bytes each."""
    import numpy

    a = numpy.asarray(array)
    if a.dtype.kind not in "biufcmM":
        raise DigestError(f"arrays of dtype {a.dtype} are not covered by the digest")
    little = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
    return numpy.ascontiguousarray(a.astype(little, copy=False)).tobytes(order="C")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def array_entry(array, data_type: dict, specs: list, metadata: dict) -> dict:
    import numpy

    a = numpy.asarray(array)
    return {
        "family": "array",
        "specs": specs,
        "metadata": metadata,
        "dtype": dtype_str(data_type),
        "shape": list(a.shape),
        "sha256": sha256(array_bytes(a)),
    }


# --- tables -----------------------------------------------------------------------------------


def arrow_type_name(arrow_type) -> str:
    """The canonical name of an Arrow type: pyarrow's name, with string/large_string as "utf8" and
    binary/large_binary as "binary" (the digest does not tell 32- from 64-bit offsets)."""
    import pyarrow

    if pyarrow.types.is_string(arrow_type) or pyarrow.types.is_large_string(arrow_type):
        return "utf8"
    if pyarrow.types.is_binary(arrow_type) or pyarrow.types.is_large_binary(arrow_type):
        return "binary"
    return str(arrow_type)


_INT_FORMATS = {"int8": "<b", "int16": "<h", "int32": "<i", "int64": "<q",
                "uint8": "<B", "uint16": "<H", "uint32": "<I", "uint64": "<Q"}
_FLOAT_FORMATS = {"halffloat": "<e", "float": "<f", "double": "<d"}
# One quiet NaN per width, so that NaN payloads (which neither side can choose) do not matter.
_CANONICAL_NAN = {"halffloat": b"\x00\x7e", "float": b"\x00\x00\xc0\x7f", "double": b"\x00\x00\x00\x00\x00\x00\xf8\x7f"}


def value_bytes(type_name: str, value: Any) -> bytes:
    """The canonical encoding of one non-null value of a column of type `type_name`."""
    if type_name in _INT_FORMATS:
        return struct.pack(_INT_FORMATS[type_name], value)
    if type_name in _FLOAT_FORMATS:
        if math.isnan(value):
            return _CANONICAL_NAN[type_name]
        return struct.pack(_FLOAT_FORMATS[type_name], value)
    if type_name == "bool":
        return b"\x01" if value else b"\x00"
    if type_name in ("utf8", "binary"):
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return struct.pack("<Q", len(raw)) + raw
    if type_name.startswith(("timestamp[", "duration[")):
        return struct.pack("<q", value)
    raise DigestError(f"table columns of Arrow type {type_name} are not covered by the digest")


def column_values_bytes(type_name: str, values: Iterable[Any]) -> bytes:
    """Each row: 0x00 if null, else 0x01 followed by value_bytes."""
    out = bytearray()
    for value in values:
        if value is None:
            out += b"\x00"
        else:
            out += b"\x01" + value_bytes(type_name, value)
    return bytes(out)


def _python_values(column) -> list:
    """A column's values as Python scalars (None for nulls); timestamps and durations as integer counts."""
    import pyarrow

    if pyarrow.types.is_timestamp(column.type) or pyarrow.types.is_duration(column.type):
        column = column.cast(pyarrow.int64())
    return column.to_pylist()


def table_entry(table, columns: list[str], specs: list, metadata: dict) -> dict:
    """`table`: a pyarrow Table; `columns`: the structure's column names, in order (other columns,
    such as the pandas index tiled serves as `__index_level_0__`, are left out)."""
    entries = []
    for name in columns:
        if name not in table.column_names:
            raise DigestError(f"column {name!r} of the structure is missing from the data")
        column = table.column(name)
        type_name = arrow_type_name(column.type)
        entries.append({
            "name": name,
            "type": type_name,
            "null_count": column.null_count,
            "sha256": sha256(column_values_bytes(type_name, _python_values(column))),
        })
    return {
        "family": "table",
        "specs": specs,
        "metadata": metadata,
        "num_rows": table.num_rows,
        "columns": entries,
    }


def other_entry(family: str, specs: list, metadata: dict) -> dict:
    """Containers, and families whose data the digest does not cover (sparse, awkward, ...)."""
    return {"family": family, "specs": specs, "metadata": metadata}


def document(root: str, nodes: dict) -> dict:
    return {"format": FORMAT, "root": root, "nodes": nodes}


def dumps(doc: dict) -> str:
    """The canonical JSON text: keys sorted, no spaces, UTF-8 (not \\u-escaped), no NaN."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
