"""The build's Whoosh writers: Whoosh's own, with a faster way in for our text fields.

A writer process spends its time in pure-Python work per posting (an article has
400-odd) and per term. Four things of Whoosh's are done faster here, and the
segment written is the same, byte for byte (pinned by a test against Whoosh's own
writer):

- `SegmentWriter.add_document` hands every posting to the pool one call at a time (a
  generator step, a size estimate, two type assertions, an append).
  `FastSegmentWriter` pools a text field's postings at once when its format is ours
  (`RawPositions`, `TermListFrequency`); every other field, and any document with
  Whoosh's boosts or spelling, takes Whoosh's own path.
- Whoosh's pool sorts all the postings when the segment is written; `TermPool`
  keeps each term's postings together as they arrive, in document order, so only
  the terms are sorted, in one list per term (documents, weights and values
  interleaved: no tuple per posting), cut into columns when the segment is written,
  which the field writer cuts into blocks by slicing.
- A title or body goes to two fields in a row (its language's, the exact one): it is
  split into words once (`FastSegmentWriter._analysed`).
- The codec writes a term's postings, blocks and term info in one piece
  (`schema._PostingsWriter.term_bytes`) instead of a few calls per posting and per block,
  and enters the term in the term index with fewer calls than Whoosh's hash writer
  (`schema._term_info_adder`).

Writing a segment from its pool in memory, `FastSegmentWriter` also leaves the view's
text fields' postings as arrays beside it (`view_parts`), which the view's compile
takes instead of decoding the segment back.

`MpWriter`, Whoosh's writer over several processes, starts processes that write with
Whoosh's `SegmentWriter`; `FastMpWriter`'s write with `FastSegmentWriter`, without
the cyclic garbage collector. Figures: docs/build-speed.md, "Past Whoosh's writer".
"""

from __future__ import annotations

import functools
import gc
from collections import defaultdict, deque
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path
from typing import Any, Final

from whoosh.multiproc import MpWriter, SubWriterTask, finish_subsegment
from whoosh.writing import PostingPool, SegmentWriter

from search_service.analysis import BaseAnalyzer, split_words
from search_service.errors import WriterProcessError
from search_service.index.schema import (
    DocumentTerms,
    FastCodec,
    RawPositions,
    TermListFrequency,
    TermPostings,
    _term_list,
)
from search_service.index.view_parts import SegmentPostings
from search_service.wording import counted

#: The bytes Whoosh's `PostingPool.add` counts for a posting besides its field
#: name, term and value (a tuple of five, an int, a float, three objects' headers).
_POSTING_OVERHEAD: Final = 28 + 4 * 5 + 21 + 26 + 18 + 16 + 21

#: Whoosh's default posting-pool size (MB) of a `SegmentWriter`.
_LIMIT_MB: Final = 128

#: A pool item as Whoosh's writer makes it: field, term bytes, document, weight, value.
_Posting = tuple[str, bytes, int, float, bytes | None]


#: A term's postings in the pool, interleaved as they arrived: document, weight, value,
#: document, weight, value… (value None: a value Whoosh's path left out).
_Postings = list[Any]
#: The three columns a term's interleaved postings hold, one slice each.
_COLUMNS: Final = 3


def _columns(postings: _Postings) -> tuple[list[int], list[float], list[bytes | None]]:
    """A term's documents, weights and values (`_FieldWriter` cuts them into blocks)."""
    return postings[0::_COLUMNS], postings[1::_COLUMNS], postings[2::_COLUMNS]


def _pool_items(fieldname: str, btext: bytes, postings: _Postings) -> Iterator[_Posting]:
    """A term's postings as Whoosh's pool items."""
    ids, weights, values = _columns(postings)
    return (
        (fieldname, btext, docnum, weight, value)
        for docnum, weight, value in zip(ids, weights, values, strict=True)
    )


def open_writer(index: Any, *, procs: int, limitmb: int) -> SegmentWriter:
    """A writer of one new segment per process (`procs` > 1: several, kept unmerged)."""
    if procs > 1:
        return FastMpWriter(
            index, procs=procs, limitmb=limitmb, multisegment=True, codec=FastCodec()
        )
    return FastSegmentWriter(index, limitmb=limitmb, codec=FastCodec())


