"""Full-text search as the 2022 server's MongoDB answered it, on mongomock.

databroker translates tiled's `FullText(text)` into `{"$text": {"$search": text,
"$caseSensitive": False}}` on the `run_start` collection, whose text index suitcase-mongo creates
over every string field (`[("$**", "text")]`). mongomock has no `$text`, so databroker falls back
to tiled's in-memory MapAdapter search instead, which lowercases the documents but not the query
(`M9` finds nothing while `m9` works), also searches the stop document and the summary, and turns
the result into an in-memory node on which `sort` only reverses and `page[limit]=0` gives nothing.

`text_search` replaces that fallback with what a MongoDB `$text` query over a `$**` index does,
and stays a MongoAdapter query (`{"uid": {"$in": [...]}}`), so sorting, paging, counting and
`distinct` behave as for every other query:

* words are the runs of letters, digits and `_` (MongoDB's delimiters are white space, dashes and
  punctuation; `_` is not one: `m9_push_images` is one word);
* matching is case-insensitive and diacritic-insensitive (text index version 3);
* the words of the query are OR'd; a `"quoted phrase"` must appear (case-insensitively) in one
  string value, and every phrase of the query must; a `-word` excludes runs holding the word;
* only the start document's string values are searched (keys are not), nested ones included.

Not emulated: English stemming and stop words (MongoDB would also match `image` for `images`,
and ignore `the`), and text-score ranking (nothing here asks for it: results keep the request's
sort).
"""

from __future__ import annotations

import re
import threading
import unicodedata

_WORD = re.compile(r"\w+")
_PHRASE = re.compile(r'"([^"]*)"')


def _fold(text: str) -> str:
    """Case- and diacritic-insensitive form (MongoDB text index version 3)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


class _Terms:
    """One start document's searchable form: its folded words and folded string values."""

    __slots__ = ("words", "values")

    def __init__(self, start: dict):
        self.values = [_fold(s) for s in _strings(start)]
        self.words = {w for v in self.values for w in _WORD.findall(v)}


def parse(text: str) -> tuple[set[str], list[str], set[str]]:
    """MongoDB $search syntax -> (words, phrases, negated words), all folded."""
    phrases = [_fold(p) for p in _PHRASE.findall(text) if p.strip()]
    rest = _PHRASE.sub(" ", text)
    words: set[str] = set()
    negated: set[str] = set()
    for token in rest.split():
        target = negated if token.startswith("-") else words
        target.update(_WORD.findall(_fold(token)))
    return words, phrases, negated


def matches(terms: _Terms, words, phrases, negated) -> bool:
    if negated and not negated.isdisjoint(terms.words):
        return False
    if phrases:
        return all(any(p in v for v in terms.values) for p in phrases)
    return not words.isdisjoint(terms.words)


_cache: dict[int, dict[str, _Terms]] = {}  # id(run_start collection store) -> uid -> terms
_lock = threading.Lock()


def text_search(query, catalog):
    """FullText -> the runs whose start document a MongoDB $text search would return."""
    words, phrases, negated = parse(query.text)
    if not words and not phrases:
        # MongoDB: a search of only negated terms (or of nothing) matches no document.
        return catalog.apply_mongo_query({"uid": {"$in": []}})
    collection = catalog._run_start_collection
    with _lock:
        terms_by_uid = _cache.setdefault(id(collection._store), {})
    uids = []
    for start in collection.find(catalog._build_mongo_query(), {"_id": False}):
        uid = start["uid"]
        terms = terms_by_uid.get(uid)
        if terms is None:
            # Start documents are never updated through this server (POST only inserts).
            terms = terms_by_uid[uid] = _Terms(start)
        if matches(terms, words, phrases, negated):
            uids.append(uid)
    return catalog.apply_mongo_query({"uid": {"$in": uids}})
