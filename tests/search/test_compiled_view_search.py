"""Searching a generation's compiled view gives exactly what searching its segments gives."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from search_service.articles import Article
from search_service.index import view as segments
from search_service.index.build import build_from_articles
from search_service.index.compiled_view import (
    HEAD,
    VIEW_FOLDER,
    VIEW_NAME,
    StoredColumns,
    has_view,
)
from search_service.index.generations import live_generation
from search_service.index.view import Adjacency, Postings
from search_service.index.view_check import check_view
from search_service.ingest.vocabulary import Vocabulary
from search_service.search import snippets
from search_service.search.engine import SearchEngine
from search_service.search.generation import Generation
from search_service.search.ranking import Scorer
from search_service.search.results import SearchRequest, SearchResult
from search_service.settings import Settings

from ..conftest import (
    as_compiled_by_version_2,
    as_compiled_with_a_column_per_field,
    record_files,
)
from .conftest import (
    MIXED_REQUESTS,
    EngineFor,
    MakeArticle,
    as_built_before_views,
    comparable,
    uncached_engine,
)

PREFIXES = ["t", "te", "health i", "mutu", "éducation pub", "zz"]


@pytest.fixture
def both_ways(
    tmp_path: Path, varied_articles: list[Article], vocabulary: Vocabulary
) -> tuple[SearchEngine, SearchEngine]:
    """The same generation searched through its view and (a copy without it) its segments."""
    with_view = tmp_path / "with-view"
    build_from_articles(varied_articles[:250], with_view)
    build_from_articles(varied_articles[20:], with_view, full=False)  # segments, deletions
    generation = live_generation(with_view)
    assert generation is not None and has_view(generation.path)
    without_view = tmp_path / "segments-only"
    shutil.copytree(with_view, without_view)
    as_built_before_views(without_view / generation.name)
    view_engine = uncached_engine(with_view, vocabulary)
    segment_engine = uncached_engine(without_view, vocabulary)
    assert view_engine.generation().view.compiled
    assert not segment_engine.generation().view.compiled
    return view_engine, segment_engine


def test_hits_scores_facets_and_suggestions_are_identical_with_and_without_the_view(
    both_ways: tuple[SearchEngine, SearchEngine],
) -> None:
    view_engine, segment_engine = both_ways
    found = 0
    for request in MIXED_REQUESTS:
        expected = comparable(segment_engine.search(request))
        assert comparable(view_engine.search(request)) == expected, request
        found += bool(expected.hits)
    assert found >= len(MIXED_REQUESTS) - 2
    for prefix in PREFIXES:
        assert view_engine.suggest(prefix) == segment_engine.suggest(prefix), prefix


def _types(result: SearchResult) -> list[list[type]]:
    hits = [[type(value) for value in vars(hit).values()] for hit in result.hits]
    counts = [[type(item["count"]) for item in listing] for listing in result.facets.values()]
    return hits + counts


def test_cached_answers_are_the_searches_own_values_and_types_either_way(
    both_ways: tuple[SearchEngine, SearchEngine], vocabulary: Vocabulary
) -> None:
    """The cache packs results with `marshal`, which would write a numpy scalar as raw bytes."""
    for uncached in both_ways:
        settings = Settings(index_dir=uncached.settings.index_dir, cache_size=64)
        engine = SearchEngine(settings, vocabulary=vocabulary)
        for request in MIXED_REQUESTS:
            first = engine.search(request)
            again = engine.search(request)
            assert comparable(again) == comparable(first), request
            assert _types(again) == _types(first), request
        assert len(engine.generation().cache) == len(MIXED_REQUESTS)


def test_a_phrase_and_proximity_are_matched_from_the_views_positions(
    both_ways: tuple[SearchEngine, SearchEngine],
) -> None:
    view_engine, segment_engine = both_ways
    phrase = view_engine.search(SearchRequest(q='"health insurance"'))
    words = view_engine.search(SearchRequest(q="health insurance"))
    assert 0 < phrase.total < words.total
    assert phrase == dataclasses.replace(
        segment_engine.search(SearchRequest(q='"health insurance"')),
        took_ms=phrase.took_ms,
        generation=phrase.generation,
    )


def test_no_search_reads_the_segments_when_the_view_is_there(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither postings nor stored fields are decoded from Whoosh on the request path."""
    view_engine, _ = both_ways

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the segments read on the request path")

    monkeypatch.setattr(segments, "read_postings", refuse)
    monkeypatch.setattr(segments, "_segment_positions", refuse)
    monkeypatch.setattr(segments, "matcher_postings", refuse)
    monkeypatch.setattr(Generation, "searcher", refuse)
    for request in MIXED_REQUESTS:
        view_engine.search(request)
    for prefix in PREFIXES:
        view_engine.suggest(prefix)


