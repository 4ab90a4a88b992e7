"""The serving view of a generation: its postings and per-document arrays, compiled once.

Whoosh's segments are the index of record. Searching them directly means
decoding a word's posting lists (pickled blocks) the first time a query uses it,
in every worker process, and reading every per-document array when a generation
is opened. So when a build has written a generation, it also compiles it into
one flat file of arrays (`flat_arrays`, in `<generation>/view/`), which the
service maps read-only: opening a generation costs milliseconds whatever its
size, no query decodes a posting, and worker processes share the same pages.

What the file holds (docs/index.md, "The serving view"):

- per text field: its terms (`term_table`), each term's postings as slices of
  `ids` (int32 document numbers, deleted documents left out) and `tf` (float32
  weights, as Whoosh stores them); for the exact fields also every posting's
  positions (uint32, a term's postings' positions one after the other);
- per document: `live`, `date_sort`, `year`, each text field's length (Whoosh's
  one-byte lengths, decoded), and the facets as integer codes with their value
  tables;
- the exact-word dictionary (`WordFrequencies`, the search's `Lexicon`): words,
  document frequencies, and the words of each length for typo correction;
- the stored texts a result shows (`StoredColumns`): each document's short fields in one
  text (`HEAD`), its body, its body folded for snippets, and whether that body is plain.

Document numbers are Whoosh's: `/articles/{id}` still reads its article from the segment.
`compile_view` reads everything through `view` (the Whoosh reading code the
service used before), plus a bulk decoder of the W3 posting blocks, except the
postings of segments whose writer left them as arrays (`view_parts`);
`view_check.check_view` compares the result with Whoosh's own readers term by term.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import pickle
import struct
import time
import zlib
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

from search_service.errors import BuildFailedError
from search_service.index import flat_arrays
from search_service.index.generations import VIEW_FOLDER
from search_service.index.schema import EXACT_FIELDS, RawPositions
from search_service.index.term_table import TermTable, WordFrequencies
from search_service.index.view import (
    COMPILED_CACHE_BYTES,
    EMPTY_POSTINGS,
    FACETS,
    TEXT_FIELDS,
    FacetColumn,
    IndexView,
    Postings,
    open_view,
)
from search_service.index.view_parts import FieldPart, SegmentParts, parts_folder, remove_parts
from search_service.text import fold_to_words, is_plain, space_non_words

#: The base name of the view's two files in a generation's `VIEW_FOLDER`.
VIEW_NAME: Final = "arrays"
#: Bump when the arrays or their meaning change: views of a version not in
#: `READABLE_VIEW_VERSIONS` are then not used (the generation is served from its segments
#: until the next build).
VIEW_VERSION: Final = 3
#: Version 1 kept each shown field in a column of its own; 2 keeps `HEAD_FIELDS` in one;
#: 3 keeps the bodies folded as snippets now search them (`FOLDED_BODY`) and whether each
#: is plain (`PLAIN_BODIES`). The folded bodies of versions 1 and 2 are respaced as read.
READABLE_VIEW_VERSIONS: Final = (1, 2, VIEW_VERSION)
#: Indexes of at least this many documents are compiled by several processes.
PARALLEL_DOCUMENTS: Final = 2_000
#: The short stored fields a result shows, kept together in one column (`HEAD`).
HEAD_FIELDS: Final = ("id", "title", "url", "date", "language", "country", "partner")
#: Stored fields a result shows (and the body its snippet is cut from), as text.
SHOWN_FIELDS: Final = (*HEAD_FIELDS, "body")
#: The column of a document's `HEAD_FIELDS`, joined by `HEAD_SEPARATOR` (`join_head`): one
#: slice and one decoding a hit instead of seven, 4.2 % of the engine's instructions a
#: search on the 5k bench's list (docs/serving-speed.md, "One column for a hit's short fields").
HEAD: Final = "head"
#: Between two fields of a head: a control character, which the ingest removes from text
#: (docs/ingest.md); a head whose fields hold one anyway is kept as JSON (`join_head`).
HEAD_SEPARATOR: Final = "\x1f"
#: The body folded for snippets (`text.fold_to_words` of its first `HIGHLIGHTED_CHARS`),
#: a column beside the shown fields: folding it per hit cost a tenth of a 5k search.
#: Views of versions 1 and 2 kept it folded by `text.fold_same_length` (the first ones
#: not at all): it is made what snippets search as it is read (`text.space_non_words`).
FOLDED_BODY: Final = "body_folded"
#: Per document, 1 when the part of its body that snippets look through is
#: `text.is_plain`, else 0 (uint8): its passages need no check of their whitespace's
#: printability (docs/serving-speed.md, "Snippets' folded copies and plain bodies").
PLAIN_BODIES: Final = "stored.plain_body"
#: Characters of a body that snippets look through (a speed bound: longer bodies are
#: highlighted in their first part only), and that the view keeps folded.
HIGHLIGHTED_CHARS: Final = 60_000
#: The texts of a result's document, in the order `StoredColumns.row` gives them.
ROW_FIELDS: Final = (*SHOWN_FIELDS, FOLDED_BODY)
#: The text columns a view of `VIEW_VERSION` keeps.
STORED_COLUMNS: Final = (HEAD, "body", FOLDED_BODY)

_TERMINFO: Final = struct.Struct("!BfIBBfII")
_EXTENT: Final = struct.Struct("!Qi")
_BLOCK_LENGTH: Final = struct.Struct("!i")
_LENGTHS: Final = struct.Struct("!ii")
IntArray = npt.NDArray[np.int32]


# --- reading the view -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldPostings:
    """One text field's terms and postings, as slices of mapped arrays."""

    terms: TermTable
    offsets: npt.NDArray[np.int64]
    ids: IntArray
    tf: npt.NDArray[np.float32]
    positions: npt.NDArray[np.uint32] | None = None
    position_starts: npt.NDArray[np.int64] | None = None

    def postings(self, term: str) -> Postings:
        i = self.terms.find(term)
        if i < 0:
            return EMPTY_POSTINGS
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return Postings(self.ids[start:end], self.tf[start:end])

    def postings_of(self, terms: Sequence[str]) -> list[Postings]:
        """`postings` of several terms, looked up together."""
        out = []
        for i in self.terms.find_many(terms):
            if i < 0:
                out.append(EMPTY_POSTINGS)
            else:
                start, end = int(self.offsets[i]), int(self.offsets[i + 1])
                out.append(Postings(self.ids[start:end], self.tf[start:end]))
        return out

    def _flat_positions(self, i: int) -> tuple[IntArray, npt.NDArray[np.int64], Any]:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        assert self.positions is not None and self.position_starts is not None
        counts = self.tf[start:end].astype(np.int64)
        flat = self.positions[int(self.position_starts[i]) : int(self.position_starts[i + 1])]
        return self.ids[start:end], counts, flat

    def phrase(self, terms: Sequence[str]) -> Postings:
        """Documents holding `terms` at consecutive positions, weighted as Whoosh's
        phrase matcher weighs them: the sum of the words' weights in the document."""
        found = [self.terms.find(term) for term in terms]
        if any(i < 0 for i in found) or self.positions is None:
            return EMPTY_POSTINGS
        docs: IntArray | None = None
        for i in found:
            ids = self.ids[int(self.offsets[i]) : int(self.offsets[i + 1])]
            docs = ids if docs is None else np.intersect1d(docs, ids, assume_unique=True)
        if docs is None or not docs.size:
            return EMPTY_POSTINGS
        starts: npt.NDArray[np.int64] | None = None
        weight = np.zeros(docs.size, dtype=np.float64)
        for shift, i in enumerate(found):
            ids, counts, flat = self._flat_positions(i)
            keep = np.isin(ids, docs, assume_unique=True)
            weight += self.tf[int(self.offsets[i]) : int(self.offsets[i + 1])][keep]
            owners = ids.astype(np.int64).repeat(counts)
            kept = keep.repeat(counts)
            keys = (owners[kept] << 32) + flat[kept].astype(np.int64) - shift
            starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
            if not starts.size:
                return EMPTY_POSTINGS
        assert starts is not None
        matched = np.unique(starts >> 32)
        chosen = np.isin(docs, matched, assume_unique=True)
        return Postings(docs[chosen], weight[chosen].astype(np.float32))

    def positions_in(self, term: str, docs: npt.NDArray[np.intp]) -> dict[int, list[int]]:
        """Positions of `term` in each of `docs` that holds it."""
        i = self.terms.find(term)
        out: dict[int, list[int]] = {}
        if i < 0 or self.positions is None or not docs.size:
            return out
        ids, counts, flat = self._flat_positions(i)
        where = ids.searchsorted(docs)
        bounds = np.zeros(counts.size + 1, dtype=np.int64)
        counts.cumsum(out=bounds[1:])
        for doc, at in zip(docs.tolist(), where.tolist(), strict=True):
            if at < ids.size and ids[at] == doc:
                out[doc] = flat[bounds[at] : bounds[at + 1]].tolist()
        return out


