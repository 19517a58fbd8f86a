"""The Python side of the round trips (server/roundtrip/): py_write writes the data set with tiled's
Python client, py_read prints the canonical digest of what the server returns, py_export writes
what the Python client's `export` writes. Against a writable replica the tests start themselves.

The expected digests are computed here from the data set itself (what was meant to be written),
so a difference is either a server quirk (each one named below) or a bug in the scripts.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

import httpx
import numpy
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "server"))

from roundtrip import dataset, digest  # noqa: E402

SCRIPTS = ROOT / "server" / "roundtrip"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def run_script(name: str, *args: str, api_key: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TILED_API_KEY", None)
    if api_key:
        env["TILED_API_KEY"] = api_key
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def written(writable_server):
    """py_write's data set under /rt/py (the parent created first, as a user would)."""
    writable_server.client().create_container("rt")
    result = run_script("py_write.py", writable_server.url, "rt/py", api_key=writable_server.api_key)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def read_back(writable_server, written):
    result = run_script("py_read.py", writable_server.url, "rt/py")
    assert result.returncode == 0, result.stderr
    return result.stdout


def expected_array(node: dataset.ArrayNode) -> dict:
    """The digest entry of an array, computed straight from numpy (not with digest.py)."""
    data = node.data
    little = data.dtype.newbyteorder("<") if data.dtype.itemsize > 1 else data.dtype
    return {
        "family": "array",
        "specs": [{"name": s["name"], "version": s.get("version")} for s in node.specs],
        "metadata": json.loads(json.dumps(node.metadata)),
        "dtype": data.dtype.str,
        "shape": list(data.shape),
        "sha256": sha(numpy.ascontiguousarray(data.astype(little)).tobytes()),
    }


# --- the digest's encoding, pinned by hand-made bytes (so TypeScript can reproduce it) -----------


def test_digest_encoding_examples():
    """Each canonical encoding of py_read.py's docstring, on bytes written out by hand."""
    import pyarrow

    i16 = digest.array_entry(numpy.array([1, -2], dtype=">i2"), {"endianness": "big", "kind": "i", "itemsize": 2}, [], {})
    assert i16["dtype"] == ">i2" and i16["shape"] == [2]
    assert i16["sha256"] == sha(bytes([0x01, 0x00, 0xFE, 0xFF]))  # little-endian, whatever the stored order
    b = digest.array_entry(numpy.array([True, False]), {"endianness": "not_applicable", "kind": "b", "itemsize": 1}, [], {})
    assert b["dtype"] == "|b1" and b["sha256"] == sha(b"\x01\x00")
    c = digest.array_entry(numpy.array(1 + 2j, dtype=">c8"), {"endianness": "big", "kind": "c", "itemsize": 8}, [], {})
    assert c["shape"] == [] and c["sha256"] == sha(bytes.fromhex("0000803f") + bytes.fromhex("00000040"))
    empty = digest.array_entry(numpy.zeros((0, 3)), {"endianness": "little", "kind": "f", "itemsize": 8}, [], {})
    assert empty["sha256"] == EMPTY_SHA256

    table = pyarrow.table({
        "s": pyarrow.array(["a", None], pyarrow.large_string()),
        "i": pyarrow.array([None, -1], pyarrow.int8()),
        "d": pyarrow.array([float("nan"), -0.0]),
        "t": pyarrow.array([True, None]),
    })
    entry = digest.table_entry(table, ["s", "i", "d", "t"], [], {})
    cols = {c["name"]: c for c in entry["columns"]}
    assert entry["num_rows"] == 2
    assert cols["s"]["type"] == "utf8" and cols["s"]["null_count"] == 1
    assert cols["s"]["sha256"] == sha(b"\x01" + (1).to_bytes(8, "little") + b"a" + b"\x00")
    assert cols["i"]["sha256"] == sha(b"\x00" + b"\x01\xff")
    assert cols["d"]["type"] == "double"
    assert cols["d"]["sha256"] == sha(b"\x01" + bytes.fromhex("000000000000f87f") + b"\x01" + bytes.fromhex("0000000000000080"))
    assert cols["t"]["sha256"] == sha(b"\x01\x01" + b"\x00")
    # canonical JSON: sorted keys, no spaces, UTF-8 kept
    assert digest.dumps({"b": 1, "a": "µ"}) == '{"a":"µ","b":1}'