def test_no_body_is_folded_on_the_request_path_when_the_view_keeps_them(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    view_engine, segment_engine = both_ways
    expected = [segment_engine.search(request) for request in MIXED_REQUESTS]

    def refuse(text: str) -> str:
        raise AssertionError("a body folded on the request path")

    monkeypatch.setattr(snippets, "_folded_text", refuse)
    for request, found in zip(MIXED_REQUESTS, expected, strict=True):
        assert comparable(view_engine.search(request)) == comparable(found), request


def test_a_snippet_of_a_body_that_is_not_plain_has_one_space_between_its_words(
    engine_for: EngineFor, make_article: MakeArticle
) -> None:
    """The view says which bodies are plain; a passage of any other has its tabs and
    no-break spaces made single spaces, and a plain one is shown as written."""
    engine = engine_for(
        [
            make_article("tabs", "Tabs", "Teachers\tand\u00a0unions meet\u2028today.", "en"),
            make_article("plain", "Plain", "Teachers of the unions meet.\nToday.", "en"),
        ]
    )
    assert engine.generation().view.compiled

    found = engine.search(SearchRequest(q="teachers"))

    snippets_by_id = {hit.id: hit.snippet for hit in found.hits}
    assert snippets_by_id == {
        "tabs": "<mark>Teachers</mark> and unions meet today.",
        "plain": "<mark>Teachers</mark> of the unions meet. Today.",
    }


def test_a_generation_without_a_view_is_served_and_the_next_build_compiles_one(
    tmp_path: Path, varied_articles: list[Article], vocabulary: Vocabulary
) -> None:
    index_dir = tmp_path / "indexes"
    build_from_articles(varied_articles[:40], index_dir)
    old = live_generation(index_dir)
    assert old is not None
    as_built_before_views(old.path)
    engine = uncached_engine(index_dir, vocabulary)
    assert not engine.generation().view.compiled
    assert engine.search(SearchRequest(q="teachers")).total > 0

    report = build_from_articles(varied_articles[:41], index_dir, full=False)

    new = live_generation(index_dir)
    assert new is not None and new.name == report.generation and has_view(new.path)
    assert engine.wait_for_generation(new.name)
    assert engine.generation().view.compiled
    assert engine.search(SearchRequest(q="teachers")).total > 0


def _older_copy(index_dir: Path, copy: Path, rewrite: Callable[[Path], None]) -> Path:
    """A copy of the index whose live generation's view `rewrite` made as an older
    release wrote it (the build's check still passes on it)."""
    generation = live_generation(index_dir)
    assert generation is not None
    shutil.copytree(index_dir, copy)
    rewrite(copy / generation.name)
    assert check_view(copy / generation.name, every_term=True) > 0
    return copy


def test_a_view_of_version_2_is_served_with_its_folded_bodies_respaced(
    tmp_path: Path,
    varied_articles: list[Article],
    vocabulary: Vocabulary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Version 2 kept bodies folded by `fold_same_length`, punctuation and all: each is
    respaced as it is read, into the copy version 3 keeps, and no body is folded on the
    request path; the same words are marked."""
    current = tmp_path / "current"
    build_from_articles(varied_articles[:120], current)
    older = _older_copy(current, tmp_path / "older", as_compiled_by_version_2)
    new_engine = uncached_engine(current, vocabulary)
    old_engine = uncached_engine(older, vocabulary)
    assert old_engine.generation().view.compiled
    for doc in range(new_engine.generation().view.doc_count):
        new_shown, old_shown = (
            new_engine.generation().shown(doc),
            old_engine.generation().shown(doc),
        )
        assert old_shown == dataclasses.replace(new_shown, plain_body=False)

    def refuse(text: str) -> str:
        raise AssertionError("a body folded on the request path")

    monkeypatch.setattr(snippets, "_folded_text", refuse)
    marked = 0
    for request in MIXED_REQUESTS:
        expected = comparable(new_engine.search(request))
        assert comparable(old_engine.search(request)) == expected, request
        marked += sum("<mark>" in hit.snippet for hit in expected.hits)
    assert marked > 20


def test_a_view_compiled_with_a_column_per_field_is_served_and_answers_the_same(
    tmp_path: Path, varied_articles: list[Article], vocabulary: Vocabulary
) -> None:
    """A generation whose view is of version 1 (each short field in a column of its own)
    is served through that view, with every result the current view gives."""
    current = tmp_path / "current"
    build_from_articles(varied_articles[:250], current)
    build_from_articles(varied_articles[20:], current, full=False)  # segments, deletions
    older = _older_copy(current, tmp_path / "older", as_compiled_with_a_column_per_field)
    new_engine = uncached_engine(current, vocabulary)
    old_engine = uncached_engine(older, vocabulary)
    old_view, new_view = old_engine.generation().view, new_engine.generation().view
    assert old_view.compiled
    assert isinstance(old_view.stored, StoredColumns) and HEAD not in old_view.stored.blobs
    assert isinstance(new_view.stored, StoredColumns) and HEAD in new_view.stored.blobs

    for doc in range(new_view.doc_count):
        shown = new_engine.generation().shown(doc)
        assert old_engine.generation().shown(doc) == dataclasses.replace(shown, plain_body=False)
        assert old_view.stored.fields(doc) == new_view.stored.fields(doc)
    for request in MIXED_REQUESTS:
        expected = comparable(new_engine.search(request))
        assert comparable(old_engine.search(request)) == expected, request


def as_compiled_by_a_later_release(generation: Path) -> None:
    """Give a view a version no release reads yet, and record its index file again."""
    name = f"{VIEW_FOLDER}/{VIEW_NAME}.json"
    index_path = generation / name
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index_path.write_text(json.dumps({**index, "view_version": 99}), encoding="utf-8")
    record_files(generation, {name})


def test_a_view_of_a_later_release_is_left_for_the_segments_and_the_log_says_why(
    tmp_path: Path,
    varied_articles: list[Article],
    vocabulary: Vocabulary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a rollback of the release: the generation is served, from its segments."""
    current = tmp_path / "current"
    build_from_articles(varied_articles[:120], current)
    generation = live_generation(current)
    assert generation is not None
    later = tmp_path / "later"
    shutil.copytree(current, later)
    as_compiled_by_a_later_release(later / generation.name)

    with caplog.at_level("INFO", logger="search_service.search.engine"):
        later_engine = uncached_engine(later, vocabulary)
        assert not later_engine.generation().view.compiled
    assert f"the serving view of {generation.name} is of version 99" in caplog.text
    new_engine = uncached_engine(current, vocabulary)
    for request in MIXED_REQUESTS:
        expected = comparable(new_engine.search(request))
        assert comparable(later_engine.search(request)) == expected, request


def test_what_a_compiled_view_caches_stays_under_its_smaller_bound(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker keeps its own cache: over a view it is bounded lower than over segments."""
    view_engine, segment_engine = both_ways
    view = view_engine.generation().view
    assert view.cache_bytes < segment_engine.generation().view.cache_bytes
    monkeypatch.setattr(view, "cache_bytes", 4096)
    for request in MIXED_REQUESTS:
        view_engine.search(request)
        assert view._bytes <= 4096


def test_word_pair_counts_take_their_share_of_the_cache_bound(
    both_ways: tuple[SearchEngine, SearchEngine],
) -> None:
    """What proximity remembers of word pairs is counted with the cached postings."""
    view_engine, _ = both_ways
    view = view_engine.generation().view
    view_engine.search(SearchRequest(q="health insurance teachers"))
    pairs = [found for found in view._cached.values() if isinstance(found, Adjacency)]
    assert pairs and all(pair.docs.size for pair in pairs)
    postings = [found for found in view._cached.values() if isinstance(found, Postings)]
    assert view._bytes >= sum(found.ids.nbytes + found.tf.nbytes for found in postings) + sum(
        pair.nbytes for pair in pairs
    )


@pytest.mark.parametrize("way", ["view", "segments"])
def test_a_prefix_s_completions_are_cached_only_within_the_word_they_complete(
    both_ways: tuple[SearchEngine, SearchEngine], way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a word's scores read its completions' union: kept apart too, it was a third of
    the cache's bytes on the bench's mix, room the cache had no use for."""
    engine = both_ways[0] if way == "view" else both_ways[1]
    view = _emptied_cache(engine, monkeypatch, engine.generation().view.cache_bytes)
    unions: list[list[str]] = []
    merged = Scorer._merged

    def spied(scorer: Scorer, fieldname: str, words: list[str]) -> Postings:
        unions.append(words)
        return merged(scorer, fieldname, words)

    monkeypatch.setattr(Scorer, "_merged", spied)

    first = engine.search(SearchRequest(q="health insur"))

    assert first.total > 0
    assert len(unions) == 2 and all(unions)  # the exact title and body: completions found
    assert [key for key in view._cached if key[:2] == ("postings", "*word")]
    prefixes = [key for key in view._cached if key[1] != "*word" and "*" in key[2]]
    assert not prefixes  # no entry of its own for "insur*"
    again = engine.search(SearchRequest(q="health insur"))
    assert len(unions) == 2  # the word's scores, cached, hold the union
    assert comparable(again) == comparable(first)


def _postings_of(size: int) -> Postings:
    return Postings(np.arange(size, dtype=np.int32), np.ones(size, dtype=np.float32))


def test_the_cache_bound_lets_word_pair_counts_go_too(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    view_engine, _ = both_ways
    view = view_engine.generation().view
    view_engine.search(SearchRequest(q="health insurance teachers"))
    pair = ("adjacency", "body_exact", "health", "insurance")
    assert pair in view._cached
    monkeypatch.setattr(view, "cache_bytes", view._bytes)

    filler = (view._bytes - 440) // 6  # kept as 6 bytes a document (two-byte numbers)
    view.cached("*word", "filler", lambda: _postings_of(filler))

    assert pair not in view._cached
    assert list(view._cached) == [("postings", "*word", "filler")]
    assert view._bytes <= view.cache_bytes


def _emptied_cache(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch, budget: int
) -> segments.IndexView:
    """The engine's view with nothing cached and a cache budget of `budget` bytes."""
    view = engine.generation().view
    view._cached.clear()
    monkeypatch.setattr(view, "_bytes", 0)
    monkeypatch.setattr(view, "cache_bytes", budget)
    return view


def test_the_least_recently_used_entry_is_the_first_to_go(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _emptied_cache(both_ways[0], monkeypatch, 3 * (6 * 1000 + 440))  # three, not four
    kept = {name: view.cached("*word", name, lambda: _postings_of(1000)) for name in "abc"}
    assert view.cached("*word", "a", lambda: _postings_of(1000)) is kept["a"]  # used again

    view.cached("*word", "d", lambda: _postings_of(1000))

    assert [key[2] for key in view._cached] == ["c", "a", "d"]  # "b", least recently used
    assert view.cached("*word", "a", lambda: _postings_of(1000)) is kept["a"]
    assert view.cached("*word", "b", lambda: _postings_of(1000)) is not kept["b"]
    assert view._bytes <= view.cache_bytes


@pytest.mark.parametrize("way", ["view", "segments"])
def test_what_the_cache_keeps_numbers_documents_in_two_bytes_and_answers_the_same(
    both_ways: tuple[SearchEngine, SearchEngine], way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generation of up to 65,536 documents: a cached entry is 6 bytes a document, not 8,
    and every answer is the one made with four-byte numbers."""
    engine = both_ways[0] if way == "view" else both_ways[1]
    view = _emptied_cache(engine, monkeypatch, engine.generation().view.cache_bytes)
    narrow = [comparable(engine.search(request)) for request in MIXED_REQUESTS]
    kept = [found for found in view._cached.values() if isinstance(found, Postings) and found.df]
    assert len(kept) > 20 and all(found.ids.dtype == np.uint16 for found in kept)

    _emptied_cache(engine, monkeypatch, view.cache_bytes)
    monkeypatch.setattr(segments, "_NARROW_DOCS", view.doc_count - 1)
    wide = [comparable(engine.search(request)) for request in MIXED_REQUESTS]

    assert wide == narrow
    kept = [found for found in view._cached.values() if isinstance(found, Postings)]
    assert kept and all(found.ids.dtype == np.int32 for found in kept)


def test_two_byte_numbers_hold_every_document_up_to_65536_and_no_further(
    both_ways: tuple[SearchEngine, SearchEngine],
) -> None:
    view = both_ways[0].generation().view
    last = Postings(np.array([0, 65_535], dtype=np.int32), np.ones(2, dtype=np.float32))

    narrowed = dataclasses.replace(view, doc_count=2**16)._narrowed(last)
    kept_whole = dataclasses.replace(view, doc_count=2**16 + 1)._narrowed(last)
    beyond = Postings(np.array([3, 70_000], dtype=np.int32), np.ones(2, dtype=np.float32))

    assert narrowed.ids.dtype == np.uint16 and narrowed.ids.tolist() == [0, 65_535]
    assert kept_whole.ids.dtype == np.int32
    assert view._narrowed(beyond).ids.tolist() == [3, 70_000]  # never wrapped around


def test_an_entry_larger_than_the_whole_cache_is_built_but_not_kept(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _emptied_cache(both_ways[0], monkeypatch, 20_000)
    small = view.cached("*word", "small", lambda: _postings_of(100))

    large = view.cached("*word", "large", lambda: _postings_of(10_000))

    assert large.df == 10_000
    assert list(view._cached) == [("postings", "*word", "small")]  # nothing made room for it
    assert view.cached("*word", "small", lambda: _postings_of(100)) is small


def test_word_pair_counts_remembered_in_two_goes_are_read_back_per_document(
    both_ways: tuple[SearchEngine, SearchEngine],
) -> None:
    view = both_ways[0].generation().view
    _remember_alpha_beta(view, view.adjacency("body_exact", "alpha", "beta"))
    known = view.adjacency("body_exact", "alpha", "beta")
    assert known.unknown(np.array([2, 5, 6, 9], dtype=np.intp)).tolist() == [6]
    assert known.counts_of(np.array([2, 5, 7, 9], dtype=np.intp)).tolist() == [3, 1, 0, 2]


def _remember_alpha_beta(view: segments.IndexView, known: segments.Adjacency) -> None:
    """Counts of "alpha beta" in documents 5 and 9, then (onto what that gave) 2 and 7."""
    docs, counts = np.array([5, 9], dtype=np.intp), np.array([1, 2], dtype=np.int32)
    first = view.remember_adjacency("body_exact", "alpha", "beta", known, docs, counts)
    more, counts = np.array([2, 7], dtype=np.intp), np.array([3, 0], dtype=np.int32)
    view.remember_adjacency("body_exact", "alpha", "beta", first, more, counts)


def test_word_pair_counts_merge_onto_what_the_search_read_even_if_the_cache_let_it_go(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the words' postings between the two steps may evict the pair's entry."""
    view = both_ways[0].generation().view
    read = view.adjacency("body_exact", "alpha", "beta")
    docs, counts = np.array([5, 9], dtype=np.intp), np.array([1, 2], dtype=np.int32)
    read = view.remember_adjacency("body_exact", "alpha", "beta", read, docs, counts)
    _emptied_cache(both_ways[0], monkeypatch, view.cache_bytes)  # the entry went meanwhile

    more, counts = np.array([2, 7], dtype=np.intp), np.array([3, 0], dtype=np.int32)
    merged = view.remember_adjacency("body_exact", "alpha", "beta", read, more, counts)

    assert merged.docs.tolist() == [2, 5, 7, 9]
    assert view.adjacency("body_exact", "alpha", "beta").counts_of(merged.docs).tolist() == [
        3,
        1,
        0,
        2,
    ]


def test_an_entry_too_large_to_keep_leaves_what_its_key_held(
    both_ways: tuple[SearchEngine, SearchEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _emptied_cache(both_ways[0], monkeypatch, 20_000)
    small = view.cached("*word", "small", lambda: _postings_of(100))
    key = ("postings", "*word", "small")

    view._keep(key, _postings_of(10_000))

    assert view._cached[key] is small
    assert view._bytes == small.ids.nbytes + small.tf.nbytes + 440