@dataclass(frozen=True, slots=True)
class StoredColumns:
    """The stored fields results show, per document: UTF-8 text end to end, and years.

    Whoosh decompresses and unpickles a document's stored fields on every read
    (about a tenth of a millisecond); here they are slices of the mapped file.
    `blobs` and `starts` are keyed by column: `STORED_COLUMNS`, or in a view of
    version 1, each of `ROW_FIELDS` (`FOLDED_BODY` may be missing from either).
    """

    blobs: dict[str, npt.NDArray[np.uint8]]
    starts: dict[str, npt.NDArray[np.int64]]
    year: IntArray
    #: `PLAIN_BODIES` (None: a view before version 3, whose `FOLDED_BODY` texts are
    #: `text.fold_same_length`'s: `row` respaces them by `text.space_non_words`).
    plain_bodies: npt.NDArray[np.uint8] | None = None
    #: The `HEAD` column as `memoryview`s of the mapped file, its blob and its starts (None:
    #: a view of version 1): a memoryview's slice and item cost a fraction of numpy's
    #: slices, views, `item` and `tobytes`.
    _head: tuple[memoryview, memoryview] | None = field(init=False, repr=False, compare=False)
    #: The columns of the row's other texts, in its order, the same way (None: a column
    #: this view does not keep).
    _columns: tuple[tuple[memoryview, memoryview] | None, ...] = field(
        init=False, repr=False, compare=False
    )
    #: `plain_bodies` as a memoryview (an item is a Python int at once).
    _plain: memoryview | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        head = self._memoryviews(HEAD)
        rest = ROW_FIELDS if head is None else ROW_FIELDS[len(HEAD_FIELDS) :]
        object.__setattr__(self, "_head", head)
        object.__setattr__(self, "_columns", tuple(self._memoryviews(name) for name in rest))
        plain = None if self.plain_bodies is None else self.plain_bodies.data
        object.__setattr__(self, "_plain", plain)

    def _memoryviews(self, column: str) -> tuple[memoryview, memoryview] | None:
        """A column's blob and starts as memoryviews (None: the view does not keep it)."""
        if column not in self.blobs:
            return None
        return self.blobs[column].data, self.starts[column].data

    def row(self, doc: int) -> tuple[list[str | None], int, bool]:
        """The document's texts of `ROW_FIELDS` ("": empty; None: a column the view does not
        keep), its year (0: none) and whether its body is plain (False: not known).
        Results read it: a list costs less than `fields`' dictionary read back name by name
        (about 3 µs of a hit's 30)."""
        after = doc + 1
        texts: list[str | None]
        if self._head is None:
            texts = []
        else:
            blob, starts = self._head
            texts = split_head(str(blob[starts[doc] : starts[after]], "utf-8"))
        for column in self._columns:
            if column is None:
                texts.append(None)
            else:
                blob, starts = column
                texts.append(str(blob[starts[doc] : starts[after]], "utf-8"))
        if self._plain is None and texts[-1]:  # a view before version 3
            texts[-1] = space_non_words(texts[-1])
        plain = self._plain is not None and self._plain[doc] == 1
        return texts, self.year.item(doc), plain

    def fields(self, doc: int) -> dict[str, Any]:
        """The document's shown fields as Whoosh's `stored_fields` gives them."""
        texts, year, _ = self.row(doc)
        out: dict[str, Any] = {
            name: text for name, text in zip(ROW_FIELDS, texts, strict=True) if text
        }
        if year:
            out["year"] = year
        return out


