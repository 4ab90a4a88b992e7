"""One generation's index as numpy arrays: what makes search fast on Whoosh.

Plain Whoosh scores and collects matches one document at a time in Python, and
its `groupedby` facets rebuild per-document value lists on every search. Here,
when a generation is opened, the per-document facts every search needs (facet
values, dates, field lengths, deletions) are read once into arrays; the postings
of a query term are read once into arrays (`ids`, `tf`) and cached for the
generation (bounded: the least recently used go first). A search is then a few
vectorised numpy operations over those arrays, and facet counts are `bincount`s
over the matching documents.

Whoosh stays the storage format: postings, lengths and stored fields are read
through its readers (a fast block-level path for its own W3 codec, and the
generic matcher API as a fallback).
"""

from __future__ import annotations

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.filedb import structfile
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search_service.articles import LANGUAGES
from search_service.index.schema import EXACT_FIELDS
from search_service.text import fold

IntArray = npt.NDArray[np.int32]
#: Document numbers: int32, or uint16 in what the view's cache keeps (`IndexView.cached`).
DocIds = npt.NDArray[np.int32] | npt.NDArray[np.uint16]
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

FACETS: Final = ("country", "partner", "year", "language")
TEXT_FIELDS: Final = (
    *(f"{kind}_{lang}" for lang in LANGUAGES for kind in ("title", "body")),
    "title_exact",
    "body_exact",
)
#: Entries cached per generation, at most (the least recently used go first).
_POSTINGS_CACHE_LIMIT: Final = 50_000
#: ... and bytes of their arrays (serving stays well under 1 GB).
_CACHE_BYTES: Final = 256 * 2**20
#: The same bound over a compiled view, whose postings cost nothing to read again: what
#: is cached there (word scores, phrases, word pairs) is private to each worker. At
#: 32 MiB, emptied whole when full, a worker at 100k held 83.6 MiB of private memory after
#: 3,000 distinct searches, at 8 MiB 63.4 MiB (docs/serving-speed.md, "A smaller word cache"). The
#: least recently used going first, 4 MiB found a word as often as 8 MiB emptied whole on
#: mixes of distinct queries, but a 5k mix searched again took 0.85 ms a search against
#: 0.59 at 8 MiB: its words no longer fit (docs/serving-speed.md, "The word cache, least recently
#: used first"). The bench's HTTP steps send each query of their mix several times.
#: 7 MiB since the cache keeps two-byte document numbers up to 65,536 documents
#: (`IndexView._narrowed`): there it holds more words than 8 MiB did before, the 5k bench
#: list's as few scores computed again (0.217 a search over two workers' shares), and at
#: 100k, where numbers stay four bytes, 1.060 against 1.058 a search, 1 MiB less a
#: worker (docs/serving-speed.md, "A word cache of 7 MiB").
COMPILED_CACHE_BYTES: Final = 7 * 2**20
#: What an entry of the cache costs beyond its arrays' data: the `Postings`, two array
#: headers, the key and its slot (measured: 440 bytes an entry over the bench's stream,
#: with plain dictionaries; the ordered one adds a link of about 50 bytes per entry).
_ENTRY_BYTES: Final = 440
#: Generations of up to this many documents keep cached document numbers as uint16.
_NARROW_DOCS: Final = 2**16
#: What the view's cache keeps an entry under: ("postings", field, key) or
#: ("adjacency", field, first word, second word).
CacheKey = tuple[str, ...]
_EMPTY_IDS: Final = np.zeros(0, dtype=np.int32)
_EMPTY_TF: Final = np.zeros(0, dtype=np.float32)
_EMPTY_COUNTS: Final = np.zeros(0, dtype=np.int32)
#: A W3 posting block starts with its length, negative for a list's last block.
_BLOCK_LENGTH: Final = struct.Struct("!i")


@dataclass(frozen=True, slots=True)
class Postings:
    """The documents a term occurs in (sorted) and how often it occurs in each."""

    ids: DocIds
    tf: FloatArray

    @property
    def df(self) -> int:
        return int(self.ids.size)


EMPTY_POSTINGS: Final = Postings(_EMPTY_IDS, _EMPTY_TF)


