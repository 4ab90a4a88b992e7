"""The build's Whoosh writers: Whoosh's own, with a faster way in for our text fields.

A writer process spends its time in pure-Python work per posting (an article has
400-odd) and per term. Three things of Whoosh's are done faster here, and the
segment written is the same, byte for byte (pinned by a test against Whoosh's own
writer):

- `SegmentWriter.add_document` hands every posting to the pool one call at a time (a
  generator step, a size estimate, two type assertions, an append).
  `FastSegmentWriter` pools a text field's postings at once when its format is ours
  (`RawPositions`, `TermListFrequency`); every other field, and any document with
  Whoosh's boosts or spelling, takes Whoosh's own path.
- Whoosh's pool sorts all the postings when the segment is written; `TermPool`
  keeps each term's postings together as they arrive, in document order, so only
  the terms are sorted.
- The codec writes a term's postings, blocks and term info in one piece
  (`schema._PostingsWriter.term_bytes`) instead of a few calls per posting and per block.

`MpWriter`, Whoosh's writer over several processes, starts processes that write with
Whoosh's `SegmentWriter`; `FastMpWriter`'s write with `FastSegmentWriter`, without
the cyclic garbage collector. Figures: docs/index.md, "Past Whoosh's writer".
"""

from __future__ import annotations

import functools
import gc
import itertools
from collections.abc import Iterator
from typing import Any, Final

from whoosh.multiproc import MpWriter, SubWriterTask, finish_subsegment
from whoosh.writing import PostingPool, SegmentWriter

from search_service.errors import WriterProcessError
from search_service.index.schema import (
    FastCodec,
    RawPositions,
    TermListFrequency,
    _term_list,
)
from search_service.wording import counted

#: The bytes Whoosh's `PostingPool.add` counts for a posting besides its field
#: name, term and value (a tuple of five, an int, a float, three objects' headers).
_POSTING_OVERHEAD: Final = 28 + 4 * 5 + 21 + 26 + 18 + 16 + 21

#: Whoosh's default posting-pool size (MB) of a `SegmentWriter`.
_LIMIT_MB: Final = 128

_Posting = tuple[str, bytes, int, float, bytes]
#: A format's `word_values` item: (term, frequency, weight, encoded value).
_TermValue = tuple[str, int, float, bytes]
#: A term in the pool: its bytes, and its postings in document order.
_Term = tuple[bytes, list[_Posting]]


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
    and each one's postings are sorted in full (`_keyed_by_bytes`). Past its limit
    the pool writes a sorted run to disk as Whoosh's does, and runs are merged by
    Whoosh's code.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = _LIMIT_MB) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self._fields: dict[str, dict[Any, _Term]] = {}
        self._keyed_by_bytes: set[str] = set()

    def add(self, item: _Posting) -> None:
        fieldname, btext, _, _, value = item
        self._count(
            fieldname, _POSTING_OVERHEAD + len(fieldname) + 2 * len(btext) + len(value or b"")
        )
        self._keyed_by_bytes.add(fieldname)
        terms = self._fields.setdefault(fieldname, {})
        entry = terms.get(btext)
        if entry is None:
            entry = terms[btext] = (btext, [])
        entry[1].append(item)

    def add_terms(self, fieldname: str, docnum: int, values: list[_TermValue]) -> None:
        """`add` of one document's postings in a field, from `word_values`' items."""
        terms = self._fields.setdefault(fieldname, {})
        size = (_POSTING_OVERHEAD + len(fieldname)) * len(values)
        for term, _, weight, value in values:
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = (term.encode(), [])
            entry[1].append((fieldname, entry[0], docnum, weight, value))
            size += 2 * len(entry[0]) + len(value)
        self._count(fieldname, size)

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

    def _sorted(self) -> Iterator[_Posting]:
        return itertools.chain.from_iterable(
            self._sorted_field(fieldname) for fieldname in sorted(self._fields)
        )

    def _sorted_field(self, fieldname: str) -> Iterator[_Posting]:
        terms = self._fields[fieldname]
        if fieldname in self._keyed_by_bytes:
            terms = _keyed_by_bytes(terms)
        return itertools.chain.from_iterable(terms[term][1] for term in sorted(terms))


def _keyed_by_bytes(terms: dict[Any, _Term]) -> dict[bytes, _Term]:
    """A field's terms by their bytes, each term's postings (kept either way) sorted as
    Whoosh's pool sorts them: by document, then weight and value, since Whoosh's path
    may pool several postings of one document (spelling words, all at document 0) or
    out of order (a merged segment's)."""
    merged: dict[bytes, _Term] = {}
    for btext, postings in terms.values():
        earlier = merged.get(btext, (btext, []))[1]
        merged[btext] = (btext, sorted([*earlier, *postings]))
    return merged


class FastSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's `SegmentWriter`, pooling a text field's postings at once (`TermPool`)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        limitmb = kwargs.get("limitmb", _LIMIT_MB)
        self.pool = TermPool(self._tempstorage, self.newsegment, limitmb=limitmb)

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
        terms = _term_list(value, field.analyzer) if isinstance(fmt, _OUR_FORMATS) else None
        if terms is not None:
            self.pool.add_terms(fieldname, docnum, fmt.term_values(terms))
            return len(terms)
        length = 0
        for btext, frequency, weight, vbytes in field.index(value):
            self.pool.add((fieldname, btext, docnum, weight, vbytes))
            length += frequency
        return length


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
