"""The build's check of a serving view against Whoosh's own readers.

A view is compiled by code of our own (`compiled_view`) from the segments, which stay
the index of record; before a generation is published, `check_view` reads part of it
back through Whoosh (document counts and deletions, a sample of documents' stored facts
and lengths, a sample of each field's terms: postings, positions, dictionary
frequencies) and refuses the generation at the first difference. `ViewCheck` runs it
beside what the build writes meanwhile, in a process of its own when the build has
several and the generation `compiled_view.PARALLEL_DOCUMENTS` documents or more.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from whoosh import index as whoosh_index

from search_service.errors import BuildFailedError
from search_service.index import compiled_view
from search_service.index.compiled_view import (
    FOLDED_BODY,
    SHOWN_FIELDS,
    FieldPostings,
    folded_body,
    open_compiled,
    plain_body,
)
from search_service.index.schema import EXACT_FIELDS, split_facet_value
from search_service.index.term_table import TermTable, WordFrequencies
from search_service.index.view import IndexView, exact_word_counts, open_view

#: Terms per field the build's check compares with Whoosh (all of them in tests).
CHECK_SAMPLE: Final = 200


def check_view(generation_path: Path, every_term: bool = False) -> int:
    """Compare the view with Whoosh's own readers; returns how many terms were compared.

    The build's check: document counts and deletions, `CHECK_SAMPLE` documents'
    stored facts (year, date, language, countries, partners) and field lengths,
    and the postings, positions and dictionary frequencies of `CHECK_SAMPLE` terms
    per field spread over its dictionary, each read through a Whoosh matcher.
    `every_term` (the tests): every term of every field, and every per-document
    array and the whole dictionary against the segments read afresh. Raises
    `BuildFailedError` naming the first difference.
    """
    path = Path(generation_path)
    compiled = open_compiled(path.name, path)
    if compiled is None:
        raise BuildFailedError(f"the generation {path.name} has no serving view")
    index = whoosh_index.open_dir(str(path))
    try:
        with index.searcher() as searcher:
            reader = searcher.reader()
            view = compiled.view
            _check_deletions(view, reader)
            live_docs = _live_docs(view)
            _check_documents(
                view,
                searcher,
                live_docs if every_term else _spread(live_docs, CHECK_SAMPLE),
                compiled.folded_bodies,
            )
            if every_term:
                _check_arrays(view, open_view(path.name, reader))
                if not compiled.words.same(WordFrequencies.from_counts(exact_word_counts(reader))):
                    raise _differs("the exact-word dictionary")
            compared = 0
            for fieldname, postings in compiled.fields.items():
                chosen = _terms_to_check(postings.terms, every_term)
                if every_term and chosen != _whoosh_terms(reader, fieldname):
                    raise _differs(f"the terms of {fieldname}")
                _check_terms(reader, fieldname, postings, view.live, chosen)
                if fieldname in EXACT_FIELDS:
                    _check_frequencies(reader, compiled.words, chosen)
                compared += len(chosen)
            return compared
    finally:
        index.close()


class ViewCheck:
    """`check_view` of a generation run beside what the build writes meanwhile.

    `start` forks a process for the check when `processes` > 1 and the build holds
    `compiled_view.PARALLEL_DOCUMENTS` articles or more (else checks at once, in this process);
    `wait` raises the check's `BuildFailedError`. The build's check only reads the
    generation, and what the build writes next (the vocabulary's snapshot, the manifest
    with its hashes of the index files) is other files: the two take about as long, on
    a core each (5,000 articles: 0.2 s each). Leaving the `with` block on an error or
    Ctrl-C waits for a check under way to end (a running task cannot be cancelled)
    before the build removes the folder.
    """

    def __init__(self, generation_path: Path, documents: int, processes: int) -> None:
        self.path = Path(generation_path)
        self.forked = processes > 1 and documents >= compiled_view.PARALLEL_DOCUMENTS
        self._pool: ProcessPoolExecutor | None = None
        self._checked: Future[None] | None = None

    def __enter__(self) -> ViewCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self) -> None:
        if not self.forked:
            check_view(self.path)
            return
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork")
        )
        self._checked = self._pool.submit(_check_in_process, str(self.path))

    def wait(self) -> None:
        if self._checked is None:
            return
        try:
            self._checked.result()
        except BrokenProcessPool as error:
            raise BuildFailedError(
                f"the process checking the serving view died ({error}); nothing was published"
            ) from error


def _check_in_process(generation_path: str) -> None:
    check_view(Path(generation_path))


def _terms_to_check(table: TermTable, every_term: bool) -> list[str]:
    """Every term of a field, or `CHECK_SAMPLE` spread over it: only those are decoded
    (all of a 100,000-article build's terms, to pick 200 a field, took most of its check)."""
    if every_term:
        return table.terms()
    return [table.term(i) for i in _spread(range(len(table)), CHECK_SAMPLE)]


def _differs(what: str) -> BuildFailedError:
    return BuildFailedError(f"the serving view differs from the index: {what}")


def _live_docs(view: IndexView) -> list[int]:
    return [int(doc) for doc in np.flatnonzero(view.live)]


def _check_deletions(view: IndexView, reader: Any) -> None:
    if view.doc_count != reader.doc_count_all() or view.live_count != reader.doc_count():
        raise _differs("document counts")
    if reader.has_deletions():
        deleted = [doc for doc in range(view.doc_count) if reader.is_deleted(doc)]
        if np.flatnonzero(~view.live).tolist() != deleted:
            raise _differs("deleted documents")


def _check_documents(view: IndexView, searcher: Any, docs: list[int], folded_bodies: bool) -> None:
    """Per-document arrays against the stored fields and Whoosh's lengths."""
    reader = searcher.reader()
    for doc in docs:
        stored = searcher.stored_fields(doc)
        try:
            shown = view.stored.fields(doc) if view.stored is not None else {}
        except ValueError as error:  # a head that `split_head` cannot read
            raise _differs(f"the stored fields of document {doc} ({error})") from error
        for name in (*SHOWN_FIELDS, "year"):
            if shown.get(name) != (stored.get(name) if stored.get(name) != "" else None):
                raise _differs(f"the stored {name} of document {doc}")
        body = stored.get("body")
        if folded_bodies and view.stored is not None:
            if shown.get(FOLDED_BODY) != (folded_body(str(body)) if body else None):
                raise _differs(f"the folded body of document {doc}")
            _, _, plain = view.stored.row(doc)
            if plain != bool(body and plain_body(str(body))):
                raise _differs(f"the plainness of the body of document {doc}")
        facts = {
            "year": (int(view.year[doc]), int(stored.get("year") or 0)),
            "date": (
                int(view.date_sort[doc]),
                _ordinal(stored.get("date")),
            ),
            "language": (_values_of(view, "language", doc), [stored.get("language")]),
            "country": (_values_of(view, "country", doc), split_facet_value(stored.get("country"))),
            "partner": (_values_of(view, "partner", doc), split_facet_value(stored.get("partner"))),
        }
        for fieldname, lengths in view.lengths.items():
            facts[fieldname] = (
                float(lengths[doc]),
                float(reader.doc_field_length(doc, fieldname, 0) or 0),
            )
        for what, (mine, whoosh) in facts.items():
            if (sorted(mine) if isinstance(mine, list) else mine) != (
                sorted(whoosh) if isinstance(whoosh, list) else whoosh
            ):
                raise _differs(f"{what} of document {doc}: {mine!r}, not {whoosh!r}")


def _ordinal(date: Any) -> int:
    import datetime as dt

    return dt.date.fromisoformat(str(date)).toordinal() if date else 0


def _values_of(view: IndexView, facet: str, doc: int) -> list[str]:
    column = view.facets[facet]
    codes = column.value_by_doc[int(column.doc_start[doc]) : int(column.doc_start[doc + 1])]
    return [column.values[int(code)] for code in codes]


def _check_arrays(view: IndexView, whoosh: IndexView) -> None:
    """Every per-document array against the segments read again (the tests' check)."""
    for name in ("live", "date_sort", "year"):
        if not np.array_equal(getattr(view, name), getattr(whoosh, name)):
            raise _differs(name)
    for name, lengths in whoosh.lengths.items():
        if not np.array_equal(view.lengths[name], lengths):
            raise _differs(f"lengths of {name}")
    if view.average_lengths != whoosh.average_lengths:
        raise _differs("average lengths")
    for name, column in whoosh.facets.items():
        mine = view.facets[name]
        if mine.values != column.values or not np.array_equal(
            mine.value_by_doc, column.value_by_doc
        ):
            raise _differs(f"facet {name}")
        if column.value_of_doc is None and not _same_arrays(
            mine.first_and_extra(), column.first_and_extra()
        ):
            raise _differs(f"first and other values of facet {name}")


def _same_arrays(
    written: tuple[npt.NDArray[Any], ...], derived: tuple[npt.NDArray[Any], ...]
) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(written, derived, strict=True))


