"""What py_write.py writes: deterministic arrays, tables, metadata and specs, as plain Python data.

The same objects give the expected digest in the tests (digest of what was meant to be written,
compared with py_read's digest of what the server returns), so this module is the single
description of the round-trip data set.

Layout under the root PATH given to py_write.py (every key is relative to it):

    ""                                  container, nested metadata, specs [RoundTrip 1]
    arrays                              container
    arrays/<dtype>_<order>_2x3x4        every numeric dtype x byte order, shape (2, 3, 4)
                                        dtype: int8..int64, uint8..uint64, float16/32/64,
                                        complex64/128, bool; order: le, be (na for 1-byte types)
    arrays/float64_le_0d ...            extra shapes: 0-d, empty (0,) and (0, 3), 1-d, (1,1,1,1)
    arrays/int64_be_blocks_5x4          written block by block (chunks ((2,2,1),(3,1)))
    tables                              container
    tables/nulls                        write_table (stored as Parquet): nulls in int, float,
                                        string and bool columns, int8, uint64 extremes, float32
    tables/appendable                   create_appendable_table (SQL storage), 2 partitions,
                                        three append_partition calls with nulls
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every numeric dtype the TypeScript client reads (lib/dtype.ts), by numpy name.
NUMERIC_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                  "float16", "float32", "float64", "complex64", "complex128", "bool")

ROOT_METADATA = {
    "title": "round trip",
    "sample": {"name": "Ni foil", "temperatures_K": [4.2, 77, 293.15], "mounted": True, "holder": None},
    "nested": {"level1": {"level2": {"level3": ["deep", 1, 2.5, False, None, {"k": "v"}]}}},
    "unicode": "µm · Å · 日本語 · ✓",
    "empty_object": {},
    "empty_list": [],
    "numbers": {"zero": 0, "negative": -17, "big_safe": 9007199254740991, "small": 1.5e-300, "exp": 6.02214076e23},
}
ROOT_SPECS = [{"name": "RoundTrip", "version": "1"}]


@dataclass
class ArrayNode:
    key: str
    data: Any  # numpy array
    metadata: dict = field(default_factory=dict)
    specs: list = field(default_factory=list)
    chunks: tuple | None = None  # write block by block with these chunks


@dataclass
class TableNode:
    key: str
    data: Any  # pandas DataFrame (write_table) or list of (partition, pyarrow.Table) appends
    metadata: dict = field(default_factory=dict)
    specs: list = field(default_factory=list)
    appendable_schema: Any = None  # pyarrow.Schema for create_appendable_table
    npartitions: int = 1


def _values(dtype_name: str, n: int):
    """n deterministic values of a dtype, the first ones its extremes and special values."""
    import numpy

    dt = numpy.dtype(dtype_name)
    if dt.kind == "b":
        return (numpy.arange(n) % 3 == 0)
    if dt.kind in "iu":
        info = numpy.iinfo(dt)
        ramp = (numpy.arange(n, dtype=numpy.int64) * 37 - 300)
        out = ramp.astype(dt)  # wraps around for narrow types, as numpy casts do
        special = [info.min, info.max, 0, 1] if dt.kind == "u" else [info.min, info.max, 0, -1]
        out[: min(n, len(special))] = numpy.array(special[:n], dtype=dt)
        return out
    if dt.kind == "f":
        info = numpy.finfo(dt)
        out = (numpy.arange(n, dtype=numpy.float64) / 7 - 1.5).astype(dt)
        special = [numpy.nan, numpy.inf, -numpy.inf, -0.0, info.tiny, info.max, info.min, info.eps]
        out[: min(n, len(special))] = numpy.array(special[:n], dtype=dt)
        return out
    if dt.kind == "c":
        real = numpy.arange(n, dtype=numpy.float64) / 3 - 2
        imag = -numpy.arange(n, dtype=numpy.float64) / 5 + 1
        out = (real + 1j * imag).astype(dt)
        special = [complex(numpy.nan, 1.0), complex(numpy.inf, -numpy.inf), complex(-0.0, 0.0)]
        out[: min(n, len(special))] = numpy.array(special[:n], dtype=dt)
        return out
    raise ValueError(dtype_name)


def _typed(dtype_name: str, order: str, shape: tuple):
    import numpy

    n = int(numpy.prod(shape)) if shape else 1
    values = _values(dtype_name, n)
    dt = numpy.dtype(dtype_name)
    if dt.itemsize > 1 and dt.kind != "b":
        dt = dt.newbyteorder("<" if order == "le" else ">")
    return values.astype(dt).reshape(shape)


def arrays() -> list[ArrayNode]:
    import numpy

    nodes = []
    for name in NUMERIC_DTYPES:
        one_byte = numpy.dtype(name).itemsize == 1
        for order in (("na",) if one_byte else ("le", "be")):
            data = _typed(name, order, (2, 3, 4))
            nodes.append(ArrayNode(f"{name}_{order}_2x3x4", data, metadata={"dtype": data.dtype.str}))
    extra = [
        ("float64", "le", ()), ("float64", "be", ()), ("bool", "na", ()), ("int16", "be", ()),
        ("int32", "le", (0,)), ("float64", "be", (0, 3)), ("uint16", "be", (7,)), ("int8", "na", (1, 1, 1, 1)),
        ("complex64", "be", (3,)),
    ]
    for name, order, shape in extra:
        data = _typed(name, order, shape)
        label = "0d" if shape == () else ("empty_" if 0 in shape else "") + "x".join(map(str, shape))
        nodes.append(ArrayNode(f"{name}_{order}_{label}", data, metadata={"dtype": data.dtype.str, "shape": list(shape)}))
    blocks = _typed("int64", "be", (5, 4))
    nodes.append(ArrayNode("int64_be_blocks_5x4", blocks, metadata={"written": "block by block"},
                           specs=[{"name": "Blocked", "version": None}], chunks=((2, 2, 1), (3, 1))))
    return nodes


def nulls_table():
    import numpy
    import pandas

    return pandas.DataFrame({
        "int64_nulls": pandas.array([1, None, -(2**62), 2**62, None], dtype="Int64"),
        "int8": numpy.array([-128, 127, 0, -1, 5], dtype="int8"),
        "uint64": numpy.array([0, 1, 2**63, 2**64 - 1, 42], dtype="uint64"),
        "float64_nulls": numpy.array([0.5, numpy.nan, -0.0, numpy.inf, 1e-300]),
        "float32": numpy.array([1.5, -2.25, 3.0e38, -1.0e-38, 0.0], dtype="float32"),
        "string_nulls": pandas.array(["a", None, "µm Å", "", "日本語"], dtype="string"),
        "bool_nulls": pandas.array([True, None, False, True, None], dtype="boolean"),
    })


def appendable_schema():
    import pyarrow

    return pyarrow.schema([("i", pyarrow.int64()), ("x", pyarrow.float64()), ("s", pyarrow.string()), ("b", pyarrow.bool_())])


def appendable_appends() -> list:
    """(partition, pyarrow.Table) in the order py_write appends them."""
    import pyarrow

    schema = appendable_schema()
    return [
        (0, pyarrow.table({"i": [1, None, 3], "x": [0.5, 1.5, None], "s": ["a", None, "c"], "b": [True, None, False]}, schema=schema)),
        (1, pyarrow.table({"i": [10], "x": [-1.0], "s": ["second partition"], "b": [False]}, schema=schema)),
        (0, pyarrow.table({"i": [4, 5], "x": [float("inf"), 2.0], "s": ["d", ""], "b": [None, True]}, schema=schema)),
    ]


def expected_appendable():
    """The appendable table as it should read back: partition 0's rows (appends in order), then 1's."""
    import pyarrow

    appends = appendable_appends()
    ordered = [t for p in range(2) for part, t in appends if part == p]
    return pyarrow.concat_tables(ordered)


def tables() -> list[TableNode]:
    return [
        TableNode("nulls", nulls_table(), metadata={"note": "nullable columns", "rows": 5},
                  specs=[{"name": "NullsTable", "version": "0.1"}]),
        TableNode("appendable", appendable_appends(), metadata={"note": "appended in 3 calls"},
                  appendable_schema=appendable_schema(), npartitions=2),
    ]