class CompiledField(Protocol):
    """A text field's postings in a generation's compiled view (`compiled_view.FieldPostings`)."""

    def postings(self, term: str) -> Postings: ...

    def postings_of(self, terms: Sequence[str]) -> list[Postings]: ...

    def phrase(self, terms: Sequence[str]) -> Postings: ...

    def positions_in(self, term: str, docs: npt.NDArray[np.intp]) -> dict[int, list[int]]: ...


@dataclass(slots=True)
class FacetColumn:
    """Values of one facet for every document: (doc, value) entries, grouped by value.

    Counting reads them the other way too: `value_by_doc[doc_start[d]:doc_start[d + 1]]`
    are the values of document `d`, so a query matching few documents gathers only
    their entries instead of weighing every entry of the index.
    """

    values: list[str]
    index: dict[str, int]
    doc_of_entry: IntArray
    value_of_entry: IntArray
    doc_start: IntArray
    value_by_doc: IntArray
    #: For facets with at most one value per document (language, year): that value's
    #: id per document, `len(values)` when it has none. Counting then needs no gather.
    value_of_doc: IntArray | None = None
    #: Values by their folded form, built on first use (`value_folded_as`).
    _by_folded: dict[str, str] | None = None
    #: How many documents have each value, counting one value per document
    #: (`value_of_doc`, else `first_and_extra`'s first values); built on first use.
    _totals: npt.NDArray[np.int64] | None = None
    #: For facets with several values per document: each document's first value
    #: (`len(values)` when it has none), and the entries of its other values, as
    #: (doc, value) arrays. Mapped from a compiled view that has them, else built on
    #: first use (`first_and_extra`).
    _split: tuple[IntArray, npt.NDArray[np.intp], IntArray] | None = None
    #: `_value_starts`, once known (empty: the entries are not grouped by value).
    _starts_of_value: npt.NDArray[np.int64] | None = None

    @classmethod
    def from_entries(
        cls, values: list[str], doc_of_entry: IntArray, value_of_entry: IntArray, size: int
    ) -> FacetColumn:
        by_doc = np.argsort(doc_of_entry, kind="stable")
        column = cls(
            values=values,
            index={value: i for i, value in enumerate(values)},
            doc_of_entry=doc_of_entry,
            value_of_entry=value_of_entry,
            doc_start=np.searchsorted(doc_of_entry[by_doc], np.arange(size + 1)).astype(np.int64),
            value_by_doc=value_of_entry[by_doc],
        )
        per_doc = np.diff(column.doc_start)  # not `np.unique`: it imports numpy.ma (40 ms)
        if not per_doc.size or int(per_doc.max()) <= 1:
            column.value_of_doc = np.full(size, len(values), dtype=np.int32)
            column.value_of_doc[doc_of_entry] = value_of_entry
        return column

    def value_folded_as(self, folded: str) -> str | None:
        """The value that reads `folded` once case and accents are set aside, if any."""
        if self._by_folded is None:
            by_folded: dict[str, str] = {}
            for value in self.values:
                by_folded.setdefault(fold(value), value)
            self._by_folded = by_folded
        return self._by_folded.get(folded)

    def _one_per_doc_counts(
        self, value_of_doc: IntArray, mask: BoolArray, docs: npt.NDArray[np.intp], size: int
    ) -> npt.NDArray[np.int64]:
        """`counts` of one value per document (`size`: none).

        Over 3/5 of the documents in `mask`: every document's count, less those of the
        documents outside it (the 100k bench index, facets of 100,000 documents: at 90 %,
        70 µs against 160-220 µs for one key per document weighed by the mask; at 60 %
        the same; below, gathering the values of `docs` costs less).
        """
        if docs.size * 5 > mask.size * 3:
            outside = (~mask).nonzero()[0]
            return (
                self._counts_of_all(value_of_doc, size)
                - np.bincount(value_of_doc[outside], minlength=size + 1)[:size]
            )
        return np.bincount(value_of_doc[docs], minlength=size + 1)[:size].astype(np.int64)

    def _counts_of_all(self, value_of_doc: IntArray, size: int) -> npt.NDArray[np.int64]:
        """Counts of every document's value; a column always passes the same values (its
        `value_of_doc`, else its first values)."""
        if self._totals is None:
            totals = np.bincount(value_of_doc, minlength=size + 1)[:size]
            self._totals = totals.astype(np.int64)
        return self._totals

    def first_and_extra(self) -> tuple[IntArray, npt.NDArray[np.intp], IntArray]:
        """Each document's first value, and the (doc, value) entries of the others (their
        documents as `intp`: a mask indexed by int32 costs three times as much).

        Most documents name one country or partner, or none (the 100k bench index:
        142,660 entries for 100,000 documents), so many matching documents are
        counted as one value each, plus the few extra entries, rather than by
        weighing every entry of the index.
        """
        if self._split is None:
            size = self.doc_start.size - 1
            lengths = np.diff(self.doc_start)
            has = lengths > 0
            first = np.full(size, len(self.values), dtype=np.int32)
            first[has] = self.value_by_doc[self.doc_start[:-1][has]]
            doc_of_sorted = np.repeat(np.arange(size, dtype=np.intp), lengths)
            extra = np.arange(doc_of_sorted.size) != self.doc_start[doc_of_sorted]
            self._split = (first, doc_of_sorted[extra], self.value_by_doc[extra])
        return self._split

    def docs_with_any(self, wanted: Iterable[str], size: int) -> BoolArray:
        """Mask of documents having at least one of `wanted` (OR within a facet)."""
        ids = [self.index[value] for value in wanted if value in self.index]
        mask = np.zeros(size, dtype=np.bool_)
        if not ids:
            return mask
        value_starts = self._value_starts()
        if value_starts is None:
            hit = np.isin(self.value_of_entry, np.asarray(ids, dtype=np.int32))
            mask[self.doc_of_entry[hit]] = True
            return mask
        for value in ids:
            mask[self.doc_of_entry[value_starts[value] : value_starts[value + 1]]] = True
        return mask

    def _value_starts(self) -> npt.NDArray[np.int64] | None:
        """Where each value's entries begin, when the entries are grouped by value (the
        keyword facets: then a value's documents are a slice, not a scan of every
        entry); None when they are not (the year facet, in document order)."""
        if self._starts_of_value is None:
            entries = self.value_of_entry
            grouped = bool(np.all(entries[1:] >= entries[:-1]))
            self._starts_of_value = (
                np.searchsorted(entries, np.arange(len(self.values) + 1))
                if grouped
                else np.zeros(0, dtype=np.int64)
            )
        return self._starts_of_value if self._starts_of_value.size else None

    def counts(
        self, mask: BoolArray, docs: npt.NDArray[np.intp] | None = None
    ) -> npt.NDArray[np.int64]:
        """How many documents of `mask` have each value (`docs`: its documents, if known).

        Few documents: their values are gathered and counted. Many (over 3/5 of the
        documents for one value per document): the counts of all documents, kept per
        column, less those of the documents outside `mask` (`_one_per_doc_counts`).
        Several values per document and over 1/8 of the documents: their first values
        are counted so, plus the other entries of `mask`'s documents
        (`first_and_extra`; the 100k bench index's country facet with a fifth of the
        documents: 0.23 ms, 0.60 ms when every entry was keyed).
        Picking the entries by the mask first, or weighing them by it, cost up to
        twice as much when between a quarter and two thirds of the documents match
        (the 100k bench index: 0.90 → 0.66 ms for the country facet at 26 %, 0.32 →
        0.08 ms for the language facet).
        """
        size = len(self.values)
        if docs is None:
            docs = mask.nonzero()[0]
        if self.value_of_doc is not None:
            return self._one_per_doc_counts(self.value_of_doc, mask, docs, size)
        if docs.size * 8 > mask.size:
            first, extra_doc, extra_value = self.first_and_extra()
            counts = self._one_per_doc_counts(first, mask, docs, size)
            counts += np.bincount(extra_value[mask[extra_doc]], minlength=size)
            return counts
        starts = self.doc_start[docs]
        lengths = self.doc_start[docs + 1] - starts
        first = (starts - lengths.cumsum() + lengths).repeat(lengths)
        entries = first + np.arange(first.size)
        return np.bincount(self.value_by_doc[entries], minlength=size).astype(np.int64)