def join_head(texts: Sequence[str]) -> str:
    """A document's `HEAD_FIELDS` (`""`: none) as the `HEAD` column keeps them.

    Joined by `HEAD_SEPARATOR`; as a JSON list when a text holds that character (the
    ingest leaves none, but a head must give back what was stored whatever it is): JSON
    writes control characters as escapes, so such a head holds no separator at all.
    """
    head = HEAD_SEPARATOR.join(texts)
    if head.count(HEAD_SEPARATOR) != len(texts) - 1:
        return json.dumps(list(texts))
    return head


def split_head(head: str) -> list[Any]:
    """The texts `join_head` joined (ValueError: `head` is not one). Typed `list[Any]`, not
    `list[str]`: a row appends None to it, and a cast would cost each hit a call."""
    texts = head.split(HEAD_SEPARATOR)
    if len(texts) == len(HEAD_FIELDS):
        return texts
    try:
        kept = json.loads(head)
    except ValueError:
        kept = None
    if not isinstance(kept, list) or len(kept) != len(HEAD_FIELDS):
        raise ValueError(f"not the texts of a head: {head[:100]!r}")
    return kept


@dataclass(frozen=True, slots=True)
class CompiledView:
    """What `open_compiled` maps: the view and the exact-word dictionary."""

    view: IndexView
    words: WordFrequencies
    fields: dict[str, FieldPostings]
    #: Whether it keeps the bodies folded as snippets search them and whether each is
    #: plain (`FOLDED_BODY`, `PLAIN_BODIES`; views before version 3: no).
    folded_bodies: bool = False


def view_path(generation_path: Path) -> Path:
    return Path(generation_path) / VIEW_FOLDER


def has_view(generation_path: Path) -> bool:
    return flat_arrays.exists(view_path(generation_path), VIEW_NAME)


def view_version(generation_path: Path) -> Any:
    """The version of the generation's view as its index says it (None: it has no view).

    Raises `FlatArraysError` if the index cannot be read. Reads the index alone.
    """
    if not has_view(generation_path):
        return None
    return flat_arrays.read_extra(view_path(generation_path), VIEW_NAME).get("view_version")


def outdated_view(generation_path: Path) -> str | None:
    """Why the generation's view is not the one this code compiles, as a build reports it
    (None: it is). It is served all the same (an older version through the view, any
    other from the segments); the next build compiles it again."""
    try:
        version = view_version(generation_path)
    except flat_arrays.FlatArraysError as error:
        return f"cannot be read ({error})"
    if version is None:
        return "is missing"
    if version != VIEW_VERSION:
        return f"is of version {version}, this code compiles version {VIEW_VERSION}"
    return None


def open_compiled(name: str, generation_path: Path) -> CompiledView | None:
    """Map the view of a generation (None: it has none, or one of another version)."""
    if not has_view(generation_path):
        return None
    arrays, meta = flat_arrays.open_arrays(view_path(generation_path), VIEW_NAME)
    version = meta.get("view_version")
    if version not in READABLE_VIEW_VERSIONS:
        return None
    size = int(meta["doc_count"])
    fields = {fieldname: _field_postings(arrays, fieldname) for fieldname in meta["fields"]}
    facets = {}
    for name_ in FACETS:
        prefix = f"facet.{name_}"
        values = list(meta["facets"][name_])
        facets[name_] = FacetColumn(
            values=values,
            index={value: i for i, value in enumerate(values)},
            doc_of_entry=arrays[f"{prefix}.doc_of_entry"],
            value_of_entry=arrays[f"{prefix}.value_of_entry"],
            doc_start=arrays[f"{prefix}.doc_start"],
            value_by_doc=arrays[f"{prefix}.value_by_doc"],
            value_of_doc=arrays.get(f"{prefix}.value_of_doc"),
            _split=_first_and_extra(arrays, prefix),
        )
    folded_bodies = version == VIEW_VERSION
    columns = [name for name in (HEAD, *ROW_FIELDS) if f"stored.{name}.blob" in arrays]
    stored = StoredColumns(
        blobs={field_: arrays[f"stored.{field_}.blob"] for field_ in columns},
        starts={field_: arrays[f"stored.{field_}.starts"] for field_ in columns},
        year=arrays["year"],
        plain_bodies=arrays[PLAIN_BODIES] if folded_bodies else None,
    )
    view = IndexView(
        generation=name,
        doc_count=size,
        live=arrays["live"],
        date_sort=arrays["date_sort"],
        year=arrays["year"],
        lengths={fieldname: arrays[f"length.{fieldname}"] for fieldname in TEXT_FIELDS},
        average_lengths={key: float(value) for key, value in meta["average_lengths"].items()},
        facets=facets,
        live_count=int(meta["live_count"]),
        fields=dict(fields),
        stored=stored,
        cache_bytes=COMPILED_CACHE_BYTES,
    )
    lengths = {int(length): arrays[f"lexicon.length.{length}"] for length in meta["word_lengths"]}
    words = WordFrequencies(_table(arrays, "lexicon"), arrays["lexicon.df"], lengths)
    return CompiledView(view=view, words=words, fields=fields, folded_bodies=folded_bodies)


def _table(arrays: dict[str, npt.NDArray[Any]], prefix: str) -> TermTable:
    return TermTable(
        keys=arrays[f"{prefix}.keys"],
        blob=arrays[f"{prefix}.blob"],
        starts=arrays[f"{prefix}.starts"],
    )