class TermPool(PostingPool):  # type: ignore[misc]
    """Whoosh's posting pool, keeping each term's postings together as they arrive.

    Whoosh's pool sorts every posting at the end (a million of them for 2,500
    articles: a fifth of a writer process's time). Documents are added in order, so
    on our path (`add_terms`) a term's postings arrive in order and only the terms
    need sorting; the terms are kept by their text, whose hash Python keeps with the
    analyzer's string, and text sorts as its UTF-8 bytes do. On Whoosh's path (`add`:
    other fields, boosted documents, merged segments) terms are kept by their bytes
    and each one's postings are sorted in full (`_keyed_by_bytes`). A term's postings
    are one list, interleaved (`_Postings`): a posting is one `extend` of one list,
    where three lists of their own (documents, weights, values) took three appends
    at three places in memory: 0.40 µs a posting against 0.76 (a 2,500-article
    writer's million postings, the collector off). They are cut into columns
    (`_columns`) and handed to the field writer so (`term_columns`) while the pool is
    in memory. Past its limit the pool writes a sorted run to disk as Whoosh's does,
    and runs are merged by Whoosh's code.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = _LIMIT_MB) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self._fields: dict[str, defaultdict[Any, _Postings]] = {}
        self._keyed_by_bytes: set[str] = set()

    def add(self, item: _Posting) -> None:
        fieldname, btext, docnum, weight, value = item
        self._count(
            fieldname, _POSTING_OVERHEAD + len(fieldname) + 2 * len(btext) + len(value or b"")
        )
        self._keyed_by_bytes.add(fieldname)
        self._postings_of(fieldname)[btext].extend((docnum, weight, value))

    def add_terms(self, fieldname: str, docnum: int, columns: DocumentTerms) -> None:
        """`add` of one document's postings in a field, from its format's `term_columns`.

        Each posting extends its term's list (made when the term is new) by loops in C
        (`map` of `list.extend` over the lists the field's `defaultdict` gives): a loop
        in Python per posting took 28 % more instructions (672,727 against 526,469 an
        article of the 5k bench export).
        """
        words, _, weights, values = columns
        if not len(words) == len(weights) == len(values):
            # Checked first: `map` would make a longer `words`' extra terms, with no postings.
            raise ValueError(f"{fieldname}: columns of different lengths")
        size = (
            (_POSTING_OVERHEAD + len(fieldname)) * len(words)
            + sum(map(len, values))
            + 2 * len("".join(words).encode())  # each term's bytes, as `add` counts them
        )
        postings_lists = map(self._postings_of(fieldname).__getitem__, words)
        extended = map(list.extend, postings_lists, zip(repeat(docnum), weights, values))
        deque(extended, maxlen=0)  # runs the calls, keeping none of their results
        self._count(fieldname, size)

    def _postings_of(self, fieldname: str) -> defaultdict[Any, _Postings]:
        """A field's terms, each with its postings (a new term: an empty list)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = defaultdict(list)
        return terms

    def _count(self, fieldname: str, size: int) -> None:
        """Whoosh's estimate of the pool's size; past the limit, a run is written
        (before `add`'s posting is kept, as Whoosh does; after all of `add_terms`')."""
        self.fieldnames.add(fieldname)
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()

    def save(self) -> None:
        self.current = list(self._sorted())
        self._fields = {}
        self._keyed_by_bytes = set()
        super().save()

    def items(self, maxfiles: int = 128) -> Iterator[_Posting]:
        if not self.runs:
            return self._sorted()
        merged: Iterator[_Posting] = super().items(maxfiles)  # saves what is held first
        return merged

    def term_columns(self) -> Iterator[TermPostings] | None:
        """Every pooled term in Whoosh's order (field, then term bytes), as columns; None
        once runs were written (their postings are on disk: `items` merges them)."""
        if self.runs:
            return None
        return (
            (fieldname, btext, *_columns(postings))
            for fieldname in sorted(self._fields)
            for btext, postings in self._ordered_terms(fieldname)
        )

    def _sorted(self) -> Iterator[_Posting]:
        return (
            posting
            for fieldname in sorted(self._fields)
            for btext, postings in self._ordered_terms(fieldname)
            for posting in _pool_items(fieldname, btext, postings)
        )

    def _ordered_terms(self, fieldname: str) -> list[tuple[bytes, _Postings]]:
        """A field's terms, by their bytes, each with its postings."""
        terms = self._fields[fieldname]
        if fieldname in self._keyed_by_bytes:
            return sorted(_keyed_by_bytes(terms).items())
        return [(term.encode(), terms[term]) for term in sorted(terms)]


def _keyed_by_bytes(terms: dict[Any, _Postings]) -> dict[bytes, _Postings]:
    """A field's terms by their bytes, each term's postings (kept either way) sorted as
    Whoosh's pool sorts them: by document, then weight and value, since Whoosh's path
    may pool several postings of one document (spelling words, all at document 0) or
    out of order (a merged segment's)."""
    merged: dict[bytes, list[tuple[int, float, bytes | None]]] = {}
    for key, postings in terms.items():
        btext = key if isinstance(key, bytes) else key.encode()
        merged.setdefault(btext, []).extend(zip(*_columns(postings), strict=True))
    return {
        btext: [column for posting in sorted(postings) for column in posting]
        for btext, postings in merged.items()
    }


class FastSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's `SegmentWriter`, pooling a text field's postings at once (`TermPool`)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        limitmb = kwargs.get("limitmb", _LIMIT_MB)
        self.pool = TermPool(self._tempstorage, self.newsegment, limitmb=limitmb)
        self._split_text: str | None = None
        self._split_words: list[str] = []

    def add_document(self, **fields: Any) -> None:
        if any(name.startswith("_") or name in self._whoosh_only for name in fields):
            super().add_document(**fields)  # boosts, stored overrides, spelling, vectors
            return
        self._check_state()
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(self.schema, fieldnames)
        self.perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is not None:
                    self._add_field(fieldname, value, docnum)
        except Exception:
            self.perdocwriter.cancel_doc()
            raise
        self.perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Whoosh's `_flush_segment` (as in Whoosh-Reloaded 2.7.5), handing the pool's
        terms over as columns while the pool is in memory (`TermPool.term_columns`), and
        keeping the view's text fields' postings as arrays beside the segment, for the
        view's compile (`view_parts`; in a folder index only)."""
        columns = self.pool.term_columns()
        add_term_columns = getattr(self.fieldwriter, "add_term_columns", None)
        if columns is None or add_term_columns is None:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        folder = getattr(self.storage, "folder", None)
        kept = SegmentPostings(self.schema, Path(folder)) if folder else None
        add_term_columns(self.schema, lengths, kept.passing(columns) if kept else columns)
        self.fieldwriter.close()
        if lengths:
            lengths.close()
        if kept is not None:
            kept.write(self.newsegment.segment_id(), self.docnum)

    @functools.cached_property
    def _whoosh_only(self) -> frozenset[str]:
        """Fields whose spelling words or term vectors only Whoosh's path writes."""
        return frozenset(
            name for name, field in self.schema.items() if field.separate_spelling() or field.vector
        )

    def _add_field(self, fieldname: str, value: Any, docnum: int) -> None:
        """What Whoosh's `add_document` does for one field without boosts or vectors."""
        field = self.schema[fieldname]
        length = 0
        if field.indexed:
            length = self._pool_postings(fieldname, field, value, docnum)
        stored = value if field.stored else None
        self.perdocwriter.add_field(fieldname, field, stored, length if field.scorable else 0)
        column = field.column_type
        if column:
            self.perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))

    def _pool_postings(self, fieldname: str, field: Any, value: Any, docnum: int) -> int:
        """Pool a field's postings for one document; the sum of their frequencies."""
        fmt = field.format
        terms = self._analysed(value, field.analyzer) if isinstance(fmt, _OUR_FORMATS) else None
        if terms is not None:
            self.pool.add_terms(fieldname, docnum, fmt.term_columns(terms))
            return len(terms)
        length = 0
        for btext, frequency, weight, vbytes in field.index(value):
            self.pool.add((fieldname, btext, docnum, weight, vbytes))
            length += frequency
        return length

    def _analysed(self, value: Any, analyzer: Any) -> list[str] | None:
        """`_term_list`, a text split into words once for the fields it goes to in a row
        (a title or body: its language's field, then the exact one; the same string)."""
        if not (isinstance(value, str) and isinstance(analyzer, BaseAnalyzer)):
            return _term_list(value, analyzer)
        if value is not self._split_text:
            self._split_text, self._split_words = value, split_words(value)
        return analyzer.terms_of_words(self._split_words)


