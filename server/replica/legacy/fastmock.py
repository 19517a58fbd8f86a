"""A result-preserving speed-up of mongomock for databroker's MongoAdapter.

mongomock answers every query by scanning (and deep-copying) whole collections, and databroker
asks the `event` collection for aggregates whenever a stream is opened or a column, a frame or
`time` is read. With bdp2022's ~36,000 events each such request took seconds (tens of seconds
for the 10,261-event run), because `Collection.aggregate()` first copies the *entire*
collection. Two changes, both in mongomock only (databroker and tiled run unchanged):

1. `Collection.aggregate`: a leading `{"$match": ...}` stage is answered by `find()` first, so
   only the matching documents are copied, as a real MongoDB uses its indexes for a leading
   $match. The remaining stages run on those documents exactly as before.
2. `Collection._iter_documents`: a filter whose top-level `descriptor` (events) or `run_start`
   (descriptors, stops) is a string or `{"$in": [strings]}` scans only the documents holding
   those values, taken from a dict index built lazily and rebuilt whenever the collection's size
   changed (documents are only ever inserted: loading, or POST /documents). The full filter is
   still applied to every candidate and candidates keep their insertion (natural) order, so
   every result is what plain mongomock returns.

    from replica.legacy import fastmock
    fastmock.patch()      # idempotent; affects this process's mongomock only
"""

from __future__ import annotations

import threading

import mongomock.aggregate
import mongomock.collection
from mongomock.filtering import filter_applies

INDEXED_FIELDS = ("descriptor", "run_start")

_original_aggregate = mongomock.collection.Collection.aggregate
_original_iter_documents = mongomock.collection.Collection._iter_documents
# (id(collection store), field) -> (store size when built, {value: [(position, document)]})
_indexes: dict = {}
_lock = threading.Lock()


def _aggregate(self, pipeline, session=None, **kwargs):
    if pipeline and isinstance(pipeline[0], dict) and set(pipeline[0]) == {"$match"}:
        matched = list(self.find(pipeline[0]["$match"]))
        return mongomock.aggregate.process_pipeline(matched, self.database, pipeline[1:], session)
    return _original_aggregate(self, pipeline, session=session, **kwargs)


def _index(store, field: str) -> dict:
    key = (id(store), field)
    size = len(store)
    with _lock:
        cached = _indexes.get(key)
        if cached is not None and cached[0] == size:
            return cached[1]
        index: dict = {}
        # A snapshot, as mongomock's own scan takes: an insert from another thread cannot break it.
        for position, document in enumerate(list(store.documents)):
            value = document.get(field)
            if isinstance(value, str):
                index.setdefault(value, []).append((position, document))
        _indexes[key] = (size, index)
        return index


def _candidates(collection, filter):
    """The documents that can match `filter`, in natural order, or None to scan everything."""
    if not isinstance(filter, dict):
        return None
    for field in INDEXED_FIELDS:
        condition = filter.get(field)
        if isinstance(condition, str):
            values = [condition]
        elif (isinstance(condition, dict) and set(condition) == {"$in"}
              and isinstance(condition["$in"], (list, tuple))
              and all(isinstance(v, str) for v in condition["$in"])):
            values = list(dict.fromkeys(condition["$in"]))
        else:
            continue
        index = _index(collection._store, field)
        found = [pair for value in values for pair in index.get(value, ())]
        if len(values) > 1:
            found.sort(key=lambda pair: pair[0])
        return [document for _, document in found]
    return None


def _iter_documents(self, filter):
    candidates = _candidates(self, filter)
    if candidates is None:
        return _original_iter_documents(self, filter)
    return (document for document in candidates if filter_applies(filter, document))


def patch() -> None:
    mongomock.collection.Collection.aggregate = _aggregate
    mongomock.collection.Collection._iter_documents = _iter_documents


def unpatch() -> None:
    mongomock.collection.Collection.aggregate = _original_aggregate
    mongomock.collection.Collection._iter_documents = _original_iter_documents
