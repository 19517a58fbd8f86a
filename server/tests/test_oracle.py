"""The oracle (server/oracle/): the canonical encoding is pinned, and tiled's Python client digests
a few runs of every kind on both layouts alike.

The encoding tests build the expected bytes by hand (struct.pack), never through the code under
test, so the format a TypeScript implementation must reproduce cannot drift unnoticed. The walk
tests read one run per plan (every stream kind: AD frames, Flyscan spectra, text baselines, a
run without streams) from the session's SQL server and legacy server.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct

import httpx
import numpy
import pytest

from oracle import canonical, stream_digest

NAN = struct.pack("<Q", 0x7FF8000000000000)


def f64(*values: float) -> bytes:
    return b"".join(struct.pack("<d", v) for v in values)


def text(*items) -> bytes:
    out = b""
    for item in items:
        if item is None:
            out += struct.pack("<I", 0xFFFFFFFF)
        else:
            data = item if isinstance(item, bytes) else item.encode("utf-8")
            out += struct.pack("<I", len(data)) + data
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the canonical encoding ----------------------------------------------------------------

@pytest.mark.parametrize("array, expected", [
    (numpy.array([1, -2, 3], dtype="<i8"), f64(1, -2, 3)),
    (numpy.array([1, -2, 3], dtype=">i4"), f64(1, -2, 3)),  # big-endian digests like little-endian
    (numpy.array([1.5, -0.25], dtype=">f8"), f64(1.5, -0.25)),
    (numpy.array([250, 7], dtype="u1"), f64(250, 7)),
    (numpy.array([True, False, True]), f64(1, 0, 1)),
    (numpy.array([2**53 + 1, -(2**63)], dtype="<i8"), f64(2.0**53, -(2.0**63))),  # as JavaScript's Number(bigint)
    (numpy.array([2**64 - 1], dtype="<u8"), f64(2.0**64)),
    (numpy.array([numpy.inf, -numpy.inf, -0.0]), f64(numpy.inf, -numpy.inf, -0.0)),
    (numpy.array([[1, 2], [3, 4]], dtype="<i2"), f64(1, 2, 3, 4)),  # C order
    (numpy.array([[1, 2], [3, 4]], dtype="<i2").T, f64(1, 3, 2, 4)),  # the array's logical order, not memory
    (numpy.array([1.0, 2.0], dtype="<f4"), f64(1.0, 2.0)),
    (numpy.array([1, None, 2.5], dtype=object), f64(1) + NAN + f64(2.5)),  # numbers in an object array
])
def test_numeric_encoding(array, expected):
    assert canonical.encoding_of(array) == "numeric"
    assert b"".join(canonical.canonical_bytes(array)) == expected
    assert canonical.digest(array) == sha(expected)


def test_every_nan_is_one_pattern():
    bits = numpy.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0x7FFFFFFFFFFFFFFF], dtype="<u8")
    nans = bits.view("<f8")
    assert numpy.isnan(nans).all()
    assert b"".join(canonical.canonical_bytes(nans)) == NAN * 4
    assert b"".join(canonical.canonical_bytes(numpy.array([numpy.nan], dtype=">f4"))) == NAN
    nat = numpy.array(["2022-05-03", "NaT"], dtype="datetime64[s]")
    assert b"".join(canonical.canonical_bytes(nat)) == f64(1651536000) + NAN


@pytest.mark.parametrize("array, expected", [
    (numpy.array(["open", "closed"]), text("open", "closed")),
    (numpy.array(["Å→x", "日本", "😀"]), text("Å→x", "日本", "😀")),  # UTF-8, not UTF-32
    (numpy.array(["a\x00b", "c\x00"], dtype="<U3"), text("a\x00b", "c")),  # numpy drops trailing NULs only
    (numpy.array(["ab"], dtype=">U2"), text("ab")),
    (numpy.array([b"raw\xff", b"x\x00"], dtype="S4"), text(b"raw\xff", b"x")),  # bytes as they are
    (numpy.array(["open", "", None, float("nan")], dtype=object), text("open", "", None, None)),
    (numpy.array([b"b", "s"], dtype=object), text(b"b", "s")),
    (numpy.array([None, None], dtype=object), text(None, None)),
    (numpy.array(["lone \ud800"], dtype=object), text("lone \ufffd")),  # as TextEncoder does
])
def test_text_encoding(array, expected):
    assert canonical.encoding_of(array) == "text"
    assert b"".join(canonical.canonical_bytes(array)) == expected
    assert canonical.digest(array) == sha(expected)


def test_missing_differs_from_empty_and_interior_nul_is_unambiguous():
    assert canonical.digest(numpy.array([""], dtype=object)) != canonical.digest(numpy.array([None], dtype=object))
    # "a\0b" and ["a", "b"] would collide if elements were only joined by NUL.
    assert canonical.digest(numpy.array(["a\x00b"])) != canonical.digest(numpy.array(["a", "b"]))


def test_string_dtype_with_na():
    dtype = numpy.dtypes.StringDType(na_object=None)
    array = numpy.array(["x", None, "ÿ"], dtype=dtype)
    assert canonical.encoding_of(array) == "text"
    assert canonical.digest(array) == sha(text("x", None, "ÿ"))


def test_pandas_string_array_as_xarray_returns_it():
    # The legacy layout's text columns arrive as a pandas ArrowStringArray; .values is object.
    import pandas
    import xarray

    column = pandas.Series(["On", None, "Off"], dtype="str")
    values = xarray.Dataset({"v": ("time", column.array)})["v"].values
    assert values.dtype == object
    assert canonical.digest(values) == sha(text("On", None, "Off"))
    assert canonical.first_values(values) == ["On", None, "Off"]


def test_empty_arrays():
    empty = sha(b"")
    assert empty == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for array in (numpy.zeros((0,), "<f8"), numpy.zeros((3, 0), ">i4"), numpy.array([], dtype="<U1"),
                  numpy.array([], dtype=object)):
        assert canonical.digest(array) == empty


@pytest.mark.parametrize("array", [
    numpy.array([1 + 2j]),
    numpy.zeros(2, dtype=[("a", "<i4")]),
    numpy.array(["a", 1], dtype=object),
    numpy.array([{"a": 1}], dtype=object),
])
def test_unsupported_arrays_are_refused_with_the_reason(array):
    with pytest.raises(canonical.UnsupportedDtype, match="object array holding|no canonical encoding"):
        canonical.digest(array)


def test_first_values_are_json():
    assert canonical.first_values(numpy.array([numpy.nan, numpy.inf, -numpy.inf, 1.0])) == ["NaN", "Infinity", "-Infinity"]
    assert canonical.first_values(numpy.array([True, False])) == [True, False]
    assert canonical.first_values(numpy.array([[7, 8], [9, 10]], dtype=">i8")) == [7, 8, 9]
    assert canonical.first_values(numpy.array([b"a\xff"], dtype="S2")) == ["a\ufffd"]
    json.dumps(canonical.first_values(numpy.array([numpy.nan])), allow_nan=False)


def test_reference_vectors_in_the_docstring():
    """The vectors documented for TypeScript implementers hold (bytes built here, by hand)."""
    doc = canonical.__doc__
    numeric = f64(1, -2.5) + NAN + f64(numpy.inf, -0.0)
    texts = text("open", "", None, "Å→x")
    assert f"``{sha(numeric)}``" in doc
    assert f"``{sha(texts)}``" in doc
    assert canonical.digest(numpy.array([1, -2.5, numpy.nan, numpy.inf, -0.0])) == sha(numeric)
    assert canonical.digest(numpy.array(["open", "", None, "Å→x"], dtype=object)) == sha(texts)


# --- the walk, on both layouts ----------------------------------------------------------------

# One run of each kind the catalogs hold; each is looked up by plan on the server (first match).
PLANS = {"bdp2022": ["take_image", "push_images", "new_sample", "m9_push_images"],
         "20idb_usaxs": ["documentation_run", "Flyscan", "SAXS", "tune_ar", "uascan"]}


@pytest.fixture(scope="module")
def subset_uids(server_url):
    from tiled.client import from_uri
    from tiled.queries import Key

    root = from_uri(server_url)
    uids = []
    for catalog, plans in PLANS.items():
        for plan in plans:
            uids.append(root[catalog].search(Key("plan_name") == plan).keys().first())
    return uids


@pytest.fixture(scope="module")
def digests(server_url, legacy_url, subset_uids, tmp_path_factory):
    out = {}
    for layout, url in (("sql", server_url), ("mongo", legacy_url)):
        path = tmp_path_factory.mktemp("oracle") / f"{layout}.jsonl"
        assert stream_digest.main(["--url", url, "--out", str(path), "--workers", "1",
                                   *[a for uid in subset_uids for a in ("--uid", uid)]]) == 0
        out[layout] = [json.loads(line) for line in path.read_text().splitlines()]
    return out


def streams_of(records):
    return {(r["uid"], r["stream"]): r for r in records if r["kind"] == "stream"}


def test_every_stream_of_the_subset_reads_on_both_layouts(digests, subset_uids):
    for layout, records in digests.items():
        assert records[0]["kind"] == "header" and records[0]["format"] == canonical.FORMAT
        assert records[0]["layout"] == layout
        assert records[-1]["kind"] == "summary"
        runs = {r["uid"]: r for r in records if r["kind"] == "run"}
        assert set(runs) == set(subset_uids)
        streams = streams_of(records)
        assert {s for r in runs.values() for s in r["streams"]} >= {"primary", "baseline", "mca"}
        assert any(not r["streams"] for r in runs.values())  # new_sample: a run without streams
        assert len(streams) == sum(len(r["streams"]) for r in runs.values())
        for key, stream in streams.items():
            assert stream["read"] == "dataset", (layout, key, stream["error"])
            names = {v["name"] for v in stream["variables"]}
            assert "time" in names, (layout, key)
            # Every data key the descriptor declares is a variable (m9's descriptor declares none).
            assert set(stream["data_keys"]) <= names, (layout, key)
            for v in stream["variables"]:
                assert v["error"] is None and re.fullmatch(r"[0-9a-f]{64}", v["sha256"]), (layout, key, v)


def test_both_layouts_hold_the_same_values(digests):
    sql, mongo = streams_of(digests["sql"]), streams_of(digests["mongo"])
    assert set(sql) == set(mongo)
    text_columns = 0
    for key in sql:
        a = {v["name"]: v for v in sql[key]["variables"]}
        b = {v["name"]: v for v in mongo[key]["variables"]}
        assert set(a) == set(b), key
        for name in a:
            assert (a[name]["sha256"], a[name]["shape"], a[name]["units"]) == \
                   (b[name]["sha256"], b[name]["shape"], b[name]["units"]), (key, name)
            if a[name]["encoding"] == "text":
                text_columns += 1
                # The quirk: SQL returns numpy '<U{n}', the legacy layout a pandas string array
                # (object .values); the values digest alike.
                assert a[name]["dtype"].startswith("<U") and b[name]["dtype"] == "|O", (key, name)
    assert text_columns >= 5  # the baselines' shutters, states, titles; the documentation_run's text


def test_legacy_text_column_itemsize_zero(legacy_url, digests):
    """databroker describes text columns with itemsize 0 (the descriptors' dtype_numpy '<U0' wins
    over the measured width): tiled's ArrayClient.read() of one such column fails in Python too;
    the Dataset read (one Arrow table for the 1-D columns) works. The digest of that column equals
    one computed here from the server's JSON, so the oracle is checked by an independent path."""
    from tiled.client import from_uri

    stream = next(r for r in digests["mongo"] if r["kind"] == "stream" and r["stream"] == "baseline")
    variable = next(v for v in stream["variables"] if v["name"] == "usaxs_shutter")
    path = f"20idb_usaxs/{stream['uid']}/baseline/data/usaxs_shutter"
    structure = httpx.get(f"{legacy_url}/api/v1/metadata/{path}").json()["data"]["attributes"]["structure"]
    assert structure["data_type"]["kind"] == "U" and structure["data_type"]["itemsize"] == 0
    column = from_uri(legacy_url)["20idb_usaxs"][stream["uid"]]["baseline"]["data"]["usaxs_shutter"]
    with pytest.raises(ValueError, match="itemsize cannot be zero"):
        column.read()
    values = httpx.get(f"{legacy_url}/api/v1/array/full/{path}", params={"format": "application/json"}).json()
    assert variable["sha256"] == sha(text(*values))
    assert variable["first"] == values[:3]


