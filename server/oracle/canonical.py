"""The canonical encoding of one array, so that Python and TypeScript digest the same values alike.

Format name: ``oracle-canonical/1`` (``FORMAT``). Change the name whenever the rules change.

An array (any shape) is read in C order (row-major, last index fastest) and classified by its
numpy dtype into one of two *encodings*; the digest is the lowercase hex SHA-256 of the bytes
below, over the elements only (shape and dtype are recorded beside the digest, not hashed).

numeric: dtype kind ``b`` (bool), ``i`` (signed int), ``u`` (unsigned int), ``f`` (float),
    ``M``/``m`` (datetime64/timedelta64: their int64 count in the dtype's own unit),
    and ``O`` (object) arrays whose elements are all numbers or missing (see below).
    Each element becomes 8 bytes: the IEEE-754 binary64 value, little-endian, whatever the
    source's byte order (big-endian ``>i4`` digests like ``<i4``).
    * bool: true -> 1.0, false -> 0.0.
    * integers: converted to the nearest binary64, ties to even (numpy's ``astype(float64)``
      and JavaScript's ``Number(bigint)`` agree); so int64/uint64 beyond 2**53 lose precision
      exactly as a JavaScript number does.
    * every NaN (any sign, any payload; also NaT and a missing element of an object array)
      -> the one bit pattern ``0x7FF8000000000000`` (bytes ``00 00 00 00 00 00 f8 7f``).
      Write it explicitly: do not rely on a typed array's NaN.
    * +/-Infinity and -0.0 keep their own bit patterns (-0.0 is ``00 .. 00 80``).

text: dtype kind ``U`` (numpy fixed-width unicode), ``S`` (bytes), ``T`` (numpy 2 StringDType),
    and ``O`` arrays whose elements are all str/bytes or missing (an object array with no
    element present, or none at all, counts as text). Each element becomes a 4-byte
    unsigned little-endian length followed by that many bytes:
    * str -> its UTF-8 bytes. numpy ``U`` cannot hold trailing NULs (numpy strips them when
      an element is read, so ``"a\\0"`` stored is ``"a"``); interior NULs are kept. A surrogate
      code point (only possible in a Python str built by hand) is replaced by U+FFFD, as
      JavaScript's TextEncoder does for a lone surrogate.
    * bytes (``S`` or a bytes object) -> the bytes as they are, after numpy's stripping of
      trailing NULs for ``S``; no decoding.
    * missing (None, a float NaN, ``pandas.NA``, StringDType's NA) -> length ``0xFFFFFFFF`` and
      no bytes, so a missing value differs from the empty string (length 0).
    Length-prefixing (rather than joining with ``"\\x00"``) keeps interior NULs unambiguous.

An empty array digests as SHA-256 of no bytes
(``e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855``) in both encodings.

Reference vectors (server/tests/test_oracle.py checks them against bytes it builds by hand):

* numeric ``[1, -2.5, NaN, Infinity, -0.0]`` (any int/float dtype holding these) ->
  ``f8b4d07264102f66d036c6b2b12b83318826f4499c83ae2637ffb2ef8c007665``
* text ``["open", "", <missing>, "Å→x"]`` ->
  ``d4cf117569ca4757a663b0960706b47e230cf7d4b826e301d77e4a519a5c9d42``

Not supported (``UnsupportedDtype``, recorded as the variable's error): complex (``c``),
structured/void (``V``), and object arrays mixing text and numbers or holding anything else
(lists, dicts: say so rather than guess).

``first_values`` gives the first three elements (C order) as JSON-safe values for readable
diffs: numbers as JSON numbers (NaN, Infinity, -Infinity as the strings ``"NaN"``,
``"Infinity"``, ``"-Infinity"``), bools as booleans, text as strings (bytes decoded as UTF-8
with U+FFFD for bad bytes), missing as null.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import struct

import numpy

FORMAT = "oracle-canonical/1"

_CANONICAL_NAN_BITS = 0x7FF8000000000000
CANONICAL_NAN = struct.pack("<Q", _CANONICAL_NAN_BITS)
MISSING_LENGTH = 0xFFFFFFFF
# Elements converted to float64 at a time: bounds the temporary copy of a large frame stack.
_CHUNK = 1 << 20

_NUMERIC_KINDS = frozenset("biufMm")
_TEXT_KINDS = frozenset("UST")


class UnsupportedDtype(ValueError):
    """An array this encoding does not define (complex, structured, mixed object)."""


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pandas.NA and StringDType's NA: compared by type name so this module needs no pandas.
    return type(value).__name__ in ("NAType", "NaTType")


def _is_text(value) -> bool:
    return isinstance(value, (str, bytes, numpy.str_, numpy.bytes_))


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, numpy.bool_)) and not isinstance(value, complex)


def encoding_of(array: numpy.ndarray) -> str:
    """``"numeric"`` or ``"text"``; raises UnsupportedDtype for anything else."""
    kind = array.dtype.kind
    if kind in _NUMERIC_KINDS:
        return "numeric"
    if kind in _TEXT_KINDS:
        return "text"
    if kind == "O":
        present = [v for v in array.ravel(order="C") if not _is_missing(v)]
        if all(_is_text(v) for v in present):
            return "text"
        if all(_is_number(v) for v in present):
            return "numeric"
        kinds = sorted({type(v).__name__ for v in present})
        raise UnsupportedDtype(f"object array holding {', '.join(kinds)}: neither all text nor all numbers")
    raise UnsupportedDtype(f"dtype {array.dtype.str} (kind {kind!r}) has no canonical encoding")


def _numeric_chunks(array: numpy.ndarray):
    flat = array.ravel(order="C")
    if array.dtype.kind in "Mm":
        # NaT is the int64 minimum: mark it before the view loses it.
        nat = numpy.isnat(flat)
        flat = flat.view("<i8" if flat.dtype.byteorder != ">" else ">i8")
    else:
        nat = None
    for start in range(0, flat.size, _CHUNK):
        part = flat[start:start + _CHUNK]
        if part.dtype.kind == "O":
            values = numpy.array([numpy.nan if _is_missing(v) else float(v) for v in part], dtype="<f8")
        else:
            values = part.astype("<f8")
        if nat is not None:
            values[nat[start:start + _CHUNK]] = numpy.nan
        # numpy's NaNs may carry any sign and payload: rewrite each to the canonical pattern.
        values.view("<u8")[numpy.isnan(values)] = _CANONICAL_NAN_BITS
        yield values.tobytes()


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


def _text_element(value) -> bytes:
    if _is_missing(value):
        return struct.pack("<I", MISSING_LENGTH)
    data = bytes(value) if isinstance(value, (bytes, numpy.bytes_)) else _utf8(str(value))
    return struct.pack("<I", len(data)) + data


def canonical_bytes(array: numpy.ndarray):
    """The canonical encoding as an iterator of byte chunks (large arrays are not copied whole)."""
    array = numpy.asarray(array)
    if encoding_of(array) == "numeric":
        yield from _numeric_chunks(array)
    else:
        # .tolist() turns U/S/T/O elements into str/bytes/objects, stripping U/S trailing NULs.
        yield b"".join(_text_element(v) for v in array.ravel(order="C").tolist())


def digest(array: numpy.ndarray) -> str:
    h = hashlib.sha256()
    for chunk in canonical_bytes(array):
        h.update(chunk)
    return h.hexdigest()


def json_value(value):
    """One element as JSON: NaN/Infinity as strings, bytes decoded, None/pandas.NA as null."""
    if _is_missing(value) and not isinstance(value, float):
        return None
    if isinstance(value, (numpy.generic,)):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return repr(value)  # datetime64 items and the like: readable, not meant for comparison


def first_values(array: numpy.ndarray, n: int = 3) -> list:
    array = numpy.asarray(array)
    text = encoding_of(array) == "text"
    flat = array.ravel(order="C")[:n]
    # In text, a float NaN is pandas' missing value (null), not the number NaN.
    return [None if text and _is_missing(v) else json_value(v) for v in flat.tolist()]