# --- py_write -> server -> py_read ----------------------------------------------------------------


def test_py_write_reports_every_node(written):
    expected = ["", "arrays"] + [f"arrays/{n.key}" for n in dataset.arrays()] + ["tables"] + [
        f"tables/{n.key}" for n in dataset.tables()]
    assert written["nodes"] == expected
    assert written["path"] == "rt/py"


def test_arrays_round_trip_through_the_python_client(read_back):
    doc = json.loads(read_back)
    assert doc["format"] == "tiled-roundtrip-digest/1" and doc["root"] == "rt/py"
    nodes = doc["nodes"]
    for node in dataset.arrays():
        assert nodes[f"arrays/{node.key}"] == expected_array(node), node.key
    # every dtype of the TypeScript client, in both byte orders, kept as written
    dtypes = {nodes[k]["dtype"] for k in nodes if k.endswith("_2x3x4")}
    assert {">i2", "<i2", ">u8", "<u8", ">f2", "<f2", ">c16", "<c8", "|b1", "|i1", "|u1"} <= dtypes
    # the canonical bytes are little-endian: the same values in either order hash the same
    for name in ("int32", "float64", "complex64", "uint64", "float16"):
        assert nodes[f"arrays/{name}_le_2x3x4"]["sha256"] == nodes[f"arrays/{name}_be_2x3x4"]["sha256"]
    assert nodes["arrays/int32_le_empty_0"]["sha256"] == EMPTY_SHA256
    assert nodes["arrays/float64_le_0d"]["shape"] == []


def test_containers_metadata_and_specs_round_trip(read_back):
    nodes = json.loads(read_back)["nodes"]
    assert nodes[""] == {"family": "container", "specs": dataset.ROOT_SPECS,
                         "metadata": json.loads(json.dumps(dataset.ROOT_METADATA))}
    assert nodes["arrays"]["metadata"] == {"count": len(dataset.arrays())}
    assert nodes["tables"] == {"family": "container", "specs": [], "metadata": {}}
    # the text is the canonical form: re-dumping it changes nothing
    assert digest.dumps(json.loads(read_back)) == read_back.strip()


def test_parquet_table_round_trip_and_nan_becomes_null(read_back):
    import pyarrow

    (node,) = [t for t in dataset.tables() if t.key == "nulls"]
    table = pyarrow.Table.from_pandas(node.data, preserve_index=False)
    expected = digest.table_entry(table, list(node.data.columns), node.specs, node.metadata)
    got = json.loads(read_back)["nodes"]["tables/nulls"]
    assert got == json.loads(json.dumps(expected))
    cols = {c["name"]: c for c in got["columns"]}
    # Quirk: the frame holds NaN (not None) at row 1 of float64_nulls, yet it reads back as null
    # (pandas -> Arrow turns NaN into null): a float NaN does not survive write_table.
    assert numpy.isnan(node.data["float64_nulls"][1]) and cols["float64_nulls"]["null_count"] == 1
    assert {c["name"]: c["type"] for c in got["columns"]} == {
        "int64_nulls": "int64", "int8": "int8", "uint64": "uint64", "float64_nulls": "double",
        "float32": "float", "string_nulls": "utf8", "bool_nulls": "bool"}


def test_appendable_table_round_trip_int_with_nulls_becomes_double(read_back):
    import pyarrow

    got = json.loads(read_back)["nodes"]["tables/appendable"]
    table = dataset.expected_appendable()
    # Quirk (SQL storage): a partition whose int64 column holds a null is served with that column
    # as double (through pandas); the data are otherwise exact, partition 0's appends first.
    served = table.set_column(0, "i", table.column("i").cast(pyarrow.float64()))
    expected = digest.table_entry(served, ["i", "x", "s", "b"], [], {"note": "appended in 3 calls"})
    assert got == expected
    assert got["num_rows"] == 6