def _field_postings(arrays: dict[str, npt.NDArray[Any]], fieldname: str) -> FieldPostings:
    """A field's postings from arrays named as the view names them (`_postings_arrays`)."""
    return FieldPostings(
        terms=_table(arrays, f"terms.{fieldname}"),
        offsets=arrays[f"offsets.{fieldname}"],
        ids=arrays[f"ids.{fieldname}"],
        tf=arrays[f"tf.{fieldname}"],
        positions=arrays.get(f"positions.{fieldname}"),
        position_starts=arrays.get(f"position_starts.{fieldname}"),
    )


def _postings_arrays(fieldname: str, postings: FieldPostings) -> dict[str, npt.NDArray[Any]]:
    """A field's postings as the view's arrays ("terms.body_en.keys", "ids.body_en", ...)."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    _add_table(arrays, f"terms.{fieldname}", postings.terms)
    arrays[f"offsets.{fieldname}"] = postings.offsets
    arrays[f"ids.{fieldname}"] = postings.ids
    arrays[f"tf.{fieldname}"] = postings.tf
    if postings.positions is not None and postings.position_starts is not None:
        arrays[f"positions.{fieldname}"] = postings.positions
        arrays[f"position_starts.{fieldname}"] = postings.position_starts
    return arrays


# --- compiling ---------------------------------------------------------------------------


@dataclass
class _SegmentField:
    """One field of one segment, decoded: terms in order and their postings end to end."""

    terms: list[bytes] = field(default_factory=list)
    counts: array[int] = field(default_factory=lambda: array("q"))
    raw_df: array[int] = field(default_factory=lambda: array("q"))
    #: Document numbers, delta-coded within each block (as W3 stores them).
    deltas: array[int] = field(default_factory=lambda: array("q"))
    block_lengths: array[int] = field(default_factory=lambda: array("q"))
    weights: array[float] = field(default_factory=lambda: array("f"))
    position_chunks: list[bytes] = field(default_factory=list)
    position_lists: list[list[int]] = field(default_factory=list)


@dataclass
class _Merged:
    terms: list[bytes]
    offsets: npt.NDArray[np.int64]
    ids: IntArray
    tf: npt.NDArray[np.float32]
    raw_df: npt.NDArray[np.int64]
    positions: npt.NDArray[np.uint32] | None
    position_starts: npt.NDArray[np.int64] | None


def compile_view(generation_path: Path, processes: int = 1) -> float:
    """Compile the view of the Whoosh index in `generation_path`; returns the seconds taken.

    Run by the build on the generation it is writing, before it is published. With
    `processes` > 1 (and `PARALLEL_DOCUMENTS` documents or more), that many forked
    processes compile the exact fields, then read each segment's stored texts, then
    compile the other text fields, the largest first, and hand each over in a file of
    the parts' folder, while this one reads the per-document arrays and gathers the
    exact words (`_compile_in_processes`). A segment's postings come
    from the part its writer left (`view_parts`) when there is one, else they are
    decoded from the segment; the parts and the handed-over files are deleted once the
    view is written.
    """
    started = time.perf_counter()
    path = Path(generation_path)
    index = whoosh_index.open_dir(str(path))
    try:
        with index.searcher() as searcher:
            reader = searcher.reader()
            fieldnames = [name for name in TEXT_FIELDS if name in reader.schema]
            if processes > 1 and reader.doc_count_all() >= PARALLEL_DOCUMENTS:
                fields, words, base, stored = _compile_in_processes(
                    path, reader, fieldnames, processes
                )
            else:
                base = open_view(path.name, reader)
                merged = _compile_fields(reader, fieldnames, base.live, SegmentParts(path))
                fields = {name: _CompiledField.of(found) for name, found in merged.items()}
                words = _exact_words(fields)
                stored = _stored_columns(reader, base.doc_count)
            arrays, meta = _per_document_arrays(base)
            arrays.update(stored)
    finally:
        index.close()
    for fieldname, compiled in fields.items():
        arrays.update(_postings_arrays(fieldname, compiled.postings))
    _add_table(arrays, "lexicon", words.table)
    arrays["lexicon.df"] = words.df
    for length, group in words.by_length.items():
        arrays[f"lexicon.length.{length}"] = group
    meta["fields"] = list(fields)
    meta["word_lengths"] = sorted(words.by_length)
    flat_arrays.write_arrays(view_path(path), VIEW_NAME, arrays, meta)
    remove_parts(path)
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class _CompiledField:
    """A field compiled: its postings as the view serves them, and each term's document
    frequency as Whoosh counts it (deletions included), which the exact words take."""

    postings: FieldPostings
    raw_df: npt.NDArray[np.int64]

    @classmethod
    def of(cls, merged: _Merged) -> _CompiledField:
        postings = FieldPostings(
            TermTable.from_sorted(merged.terms),
            merged.offsets,
            merged.ids,
            merged.tf,
            merged.positions,
            merged.position_starts,
        )
        return cls(postings, merged.raw_df)

    def write(self, folder: Path, fieldname: str) -> None:
        """Into a file of `folder`, for the process that compiled it to hand it over."""
        arrays = _postings_arrays(fieldname, self.postings)
        arrays[f"raw_df.{fieldname}"] = self.raw_df
        flat_arrays.write_arrays(folder, f"field.{fieldname}", arrays, {}, durable=False)

    @classmethod
    def read(cls, folder: Path, fieldname: str) -> _CompiledField:
        """What `write` wrote, mapped."""
        arrays, _ = flat_arrays.open_arrays(folder, f"field.{fieldname}")
        return cls(_field_postings(arrays, fieldname), arrays[f"raw_df.{fieldname}"])


def _compile_in_processes(
    path: Path, reader: Any, fieldnames: list[str], processes: int
) -> tuple[dict[str, _CompiledField], WordFrequencies, IndexView, dict[str, npt.NDArray[Any]]]:
    """The fields and stored texts compiled by `processes` forked processes: the exact
    fields first, so that this process gathers the exact words while the others read the
    segments' stored texts and compile the other fields.

    Each process hands what it compiled over in a file of the parts' folder, which this
    one maps, rather than pickled through the pool's pipe: the pool's thread reading the
    pipe here shares the interpreter with the exact words, and a worker waits on it
    before taking its next task (tens of milliseconds per field at 5,000 articles).
    """
    live = _live(reader)
    largest_first = sorted(fieldnames, key=lambda name: _FIELD_ORDER.get(name, 9))
    exact = [name for name in largest_first if name in EXACT_FIELDS]
    segments = len(reader.leaf_readers())
    folder = parts_folder(path)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:

        def compiling(names: list[str]) -> dict[str, Future[None]]:
            return {name: pool.submit(_field_in_process, str(path), name, live) for name in names}

        futures = compiling(exact)
        texts = [
            pool.submit(_segment_texts_in_process, str(path), number) for number in range(segments)
        ]
        futures.update(compiling([name for name in largest_first if name not in exact]))
        base = open_view(path.name, reader)

        def compiled(names: list[str]) -> dict[str, _CompiledField]:
            for name in names:
                futures[name].result()
            return {name: _CompiledField.read(folder, name) for name in names}

        found = compiled(exact)
        words = _exact_words(found)
        for segment in texts:
            segment.result()
        stored = _joined_columns(
            [_read_texts(folder, number) for number in range(segments)], base.doc_count
        )
        found.update(compiled([name for name in fieldnames if name not in found]))
        fields = {name: found[name] for name in fieldnames}
    return fields, words, base, stored


#: The order of the text fields by size (body_exact holds every word of every body).
_FIELD_ORDER: Final = {"body_exact": 0, "body_en": 1, "body_fr": 2, "body_es": 3, "title_exact": 4}


def _live(reader: Any) -> npt.NDArray[np.bool_]:
    size = reader.doc_count_all()
    live = np.ones(size, dtype=np.bool_)
    if reader.has_deletions():
        live[[doc for doc in range(size) if reader.is_deleted(doc)]] = False
    return live


def _field_in_process(path: str, fieldname: str, live: npt.NDArray[np.bool_]) -> None:
    """One field compiled in a worker process (which opens the index itself), left in
    the parts' folder."""
    index = whoosh_index.open_dir(path)
    try:
        with index.searcher() as searcher:
            parts = SegmentParts(Path(path))
            merged = _compile_fields(searcher.reader(), [fieldname], live, parts)[fieldname]
    finally:
        index.close()
    _CompiledField.of(merged).write(parts_folder(Path(path)), fieldname)