def _whoosh_terms(reader: Any, fieldname: str) -> list[str]:
    return [
        term if isinstance(term, str) else term.decode("utf-8")
        for term in reader.field_terms(fieldname)
    ]


def _check_terms(
    reader: Any,
    fieldname: str,
    postings: FieldPostings,
    live: npt.NDArray[np.bool_],
    terms: list[str],
) -> None:
    """Postings (and positions) of `terms` against Whoosh's matchers."""
    with_positions = postings.positions is not None
    for term in terms:
        ids: list[int] = []
        weights: list[float] = []
        positions: dict[int, list[int]] = {}
        matcher = reader.postings(fieldname, term)
        while matcher.is_active():
            doc = matcher.id()
            if live[doc]:
                ids.append(doc)
                weights.append(matcher.weight())
                if with_positions:
                    positions[doc] = list(matcher.value_as("positions"))
            matcher.next()
        found = postings.postings(term)
        if found.ids.tolist() != ids or not np.array_equal(
            found.tf, np.asarray(weights, dtype=np.float32)
        ):
            raise _differs(f"the postings of {term!r} in {fieldname}")
        if with_positions and postings.positions_in(term, found.ids.astype(np.intp)) != positions:
            raise _differs(f"the positions of {term!r} in {fieldname}")


def _check_frequencies(reader: Any, words: WordFrequencies, terms: list[str]) -> None:
    """The dictionary's frequencies: the larger of the exact fields' (deletions included)."""
    for term in terms:
        expected = max(reader.doc_frequency(fieldname, term) for fieldname in EXACT_FIELDS)
        at = words.table.find(term)
        if at < 0 or int(words.df[at]) != expected:
            raise _differs(f"the document frequency of {term!r}")


def _spread(items: Sequence[Any], count: int) -> list[Any]:
    """`count` items spread evenly over `items` (with the last), or all of them."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)] + [items[-1]]