def test_py_read_of_the_raw_files(writable_server):
    """The registered raw files read through tiled equal the files themselves."""
    import h5py
    import tifffile

    result = run_script("py_read.py", writable_server.url, "raw")
    assert result.returncode == 0, result.stderr
    nodes = json.loads(result.stdout)["nodes"]
    raw = writable_server.raw_dir
    stack = numpy.stack([tifffile.imread(raw / f"image_stack{i:03}.tiff") for i in range(5)])
    assert nodes["image_stack"]["shape"] == [5, 16, 16] and nodes["image_stack"]["dtype"] == "<u2"
    assert nodes["image_stack"]["sha256"] == sha(stack.astype("<u2").tobytes())
    with h5py.File(raw / "scan.h5") as f:
        image = f["entry/data/image"][()]
        assert nodes["scan/entry/data/image"]["dtype"] == ">u2"  # HDF5's byte order is kept
        assert nodes["scan/entry/data/image"]["sha256"] == sha(image.astype("<u2").tobytes())
        assert nodes["scan"]["metadata"] == {"title": "a small HDF5 scan", "scan_id": 42}
        # Quirk: every group below the file's node also shows the file's attributes, merged with
        # its own; datasets show none of them.
        assert nodes["scan/entry"]["metadata"] == {"NX_class": "NXentry", "title": "a small HDF5 scan", "scan_id": 42}
        assert nodes["scan/entry/data"]["metadata"] == {"title": "a small HDF5 scan", "scan_id": 42}
        assert nodes["scan/entry/data/x"]["metadata"] == {}
    assert nodes["table"]["num_rows"] == 3
    assert [c["type"] for c in nodes["table"]["columns"]] == ["int64", "double", "utf8"]


# --- refusals -------------------------------------------------------------------------------------


def test_py_write_refusals(writable_server, written):
    no_key = run_script("py_write.py", writable_server.url, "rt/other")
    assert no_key.returncode == 1 and "TILED_API_KEY" in no_key.stderr
    wrong = run_script("py_write.py", writable_server.url, "rt/other", api_key="wrongkey0")
    assert wrong.returncode == 1 and "401" in wrong.stderr and "wrongkey0" not in wrong.stderr
    taken = run_script("py_write.py", writable_server.url, "rt/py", api_key=writable_server.api_key)
    assert taken.returncode == 1 and "409" in taken.stderr
    orphan = run_script("py_write.py", writable_server.url, "nowhere/py", api_key=writable_server.api_key)
    assert orphan.returncode == 1 and "does not exist" in orphan.stderr


def test_py_read_refusals(writable_server):
    missing = run_script("py_read.py", writable_server.url, "no/such/node")
    assert missing.returncode == 1 and "no node" in missing.stderr
    down = run_script("py_read.py", "http://127.0.0.1:9", "")
    assert down.returncode == 1 and down.stderr.startswith("py_read:")


# --- py_export ------------------------------------------------------------------------------------


def get_format(url: str, route: str, path: str, fmt: str, **params) -> bytes:
    response = httpx.get(f"{url}/api/v1/{route}/{path}", params={"format": fmt, **params}, timeout=60)
    response.raise_for_status()
    return response.content