def _first_and_extra(
    arrays: dict[str, npt.NDArray[Any]], prefix: str
) -> tuple[IntArray, npt.NDArray[np.intp], IntArray] | None:
    """A facet's first values and other entries (`FacetColumn.first_and_extra`) as the
    build wrote them, mapped and shared by the workers; None in a view written before
    them (each worker then derives its own copy, 0.9 MiB a facet at 100k)."""
    names = [f"{prefix}.{part}" for part in ("first_value", "extra_doc", "extra_value")]
    if not all(name in arrays for name in names):
        return None
    first, extra_doc, extra_value = (arrays[name] for name in names)
    return first, extra_doc, extra_value


def _per_document_arrays(
    base: IndexView,
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {
        "live": base.live,
        "date_sort": base.date_sort,
        "year": base.year,
    }
    for fieldname, lengths in base.lengths.items():
        arrays[f"length.{fieldname}"] = lengths
    for name, column in base.facets.items():
        prefix = f"facet.{name}"
        arrays[f"{prefix}.doc_of_entry"] = column.doc_of_entry
        arrays[f"{prefix}.value_of_entry"] = column.value_of_entry
        arrays[f"{prefix}.doc_start"] = column.doc_start
        arrays[f"{prefix}.value_by_doc"] = column.value_by_doc
        if column.value_of_doc is not None:
            arrays[f"{prefix}.value_of_doc"] = column.value_of_doc
        else:
            first, extra_doc, extra_value = column.first_and_extra()
            arrays[f"{prefix}.first_value"] = first
            arrays[f"{prefix}.extra_doc"] = extra_doc
            arrays[f"{prefix}.extra_value"] = extra_value
    meta = {
        "view_version": VIEW_VERSION,
        "doc_count": base.doc_count,
        "live_count": base.live_count,
        "average_lengths": base.average_lengths,
        "facets": {name: column.values for name, column in base.facets.items()},
    }
    return arrays, meta


@dataclass(frozen=True, slots=True)
class _SegmentTexts:
    """A segment's texts of each column (the column's bytes, and each document's length),
    and whether each document's body is plain (`PLAIN_BODIES`)."""

    columns: dict[str, tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]]
    plain_bodies: npt.NDArray[np.uint8]


def _stored_columns(reader: Any, size: int) -> dict[str, npt.NDArray[Any]]:
    """The shown stored fields of every document, and its folded body, as text columns
    (deleted: empty), and whether each body is plain (deleted: no)."""
    return _joined_columns([_segment_texts(leaf) for leaf, _ in reader.leaf_readers()], size)


def _segment_texts(leaf: Any) -> _SegmentTexts:
    """One segment's stored texts, read from Whoosh (which decompresses and unpickles
    each document's fields: half of the time) and folded (the other half)."""
    size = leaf.doc_count_all()
    texts: dict[str, list[bytes]] = {name: [b""] * size for name in STORED_COLUMNS}
    texts[HEAD] = [join_head([""] * len(HEAD_FIELDS)).encode("utf-8")] * size  # deleted
    plain = np.zeros(size, dtype=np.uint8)
    for doc, stored in leaf.iter_docs():
        head = [_stored_text(stored.get(name)) for name in HEAD_FIELDS]
        texts[HEAD][doc] = join_head(head).encode("utf-8")
        body = stored.get("body")
        if body:
            texts["body"][doc] = str(body).encode("utf-8")
            texts[FOLDED_BODY][doc] = folded_body(str(body)).encode("utf-8")
            plain[doc] = plain_body(str(body))
    columns = {
        name: (
            np.frombuffer(b"".join(values), dtype=np.uint8),
            np.fromiter((len(value) for value in values), dtype=np.int64, count=size),
        )
        for name, values in texts.items()
    }
    return _SegmentTexts(columns, plain)