def test_numeric_digest_matches_an_independent_read(server_url, digests):
    """A numeric column's digest equals one computed here from the SQL server's JSON table."""
    stream = next(r for r in digests["sql"] if r["kind"] == "stream" and r["stream"] == "mca")
    variable = next(v for v in stream["variables"] if v["name"] == "struck_mca1_elapsed_real_time")
    rows = httpx.get(f"{server_url}/api/v1/table/full/20idb_usaxs/{stream['uid']}/mca/internal",
                     params={"format": "application/json", "column": "struck_mca1_elapsed_real_time"}).json()
    assert variable["sha256"] == sha(f64(*rows["struck_mca1_elapsed_real_time"]))


def test_failures_are_recorded_not_dropped(server_url):
    """A stream that cannot be opened is a record with its error, not a gap in the output."""
    from tiled.client import from_uri

    run = from_uri(server_url)["bdp2022"].values().first()
    record = stream_digest.digest_stream("bdp2022", run.metadata["start"]["uid"], run, "no_such_stream")
    assert record["read"] == "failed" and "KeyError" in record["error"]
    summary = stream_digest.summarize([record], 0.0)["catalogs"]["bdp2022"]
    assert summary["streams"] == 1 and summary["streams_failed_whole_read"] == 1


def test_a_stream_whose_read_fails_is_read_per_variable():
    """When ``read()`` raises, each variable is read alone and keeps its own error (a stand-in
    stream object: this checks the walker's fallback, which the replicas never trigger)."""
    import xarray

    class Stream:
        descriptors = [{"data_keys": {"ok": {"dtype": "number", "shape": [], "units": "mm"},
                                      "bad": {"dtype": "string", "shape": []}}}]

        def __iter__(self):
            return iter(["ok", "bad", "seq_num", "ts_ok"])

        def __contains__(self, key):
            return key in list(self)

        def read(self, variables=None):
            if variables == ["ok"]:
                return xarray.Dataset({"ok": ("time", numpy.array([1.0, 2.0]))},
                                      coords={"time": numpy.array([10.0, 11.0])})
            raise ValueError(f"cannot read {variables}")

    record = stream_digest.digest_stream("c", "u", {"s": Stream()}, "s")
    assert record["read"] == "per-variable" and "cannot read None" in record["error"]
    by_name = {v["name"]: v for v in record["variables"]}
    assert set(by_name) == {"ok", "time", "bad"}
    assert by_name["ok"]["sha256"] == sha(f64(1.0, 2.0)) and by_name["ok"]["units"] == "mm"
    assert by_name["time"]["role"] == "coord" and by_name["time"]["sha256"] == sha(f64(10.0, 11.0))
    assert by_name["bad"]["sha256"] is None and "cannot read ['bad']" in by_name["bad"]["error"]