@pytest.mark.parametrize("path,route,fmt,out", [
    ("rt/py/arrays/float64_le_2x3x4", "array/full", None, "a.tiff"),
    ("rt/py/arrays/uint16_be_7", "array/full", "csv", "a.out"),
    ("rt/py/arrays/int32_le_2x3x4", "array/full", "application/json", "a.json"),  # big-endian: 500
    ("rt/py/arrays/uint8_na_2x3x4", "array/full", "png", "a.png"),
    ("rt/py/tables/nulls", "table/full", "parquet", "t.parquet"),
    ("rt/py/tables/nulls", "table/full", None, "t.csv"),
    ("rt/py/tables/appendable", "table/full", "arrow", "t.arrow"),
    ("rt/py/tables/nulls", "table/full", "application/json-seq", "t.jsonl"),
    ("raw/scan", "container/full", "h5", "c.h5"),
    ("rt/py/arrays", "container/full", "json", "c.json"),
])
def test_py_export_writes_what_the_server_sends(writable_server, written, tmp_path, path, route, fmt, out):
    """The Python client's export is one GET ?format=F (F inferred from the file's suffix when not
    given), written as received."""
    target = tmp_path / out
    result = run_script("py_export.py", writable_server.url, path, str(target), *(["--format", fmt] if fmt else []))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    sent = get_format(writable_server.url, route, path, fmt or out.rsplit(".", 1)[1])
    if out.endswith(".arrow"):
        # Quirk: tiled's Arrow bytes of an SQL-stored table differ from one request to the next
        # (the decoded tables are equal): compare the tables.
        import pyarrow

        def decode(data):
            return pyarrow.ipc.open_file(io.BytesIO(data)).read_all()

        assert decode(target.read_bytes()).equals(decode(sent), check_metadata=True)
    else:
        assert target.read_bytes() == sent
        assert report["sha256"] == sha(sent)
    assert report["bytes"] == len(sent) == target.stat().st_size


def test_py_export_contents(writable_server, written, tmp_path):
    """What some exports hold, checked against the data set with other libraries."""
    import pyarrow.parquet

    (u16,) = [n for n in dataset.arrays() if n.key == "uint16_be_7"]
    target = tmp_path / "u16.csv"
    assert run_script("py_export.py", writable_server.url, "rt/py/arrays/uint16_be_7", str(target)).returncode == 0
    assert target.read_text().split() == [str(int(v)) for v in u16.data]  # one value a line, in order

    target = tmp_path / "nulls.parquet"
    result = run_script("py_export.py", writable_server.url, "rt/py/tables/nulls", str(target), "--columns", "int8,string_nulls")
    assert result.returncode == 0, result.stderr
    table = pyarrow.parquet.read_table(target)
    frame = dataset.nulls_table()
    assert table.column("int8").to_pylist() == frame["int8"].tolist()
    assert table.column("string_nulls").to_pylist() == ["a", None, "µm Å", "", "日本語"]
    assert "int64_nulls" not in table.column_names  # --columns selected

    target = tmp_path / "slice.csv"
    result = run_script("py_export.py", writable_server.url, "rt/py/arrays/int16_le_2x3x4", str(target), "--slice", "1,0:2")
    assert result.returncode == 0, result.stderr
    (i16,) = [n for n in dataset.arrays() if n.key == "int16_le_2x3x4"]
    rows = [list(map(int, line.split(","))) for line in target.read_text().splitlines()]
    assert rows == i16.data[1, 0:2].tolist()

    target = tmp_path / "nope.csv"
    result = run_script("py_export.py", writable_server.url, "rt/py/arrays/int16_le_2x3x4", str(target))
    assert result.returncode == 1 and "406" in result.stderr  # 3-D arrays have no CSV form
    assert not target.exists()


def test_py_export_of_a_run_as_documents(server_url, tmp_path):
    """A BlueskyRun on the SQL replica exports as its documents (application/json-seq)."""
    target = tmp_path / "run.jsonl"
    run = "bdp2022/a1233634-1259-438f-b9f0-f77c26f48f54"
    result = run_script("py_export.py", server_url, run, str(target), "--format", "application/json-seq")
    assert result.returncode == 0, result.stderr
    records = target.read_bytes().split(b"\x1e")[1:]
    docs = [json.loads(r) for r in records]
    assert docs[0]["name"] == "start" and docs[0]["doc"]["uid"] == "a1233634-1259-438f-b9f0-f77c26f48f54"
    assert docs[-1]["name"] == "stop"
    assert io.BytesIO(target.read_bytes()).read(1) == b"\x1e"