def _stored_text(value: Any) -> str:
    """A stored field as a head keeps it: "" when absent or empty."""
    return "" if value is None or value == "" else str(value)


def _joined_columns(segments: list[_SegmentTexts], size: int) -> dict[str, npt.NDArray[Any]]:
    """The segments' texts, one after the other, as the view's blob and starts per column."""
    out: dict[str, npt.NDArray[Any]] = {}
    for name in STORED_COLUMNS:
        lengths = np.concatenate([segment.columns[name][1] for segment in segments])
        if lengths.size != size:
            raise BuildFailedError(
                f"the stored {name} of {lengths.size} documents were read, the index holds {size}"
            )
        out[f"stored.{name}.blob"] = np.concatenate(
            [segment.columns[name][0] for segment in segments]
        )
        out[f"stored.{name}.starts"] = _starts(lengths)
    out[PLAIN_BODIES] = np.concatenate([segment.plain_bodies for segment in segments])
    return out


def _segment_texts_in_process(path: str, number: int) -> None:
    """A segment's stored texts read in a worker process (which opens the index itself),
    left in the parts' folder."""
    index = whoosh_index.open_dir(path)
    try:
        with index.searcher() as searcher:
            leaf, _ = searcher.reader().leaf_readers()[number]
            texts = _segment_texts(leaf)
    finally:
        index.close()
    arrays: dict[str, npt.NDArray[Any]] = {PLAIN_BODIES: texts.plain_bodies}
    for name, (blob, lengths) in texts.columns.items():
        arrays[f"{name}.blob"], arrays[f"{name}.lengths"] = blob, lengths
    flat_arrays.write_arrays(parts_folder(Path(path)), f"texts.{number}", arrays, {}, durable=False)


def _read_texts(folder: Path, number: int) -> _SegmentTexts:
    arrays, _ = flat_arrays.open_arrays(folder, f"texts.{number}")
    columns = {name: (arrays[f"{name}.blob"], arrays[f"{name}.lengths"]) for name in STORED_COLUMNS}
    return _SegmentTexts(columns, arrays[PLAIN_BODIES])


def folded_body(body: str) -> str:
    """What snippets search in a body: its highlighted part, folded, what belongs to no
    word a space, the same offsets."""
    return fold_to_words(body[:HIGHLIGHTED_CHARS])


def plain_body(body: str) -> int:
    """`PLAIN_BODIES`' value for a body: 1 when its highlighted part is plain."""
    return 1 if is_plain(body[:HIGHLIGHTED_CHARS]) else 0


def _add_table(arrays: dict[str, npt.NDArray[Any]], prefix: str, table: TermTable) -> None:
    arrays[f"{prefix}.keys"] = table.keys
    arrays[f"{prefix}.blob"] = table.blob
    arrays[f"{prefix}.starts"] = table.starts


def _compile_fields(
    reader: Any, fieldnames: list[str], live: npt.NDArray[np.bool_], parts: SegmentParts
) -> dict[str, _Merged]:
    postings: dict[str, list[_Merged]] = {name: [] for name in fieldnames}
    for leaf, offset in reader.leaf_readers():
        records = _LazyRecords(leaf)
        for fieldname in fieldnames:
            postings[fieldname].append(
                _segment_postings(leaf, records, fieldname, offset, live, parts)
            )
    return {fieldname: _merge(postings[fieldname]) for fieldname in fieldnames}


def _segment_postings(
    leaf: Any,
    records: _LazyRecords,
    fieldname: str,
    offset: int,
    live: npt.NDArray[np.bool_],
    parts: SegmentParts,
) -> _Merged:
    """One segment's postings of a field: from the part its writer left (`view_parts`),
    or decoded from the segment."""
    part = parts.field(_segment_id(leaf), leaf.doc_count_all(), fieldname)
    if part is not None:
        return _part_postings(part, offset, live)
    fmt = leaf.schema[fieldname].format
    segment_field = _read_segment_field(leaf, records.get(), fieldname)
    return _decode(
        segment_field, offset, live, fmt.supports("positions"), isinstance(fmt, RawPositions)
    )


def _segment_id(leaf: Any) -> str:
    segment = leaf.segment()
    return str(segment.segment_id()) if segment is not None else ""


class _LazyRecords:
    """A segment's term records (`_TermRecords`), read when a field is decoded: a
    segment whose fields all come from its part is not read at all."""

    def __init__(self, leaf: Any) -> None:
        self._leaf = leaf
        self._records: _TermRecords | None = None
        self._read = False

    def get(self) -> _TermRecords | None:
        if not self._read:
            self._records, self._read = _TermRecords.of(self._leaf), True
        return self._records


@dataclass(frozen=True)
class _TermRecords:
    """A W3 segment's term table read in one piece: (key, term info) records in key order.

    Whoosh's `items_from` reads each record through a dozen small file reads;
    the records of all fields are read here at once and parsed with `struct`.
    """

    data: bytes
    start: int
    find: Any

    @classmethod
    def of(cls, leaf: Any) -> _TermRecords | None:
        try:
            tindex = leaf._terms._tindex
            start, end = tindex.startofdata, tindex.endofdata
            return cls(tindex.dbfile.get(start, end - start), start, tindex.closest_key_pos)
        except AttributeError:
            return None

    def items(self, prefix: bytes) -> Iterator[tuple[bytes, int, int]]:
        """(key, where its value begins in `data`, where it ends) of the keys
        beginning with `prefix`."""
        at = self.find(prefix)
        if at is None:
            return
        data, size, position = self.data, len(prefix), at - self.start
        unpack = _LENGTHS.unpack_from
        while position < len(data):
            keylen, datalen = unpack(data, position)
            keypos = position + _LENGTHS.size
            key = data[keypos : keypos + keylen]
            if key[:size] != prefix:
                return
            position = keypos + keylen + datalen
            yield key, keypos + keylen, position