class StoredTexts(Protocol):
    """The stored fields results show (`compiled_view.StoredColumns`)."""

    def row(self, doc: int) -> tuple[list[str | None], int, bool]:
        """Texts in `compiled_view.ROW_FIELDS`' order ("" or None: none), the year (0:
        none), and whether the body is plain (False: not known)."""

    def fields(self, doc: int) -> dict[str, Any]:
        """The same by name, as Whoosh's `stored_fields` gives them."""


@dataclass(slots=True)
class IndexView:
    """Arrays of one generation plus a cache of postings-like arrays (shared by threads).

    `fields` are the compiled postings of the text fields (`compiled_view`): then
    a term's postings are slices of the mapped arrays. Without them (a
    generation built before views) they are read from the Whoosh segments, once
    per generation, and cached.
    """

    generation: str
    doc_count: int
    live: BoolArray
    date_sort: IntArray
    year: IntArray
    lengths: dict[str, FloatArray]
    average_lengths: dict[str, float]
    facets: dict[str, FacetColumn]
    live_count: int
    fields: dict[str, CompiledField] | None = None
    stored: StoredTexts | None = None
    """The stored fields results show, by document (compiled views); None: read them
    from the segments."""
    cache_bytes: int = _CACHE_BYTES
    """Bytes of what is cached (`cached`, `remember_adjacency`): beyond them, what was used
    least recently goes first."""
    _cached: OrderedDict[CacheKey, Postings | Adjacency] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def compiled(self) -> bool:
        return self.fields is not None

    def postings(self, reader: Any, fieldname: str, term: str) -> Postings:
        """Postings of `term` in `fieldname` (from the segments: read once, then cached)."""
        if self.fields is not None:
            found = self.fields.get(fieldname)
            return found.postings(term) if found is not None else EMPTY_POSTINGS
        return self.cached(
            fieldname, term, lambda: read_postings(reader, fieldname, term, self.live)
        )

    def postings_of(self, reader: Any, fieldname: str, terms: Sequence[str]) -> list[Postings]:
        """`postings` of several terms of a field (looked up together in a compiled view)."""
        if self.fields is not None:
            found = self.fields.get(fieldname)
            if found is None:
                return [EMPTY_POSTINGS] * len(terms)
            return found.postings_of(terms)
        return [self.postings(reader, fieldname, term) for term in terms]

    def phrase(self, searcher: Any, fieldname: str, terms: tuple[str, ...]) -> Postings:
        """Documents holding the words of `terms` side by side, in order (cached).

        Weighted as Whoosh's phrase matcher weighs them: the sum of the words'
        weights in the document.
        """
        key = '"' + " ".join(terms) + '"'

        def build() -> Postings:
            if self.fields is not None:
                found = self.fields.get(fieldname)
                return found.phrase(terms) if found is not None else EMPTY_POSTINGS
            reader = searcher.reader()
            if any(self.postings(reader, fieldname, term).df == 0 for term in terms):
                return EMPTY_POSTINGS
            matcher = wq.Phrase(fieldname, list(terms)).matcher(searcher)
            return matcher_postings(matcher, self.live)

        return self.cached(fieldname, key, build)

    def positions(
        self, reader: Any, fieldname: str, term: str, docs: npt.NDArray[np.intp]
    ) -> dict[int, list[int]]:
        """Positions of a term in a few documents (sorted) that hold it."""
        if self.fields is not None:
            found = self.fields.get(fieldname)
            return found.positions_in(term, docs) if found is not None else {}
        return _segment_positions(reader, fieldname, term, docs)

    def adjacency(self, fieldname: str, first: str, second: str) -> Adjacency:
        """Per-document counts of `second` right after `first`, for the documents counted
        so far (`remember_adjacency`)."""
        found = self._recall(("adjacency", fieldname, first, second))
        return found if isinstance(found, Adjacency) else _NO_ADJACENCY

    def remember_adjacency(
        self,
        fieldname: str,
        first: str,
        second: str,
        known: Adjacency,
        docs: npt.NDArray[np.intp],
        counts: IntArray,
    ) -> Adjacency:
        """`known` (what `adjacency` gave for the pair) with the counts of `docs` (none of
        them known) added, and kept. Merged onto `known` rather than onto the cache read
        again: reading the words' postings meanwhile may have let the pair's entry go."""
        merged = known.joined(docs, counts)
        self._keep(("adjacency", fieldname, first, second), merged)
        return merged

    def cached(self, fieldname: str, key: str, build: Callable[[], Postings]) -> Postings:
        """Postings-like arrays (a term, a word's scores, a phrase) kept for the generation."""
        found = self._recall(("postings", fieldname, key))
        if isinstance(found, Postings):
            return found
        built = self._narrowed(build())
        self._keep(("postings", fieldname, key), built)
        return built

    def _narrowed(self, postings: Postings) -> Postings:
        """`postings` with its document numbers in two bytes when every document of the
        generation has such a number (up to 65,536 documents: a site's, not the 100k bench).

        A cached entry is then 6 bytes a document rather than 8, and the budget holds a
        third more of them: the 5k bench's lists of 2,000 searches keep 8.21 MiB at 4
        bytes a number, just over the 8 MiB budget, so that a worker cycling through one
        let each word go before it was asked for again (docs/serving-speed.md, "Narrower document
        numbers in the word cache").
        """
        ids = postings.ids
        if self.doc_count > _NARROW_DOCS or ids.dtype == np.uint16 or not ids.size:
            return postings
        if ids[-1] >= _NARROW_DOCS:  # sorted: a number beyond the generation's, kept whole
            return postings
        return Postings(ids.astype(np.uint16), postings.tf)

    def _recall(self, key: CacheKey) -> Postings | Adjacency | None:
        with self._lock:
            found = self._cached.get(key)
            if found is not None:
                self._cached.move_to_end(key)
            return found

    def _keep(self, key: CacheKey, value: Postings | Adjacency) -> None:
        """Cache `value` (in place of what `key` held), letting the least recently used
        entries go to stay within the bounds; one larger than the whole budget is not kept
        (what `key` held stays).

        Least recently used, rather than everything at once when full: a worker's cache
        then holds what its visitors' words keep asking for, and never its budget plus
        the searches' own arrays right after emptying (docs/serving-speed.md, "The word cache, least
        recently used first").
        """
        size = _cached_bytes(value)
        if size > self.cache_bytes:
            return
        with self._lock:
            replaced = self._cached.pop(key, None)
            if replaced is not None:
                self._bytes -= _cached_bytes(replaced)
            cached = self._cached
            while cached and (
                self._bytes + size > self.cache_bytes or len(cached) >= _POSTINGS_CACHE_LIMIT
            ):
                _, gone = cached.popitem(last=False)
                self._bytes -= _cached_bytes(gone)
            cached[key] = value
            self._bytes += size


