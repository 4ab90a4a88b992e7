"""What a serving process keeps of the words visitors type is bounded, whatever they type."""

from __future__ import annotations

import gc
import random
import string
import tracemalloc
from collections.abc import Callable

import pytest

from search_service import analysis
from search_service.analysis import (
    QUERY_WORDS_KEPT,
    language_analyzer,
    neutral_analyzer,
    query_analyzer,
    query_neutral_analyzer,
)
from search_service.articles import LANGUAGES, Article
from search_service.ingest import vocabulary as vocabulary_module
from search_service.ingest.synonyms import word_keys
from search_service.ingest.vocabulary import Vocabulary
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest

EngineFor = Callable[..., SearchEngine]


def _random_words(count: int, seed: int) -> list[str]:
    """Words no article holds (a bot's or a typist's), each new."""
    rng = random.Random(seed)
    return [
        "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(count)
    ]


def _query_analyzers() -> list[analysis.BaseAnalyzer]:
    return [*(query_analyzer(lang) for lang in LANGUAGES), query_neutral_analyzer()]


def test_searched_words_stay_out_of_the_caches_builds_fill(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    words = _random_words(20, seed=1)
    for first, second in zip(words[::2], words[1::2], strict=True):
        engine.search(SearchRequest(q=f"{first} {second}"))
    build_analyzers = [*(language_analyzer(lang) for lang in LANGUAGES), neutral_analyzer()]
    for analyzer in build_analyzers:
        assert not any(word in analyzer._terms for word in words)
    assert any(words[0] in analyzer._terms for analyzer in _query_analyzers())


def test_a_serving_process_keeps_no_more_query_words_than_its_bound(
    engine_for: EngineFor, news: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(news)
    bound = 25
    for analyzer in _query_analyzers():
        analyzer._terms.clear()
        monkeypatch.setattr(analyzer, "cache_limit", bound)
    for word in _random_words(3 * bound, seed=2):
        engine.search(SearchRequest(q=word))
    assert all(0 < len(analyzer._terms) <= bound for analyzer in _query_analyzers())


def test_the_bound_is_for_serving_and_builds_keep_their_own() -> None:
    assert all(analyzer.cache_limit == QUERY_WORDS_KEPT for analyzer in _query_analyzers())
    assert language_analyzer("fr").cache_limit > 50 * QUERY_WORDS_KEPT
    assert neutral_analyzer().cache_limit > 50 * QUERY_WORDS_KEPT
    assert word_keys.cache_info().maxsize == QUERY_WORDS_KEPT


def test_query_words_are_analysed_as_the_index_analysed_them(
    engine_for: EngineFor, news: list[Article]
) -> None:
    """Against the analyzers the index keeps in its schema (unpickled when it opens)."""
    schema = engine_for(news).generation().index.schema
    for text in ("Les mutuelles de santé", "l'éducation", "ESN’s teachers", "Côte dʼIvoire"):
        for lang in LANGUAGES:
            assert query_analyzer(lang).terms(text) == schema[f"body_{lang}"].analyzer.terms(text)
        assert query_neutral_analyzer().terms(text) == schema["body_exact"].analyzer.terms(text)


def test_stemming_new_words_keeps_nothing_behind() -> None:
    """Each analyzer (or the snippets) keeps the words it met in front of its stemmer:
    the stemmer keeps none of its own (PyStemmer's cache would hold these 3,000)."""
    analyzer = language_analyzer("fr")
    words = _random_words(3000, seed=3)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        stems = [analyzer.uncached_terms(word) for word in words]
        del stems
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 20_000  # bytes: with PyStemmer's cache, about 750,000


def test_names_in_queries_are_looked_for_through_a_bounded_memo_of_their_own(
    engine_for: EngineFor, news: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(news)
    vocabulary = engine.generation().vocabulary
    assert vocabulary is not None
    bound = 25
    monkeypatch.setattr(vocabulary_module, "QUERY_WORDS_KEPT", bound)
    words = _random_words(3 * bound, seed=4)
    for word in words:
        engine.search(SearchRequest(q=word))
    assert 0 < len(vocabulary._query_fold_memo) <= bound + 1  # emptied past the bound
    assert not any(word in vocabulary._fold_memo for word in words)  # the ingest's memo


def test_a_query_finds_the_names_the_ingest_would(vocabulary: Vocabulary) -> None:
    query = "teachers of Côte d'Ivoire and Senegal"
    assert vocabulary.match_query_names(query) == vocabulary.match_names(query)
    assert {match.canonical for match in vocabulary.match_query_names(query)} >= {"Senegal"}


def test_a_vocabulary_pickled_before_the_query_memo_still_finds_names(
    vocabulary: Vocabulary,
) -> None:
    state = vocabulary.__getstate__()
    del state["_query_fold_memo"]
    restored = Vocabulary.__new__(Vocabulary)
    restored.__setstate__(state)
    assert restored.match_query_names("Senegal") == vocabulary.match_query_names("Senegal")