def _read_segment_field(leaf: Any, records: _TermRecords | None, fieldname: str) -> _SegmentField:
    """Every term of a segment's field and its postings, in term order.

    One pass over the term records; each term's posting blocks are unpickled
    from one buffer holding the field's postings (a field's posting lists are
    written one after the other, in term order).
    """
    out = _SegmentField()
    fieldobj = leaf.schema[fieldname]
    with_positions = fieldobj.format.supports("positions")
    raw = isinstance(fieldobj.format, RawPositions)
    if records is None:
        _read_generic(leaf, fieldname, fieldobj, with_positions, out)
        return out
    terms = leaf._terms
    prefix = terms._keycoder(fieldname, b"")
    found = list(records.items(prefix))
    if not found:
        return out
    data = records.data
    infos = [_TERMINFO.unpack_from(data, at) for _, at, _ in found]
    extents = [
        _EXTENT.unpack_from(data, at + _TERMINFO.size)
        for (_, at, _), info in zip(found, infos, strict=True)
        if not info[0]
    ]
    first = min((offset for offset, _ in extents), default=0)
    last = max((offset + length for offset, length in extents), default=0)
    stream = io.BytesIO(terms._postfile.get(first, last - first) if extents else b"")
    load = pickle.Unpickler(stream).load
    read, seek, tell = stream.read, stream.seek, stream.tell
    size = len(prefix)
    block_lengths, counts = out.block_lengths, out.counts
    add_deltas = out.deltas.extend
    extent = iter(extents)
    for (key, at, end), info in zip(found, infos, strict=True):
        out.terms.append(key[size:])
        out.raw_df.append(info[2])
        if info[0]:  # postings inlined in the term info
            ids, inline_weights, values = pickle.loads(data[at + _TERMINFO.size : end])
            _add_postings(out, ids, inline_weights, values, fieldobj, with_positions, raw)
            continue
        offset, length = next(extent)
        seek(offset - first)
        if read(4) != WHOOSH3_HEADER_MAGIC:
            raise BuildFailedError("the view cannot be compiled: not a W3 posting list")
        stop = offset - first + length
        total = 0
        while tell() < stop:
            (block,) = _BLOCK_LENGTH.unpack(read(4))
            count, _, _, compression = load()[:4]
            if compression:
                remaining = tell() + abs(block) - _BLOCK_LENGTH.size
                ids, block_weights, values = pickle.loads(zlib.decompress(read(remaining)))
            else:
                ids, block_weights, values = load()
            add_deltas(ids)
            block_lengths.append(count)
            total += count
            _add_weights(out, block_weights, count)
            if with_positions:
                _add_positions(out, values, fieldobj, raw)
        counts.append(total)
    return out


def _add_postings(
    out: _SegmentField,
    ids: Sequence[int],
    weights: Any,
    values: Any,
    fieldobj: Any,
    with_positions: bool,
    raw: bool,
) -> None:
    """Postings with absolute document numbers (inlined, or read through a matcher)."""
    out.deltas.extend(b - a for a, b in zip([0, *ids[:-1]], ids, strict=True))
    out.block_lengths.append(len(ids))
    out.counts.append(len(ids))
    _add_weights(out, weights, len(ids))
    if with_positions:
        _add_positions(out, values, fieldobj, raw)


def _add_weights(out: _SegmentField, weights: Any, count: int) -> None:
    if weights is None:
        out.weights.extend([1.0] * count)
    elif isinstance(weights, float):
        out.weights.extend([weights] * count)
    else:
        out.weights.extend(weights)


def _add_positions(out: _SegmentField, values: Any, fieldobj: Any, raw: bool) -> None:
    if raw:
        out.position_chunks.append(b"".join(values))
    else:
        decode = fieldobj.format.decode_positions
        out.position_lists.extend(decode(value) for value in values)


def _read_generic(
    leaf: Any, fieldname: str, fieldobj: Any, with_positions: bool, out: _SegmentField
) -> None:
    """Any codec: Whoosh's term iterator and matchers (slow; not used for our W3 segments)."""
    for raw_term, info in leaf.iter_field(fieldname):
        out.terms.append(raw_term)
        out.raw_df.append(int(info.doc_frequency()))
        matcher = leaf.postings(fieldname, raw_term)
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value() if with_positions else None)
            matcher.next()
        _add_postings(out, ids, tuple(weights), values, fieldobj, with_positions, False)


def _merge(decoded: list[_Merged]) -> _Merged:
    """The segments' postings of one field (`_segment_postings`) as one dictionary."""
    if len(decoded) == 1:
        return decoded[0]
    union = sorted(set().union(*(part.terms for part in decoded)))
    position = {term: i for i, term in enumerate(union)}
    counts = np.zeros(len(union), dtype=np.int64)
    position_counts = np.zeros(len(union), dtype=np.int64)
    raw_df = np.zeros(len(union), dtype=np.int64)
    mapped = []
    for part in decoded:
        where = np.fromiter(
            (position[t] for t in part.terms), dtype=np.int64, count=len(part.terms)
        )
        mapped.append(where)
        counts[where] += np.diff(part.offsets)
        raw_df[where] += part.raw_df
        if part.position_starts is not None:
            position_counts[where] += np.diff(part.position_starts)
    offsets = _starts(counts)
    ids = np.zeros(int(offsets[-1]), dtype=np.int32)
    tf = np.zeros(int(offsets[-1]), dtype=np.float32)
    with_positions = any(part.position_starts is not None for part in decoded)
    position_starts = _starts(position_counts) if with_positions else None
    positions = (
        np.zeros(int(position_starts[-1]), dtype=np.uint32) if position_starts is not None else None
    )
    cursor = offsets[:-1].copy()
    position_cursor = position_starts[:-1].copy() if position_starts is not None else None
    for part, where in zip(decoded, mapped, strict=True):
        sizes = np.diff(part.offsets)
        target = _scatter_targets(cursor[where], part.offsets, sizes)
        ids[target] = part.ids
        tf[target] = part.tf
        cursor[where] += sizes
        if (
            positions is not None
            and position_cursor is not None
            and part.positions is not None
            and part.position_starts is not None
        ):
            psizes = np.diff(part.position_starts)
            ptarget = _scatter_targets(position_cursor[where], part.position_starts, psizes)
            positions[ptarget] = part.positions
            position_cursor[where] += psizes
    return _Merged(union, offsets, ids, tf, raw_df, positions, position_starts)