def _cached_bytes(value: Postings | Adjacency) -> int:
    data = value.nbytes if isinstance(value, Adjacency) else value.ids.nbytes + value.tf.nbytes
    return int(data) + _ENTRY_BYTES


@dataclass(frozen=True, slots=True)
class Adjacency:
    """How often a word directly follows another, in some documents: `docs` sorted."""

    docs: npt.NDArray[np.intp]
    counts: IntArray

    @property
    def nbytes(self) -> int:
        return int(self.docs.nbytes + self.counts.nbytes)

    def counts_of(self, docs: npt.NDArray[np.intp]) -> IntArray:
        """The counts of `docs`, every one of them known."""
        return self.counts[self.docs.searchsorted(docs)]

    def unknown(self, docs: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """Those of `docs` (sorted, distinct) not counted yet."""
        return docs[~held_by(self.docs, docs)]

    def joined(self, docs: npt.NDArray[np.intp], counts: IntArray) -> Adjacency:
        all_docs = np.concatenate((self.docs, docs))
        order = all_docs.argsort(kind="stable")
        return Adjacency(all_docs[order], np.concatenate((self.counts, counts))[order])


_NO_ADJACENCY: Final = Adjacency(np.zeros(0, dtype=np.intp), _EMPTY_COUNTS)


def held_by(ids: npt.NDArray[Any], docs: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """Which of `docs` the sorted, distinct `ids` hold, by a binary search each.

    For a few documents asked about among many ids (proximity's 50 best among a
    word's postings): `np.intersect1d` and `np.isin` sort both sides, which cost a
    common pair of words a tenth of a millisecond per field at 100k.
    """
    if not ids.size:
        return np.zeros(docs.size, dtype=np.bool_)
    # Cast to the ids' type (uint16 in the cache up to 65,536 documents, whose numbers fit
    # it), else every id would be cast instead.
    wanted = docs.astype(ids.dtype)
    at = ids.searchsorted(wanted)
    at[at == ids.size] = 0
    return np.asarray(ids[at] == wanted)


def open_view(generation: str, reader: Any) -> IndexView:
    """Read the per-document arrays of a generation (once, when it is opened)."""
    size = reader.doc_count_all()
    live = np.ones(size, dtype=np.bool_)
    if reader.has_deletions():
        for docnum in range(size):
            if reader.is_deleted(docnum):
                live[docnum] = False
    lengths = {name: _field_lengths(reader, name, size) for name in TEXT_FIELDS}
    averages = {}
    for name, values in lengths.items():
        present = values[live & (values > 0)]
        averages[name] = float(present.mean()) if present.size else 1.0
    facets = {
        name: _keyword_column(reader, name, size, live)
        for name in ("country", "partner", "language")
    }
    year = _numeric_values(reader, "year", size, live)
    facets["year"] = _year_column(year, size)
    return IndexView(
        generation=generation,
        doc_count=size,
        live=live,
        date_sort=_date_sort(reader, size),
        year=year,
        lengths=lengths,
        average_lengths=averages,
        facets=facets,
        live_count=int(live.sum()),
    )


def read_postings(reader: Any, fieldname: str, term: str, live: BoolArray) -> Postings:
    """All postings of a term over every segment, deleted documents left out."""
    id_chunks: list[IntArray] = []
    tf_chunks: list[FloatArray] = []
    for leaf, offset in _leaves(reader):
        found = _leaf_postings(leaf, fieldname, term)
        if found is None:
            continue
        ids, tf = found
        id_chunks.append(ids + offset)
        tf_chunks.append(tf)
    if not id_chunks:
        return EMPTY_POSTINGS
    ids = np.concatenate(id_chunks).astype(np.int32, copy=False)
    tf = np.concatenate(tf_chunks).astype(np.float32, copy=False)
    keep = live[ids]
    if not keep.all():
        ids, tf = ids[keep], tf[keep]
    return Postings(ids, tf)


def _segment_positions(
    reader: Any, fieldname: str, term: str, docs: npt.NDArray[np.intp]
) -> dict[int, list[int]]:
    """Positions of a term in a few documents (sorted), skipping through its postings."""
    out: dict[int, list[int]] = {}
    if not docs.size:
        return out
    try:
        matcher = reader.postings(fieldname, term)
    except TermNotFound:
        return out
    for doc in docs.tolist():
        if not matcher.is_active():
            break
        matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            out[doc] = list(matcher.value_as("positions"))
    return out


def exact_word_counts(reader: Any) -> dict[str, int]:
    """Words of the exact fields with their document frequency (the larger field's).

    Whoosh's term statistics, deleted documents included. Segments are read one
    by one: a multi-segment reader would look every term up in every segment,
    ten times slower.
    """
    counts: dict[str, int] = {}
    for fieldname in EXACT_FIELDS:
        if fieldname not in reader.schema:
            continue
        field_counts: dict[bytes, int] = {}
        for leaf, _ in reader.leaf_readers():
            for raw, df in _segment_frequencies(leaf, fieldname):
                field_counts[raw] = field_counts.get(raw, 0) + df
        for raw, df in field_counts.items():
            word = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if df > counts.get(word, 0):
                counts[word] = df
    return counts


_DF: Final = struct.Struct("!I")
#: Offset of the document frequency in a W3 term info ("!BfIBBfII": flags, weight, df…).
_DF_OFFSET: Final = 5


def _segment_frequencies(leaf: Any, fieldname: str) -> Iterator[tuple[bytes, int]]:
    """(term, document frequency) of one segment's field, straight from its term table.

    Decoding Whoosh's full TermInfo objects costs most of the time here; the W3
    codec stores the frequency at a fixed offset, so only those bytes are read.
    The generic `iter_field` is the fallback for other codecs.
    """
    try:
        terms = leaf._terms
        prefix = terms._keycoder(fieldname, b"")
        items = terms._tindex.items_from(prefix)
    except (AttributeError, AssertionError):
        for raw, info in leaf.iter_field(fieldname):
            yield raw, int(info.doc_frequency())
        return
    size = len(prefix)
    for key, value in items:
        if key[:size] != prefix:
            break
        yield key[size:], _DF.unpack_from(value, _DF_OFFSET)[0]


def _leaves(reader: Any) -> list[tuple[Any, int]]:
    return list(reader.leaf_readers())


def _leaf_postings(leaf: Any, fieldname: str, term: str) -> tuple[IntArray, FloatArray] | None:
    """Postings of one segment (None when the term is not in it).

    For Whoosh's W3 codec the posting list is read in one piece and its blocks
    decoded here; a Whoosh matcher costs about 60 µs to set up and reads each
    block's header through a dozen small file reads.
    """
    fieldobj = leaf.schema[fieldname]
    terms = getattr(leaf, "_terms", None)
    if terms is None or not hasattr(terms, "term_info"):
        if (fieldname, term) not in leaf:
            return None
        return _generic_postings(leaf.postings(fieldname, term))
    try:
        terminfo = terms.term_info(fieldname, fieldobj.to_bytes(term))
    except TermNotFound:
        return None
    if terminfo.is_inlined():
        return _generic_postings(leaf.postings(fieldname, term))
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh's `W3TermInfo.from_bytes` leaves it unpacked
        (length,) = length
    return _w3_blocks(terms._postfile.get(offset, length))


def _w3_blocks(raw: bytes) -> tuple[IntArray, FloatArray]:
    """Decode a W3 posting list: blocks of (length, pickled info, pickled data).

    The data is (delta-coded ids, weights, values); values (positions) are never
    needed to score, and with protocol 4 blocks unpickling them is cheap.
    """
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a W3 posting list")
    ids: list[npt.NDArray[np.int64]] = []
    weights: list[FloatArray] = []
    position = 4
    last = False
    while not last and position < len(raw):
        (length,) = _BLOCK_LENGTH.unpack_from(raw, position)
        last = length < 0
        start = position + _BLOCK_LENGTH.size
        position = start + abs(length)
        stream = io.BytesIO(raw[start:position])
        unpickler = pickle.Unpickler(stream)
        count, _, _, compression = unpickler.load()[:4]
        data = pickle.loads(zlib.decompress(stream.read())) if compression else unpickler.load()
        block_ids, block_weights = data[0], data[1]
        ids.append(np.cumsum(np.asarray(block_ids, dtype=np.int64)))
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
    if not ids:
        return _EMPTY_IDS, _EMPTY_TF
    return np.concatenate(ids).astype(np.int32), np.concatenate(weights)


def matcher_postings(matcher: Any, live: BoolArray) -> Postings:
    """Postings of any Whoosh matcher (a phrase, say), deleted documents left out."""
    ids, tf = _generic_postings(matcher)
    keep = live[ids]
    return Postings(ids[keep], tf[keep]) if ids.size else EMPTY_POSTINGS


def _generic_postings(matcher: Any) -> tuple[IntArray, FloatArray]:
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


def _field_lengths(reader: Any, fieldname: str, size: int) -> FloatArray:
    """Per-document length of a field, decoded from Whoosh's one-byte length column."""
    out = np.zeros(size, dtype=np.float32)
    for leaf, offset in _leaves(reader):
        count = leaf.doc_count_all()
        encoded = _length_bytes(leaf, fieldname)
        if encoded is not None:
            out[offset : offset + encoded.size] = _BYTE_TO_LENGTH[encoded]
        else:
            out[offset : offset + count] = [
                leaf.doc_field_length(docnum, fieldname, 0) or 0 for docnum in range(count)
            ]
    return out


_BYTE_TO_LENGTH: Final = np.asarray([byte_to_length(i) for i in range(256)], dtype=np.float32)


def _length_bytes(leaf: Any, fieldname: str) -> npt.NDArray[np.uint8] | None:
    """The raw length column of a W3 segment (None: use the slow generic path)."""
    try:
        column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return np.zeros(0, dtype=np.uint8)
        raw = column._dbfile.get(column._basepos, column._count)
    except AttributeError:
        return None
    return np.frombuffer(bytes(raw), dtype=np.uint8)


def _date_sort(reader: Any, size: int) -> IntArray:
    """Days since 0001-01-01 per document (0 when unknown), from its column (a `COLUMN` of
    int32; the sortable column of a `NUMERIC` in generations built before cdc5c7e)."""
    out = np.zeros(size, dtype=np.int32)
    if not reader.has_column("date_sort"):
        return out
    column = reader.column_reader("date_sort")
    out[:] = [int(value or 0) for value in column]
    return out


def _keyword_column(reader: Any, fieldname: str, size: int, live: BoolArray) -> FacetColumn:
    """A facet from the postings of each of its values (no stored-field scan)."""
    values: list[str] = []
    docs: list[DocIds] = []
    for term in _field_terms(reader, fieldname):
        postings = read_postings(reader, fieldname, term, live)
        if postings.df:
            values.append(term)
            docs.append(postings.ids)
    return _column(values, docs, size)


def _column(values: list[str], docs: list[DocIds], size: int) -> FacetColumn:
    order = sorted(range(len(values)), key=lambda i: values[i])
    values = [values[i] for i in order]
    docs = [docs[i] for i in order]
    doc_of_entry = np.concatenate(docs).astype(np.int32) if docs else _EMPTY_IDS
    value_of_entry = (
        np.concatenate([np.full(d.size, i, dtype=np.int32) for i, d in enumerate(docs)])
        if docs
        else _EMPTY_IDS
    )
    return FacetColumn.from_entries(values, doc_of_entry, value_of_entry, size)


def _field_terms(reader: Any, fieldname: str) -> list[str]:
    if fieldname not in reader.schema:
        return []
    return [str(term) for term in reader.field_terms(fieldname)]


def _numeric_values(reader: Any, fieldname: str, size: int, live: BoolArray) -> IntArray:
    """Per-document value of a NUMERIC field (0 when absent), from its full-precision terms."""
    out = np.zeros(size, dtype=np.int32)
    if fieldname not in reader.schema:
        return out
    fieldobj = reader.schema[fieldname]
    for raw in fieldobj.sortable_terms(reader, fieldname):
        value = int(fieldobj.from_bytes(raw))
        for leaf, offset in _leaves(reader):
            if (fieldname, raw) not in leaf:
                continue
            ids, _ = _generic_postings(leaf.postings(fieldname, raw))
            out[ids + offset] = value
    out[~live] = 0
    return out


def _year_column(year: IntArray, size: int) -> FacetColumn:
    docs = np.nonzero(year)[0].astype(np.int32)
    values = sorted({int(y) for y in year[docs].tolist()})
    index = {str(v): i for i, v in enumerate(values)}
    value_of_entry = np.asarray([index[str(int(y))] for y in year[docs].tolist()], dtype=np.int32)
    return FacetColumn.from_entries([str(v) for v in values], docs, value_of_entry, size)


class _MemoryFile(io.RawIOBase):
    """A read-only file over a memoryview, without copying it.

    Whoosh's `BufferFile` (what a compound segment's sub-files are opened as)
    wraps its memory-mapped buffer in `BytesIO`, which copies the whole buffer:
    every reader of a 100,000-article index held a private 1.8 GB copy of the
    postings. This file reads straight from the map (shared, paged by the OS).
    """

    def __init__(self, buffer: memoryview) -> None:
        super().__init__()
        self._buffer = buffer
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        start = self._position
        end = min(start + len(target), len(self._buffer))
        count = max(0, end - start)
        target[:count] = self._buffer[start:end]
        self._position = start + count
        return count

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = (
            len(self._buffer) if size is None or size < 0 else min(start + size, len(self._buffer))
        )
        self._position = max(start, end)
        return bytes(self._buffer[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self._buffer) if size is None or size < 0 else self._position + size
        line = bytearray()
        while self._position < min(limit, len(self._buffer)):
            byte = self._buffer[self._position]
            self._position += 1
            line.append(byte)
            if byte == 0x0A:
                break
        return bytes(line)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += len(self._buffer)
        self._position = max(0, offset)
        return self._position

    def tell(self) -> int:
        return self._position


def _share_compound_buffers() -> None:
    """Make Whoosh open compound sub-files over the shared map instead of a copy."""

    def init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = _MemoryFile(memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    structfile.BufferFile.__init__ = init


_share_compound_buffers()