_OUR_FORMATS: Final = (RawPositions, TermListFrequency)


class FastMpWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's `MpWriter`, its processes writing with `FastSegmentWriter`, stopped
    when it is cancelled, and failing when one of them ends without its segment."""

    def cancel(self) -> None:
        """Whoosh's `cancel` only flags the parent's copies of its processes: they
        would wait for jobs forever, and the build could never exit."""
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join()
        finally:
            super().cancel()

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        super().commit(mergetype=mergetype, optimize=optimize, merge=merge)
        failed = [task.exitcode for task in self.tasks if task.exitcode]
        if failed:
            raise WriterProcessError(
                f"{counted(len(failed), 'writer process')} of the build ended without "
                f"writing its segment (exit code {failed[0]}; its error is in the log above)"
            )

    def _new_task(self) -> SubWriterTask:
        task = _SubWriterTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task


class _SubWriterTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's writer process, writing with `FastSegmentWriter` (`SubWriterTask.run`
    names its writer class), without the cyclic garbage collector.

    The process ends when its segment is written, and what it allocates (postings:
    tuples, lists, bytes) holds no reference cycles. The collector's passes took
    3.4-3.5 s of a 69-70 s batch at 100,000 articles; without it a 5,000-article
    writer process used 6.0-6.2 s of CPU instead of 7.3-7.5 (its passes also evict
    the caches).
    """

    def run(self) -> None:
        gc.disable()
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = FastSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        if self.multisegment:
            result = (None, writer.pool.fieldnames, writer._finalize_segment())
        else:
            result = finish_subsegment(writer, self.kwargs.get("k", 64))
        self.resultqueue.put(result, timeout=5)