def _scatter_targets(
    destination: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Where each item of consecutive runs (`offsets`, `sizes`) goes: run i to `destination[i]`."""
    total = int(offsets[-1])
    shift = np.repeat(destination - offsets[:-1], sizes)
    return np.arange(total, dtype=np.int64) + shift


def _starts(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _decode(
    part: _SegmentField,
    doc_offset: int,
    live: npt.NDArray[np.bool_],
    with_positions: bool,
    raw: bool,
) -> _Merged:
    """A segment's decoded lists as arrays: global document numbers, live documents only."""
    deltas = np.frombuffer(part.deltas, dtype=np.int64)
    block_lengths = np.frombuffer(part.block_lengths, dtype=np.int64)
    total = np.cumsum(deltas)
    block_starts = _starts(block_lengths)[:-1]
    before = np.where(block_starts > 0, total[np.maximum(block_starts - 1, 0)], 0)
    ids = total - np.repeat(before, block_lengths) + doc_offset
    tf = np.frombuffer(part.weights, dtype=np.float32)
    counts = np.frombuffer(part.counts, dtype=np.int64)
    positions: npt.NDArray[np.uint32] | None = None
    per_posting: npt.NDArray[np.int64] | None = None
    if with_positions:
        if raw:
            positions = np.frombuffer(b"".join(part.position_chunks), dtype="<u4").astype(
                np.uint32, copy=False
            )
            per_posting = tf.astype(np.int64)
        else:
            per_posting = np.fromiter(
                (len(p) for p in part.position_lists),
                dtype=np.int64,
                count=len(part.position_lists),
            )
            positions = np.fromiter(
                (p for plist in part.position_lists for p in plist),
                dtype=np.uint32,
                count=int(per_posting.sum()),
            )
    return _live_postings(
        part.terms,
        ids,
        tf,
        counts,
        np.frombuffer(part.raw_df, dtype=np.int64),
        positions,
        per_posting,
        live,
    )


def _part_postings(part: FieldPart, doc_offset: int, live: npt.NDArray[np.bool_]) -> _Merged:
    """A segment's part (`view_parts`) as `_decode` gives its decoded lists."""
    ids = part.ids.astype(np.int64) + doc_offset
    per_posting = part.tf.astype(np.int64) if part.positions is not None else None
    # A new segment's terms count every posting they have (Whoosh's raw document frequency).
    raw_df = part.counts
    return _live_postings(
        part.terms, ids, part.tf, part.counts, raw_df, part.positions, per_posting, live
    )


def _live_postings(
    terms: list[bytes],
    ids: npt.NDArray[np.int64],
    tf: npt.NDArray[np.float32],
    counts: npt.NDArray[np.int64],
    raw_df: npt.NDArray[np.int64],
    positions: npt.NDArray[np.uint32] | None,
    per_posting: npt.NDArray[np.int64] | None,
    live: npt.NDArray[np.bool_],
) -> _Merged:
    """A segment's postings of one field (global document numbers), deleted documents left out."""
    if (
        positions is not None
        and per_posting is not None
        and positions.size != int(per_posting.sum())
    ):
        raise BuildFailedError(
            "the view cannot be compiled: positions and frequencies of the exact fields disagree"
        )
    keep = live[ids] if ids.size else np.zeros(0, dtype=np.bool_)
    term_of = np.repeat(np.arange(counts.size), counts)
    if not keep.all():
        counts = np.bincount(term_of[keep], minlength=counts.size).astype(np.int64)
        if positions is not None and per_posting is not None:
            positions = positions[np.repeat(keep, per_posting)]
            per_posting = per_posting[keep]
        ids, tf = ids[keep], tf[keep]
        term_of = term_of[keep]
    position_counts: npt.NDArray[np.int64] | None = None
    if positions is not None:
        position_counts = np.bincount(term_of, weights=per_posting, minlength=counts.size).astype(
            np.int64
        )
    return _Merged(
        terms=terms,
        offsets=_starts(counts),
        ids=ids.astype(np.int32),
        tf=tf,
        raw_df=raw_df,
        positions=positions,
        position_starts=_starts(position_counts) if position_counts is not None else None,
    )


def _exact_words(fields: dict[str, _CompiledField]) -> WordFrequencies:
    """The exact words and their document frequency (the larger field's), as
    `view.exact_word_counts` counts them: Whoosh's term statistics, deletions included.

    Kept as the term tables hold them (UTF-8) until each is decoded once: at 5,000
    articles, 48-65 ms against 60-107 ms decoding every term of both fields to strings
    and sorting them by their encoding again. Whoosh lists no term without a document,
    so the largest field's counts are taken whole."""
    present = [fields[name] for name in EXACT_FIELDS if name in fields]
    present.sort(key=lambda found: len(found.raw_df), reverse=True)
    counts: dict[bytes, int] = {}
    for found in present:
        words, dfs = found.postings.terms.terms_bytes(), found.raw_df.tolist()
        if not counts:  # the largest field, taken whole (in C)
            counts = dict(zip(words, dfs, strict=True))
            continue
        for word, df in zip(words, dfs, strict=True):
            if df > counts.get(word, 0):
                counts[word] = df
    return WordFrequencies.from_utf8_counts(counts)


__all__ = (
    "VIEW_FOLDER",
    "CompiledView",
    "FieldPostings",
    "compile_view",
    "has_view",
    "open_compiled",
)
