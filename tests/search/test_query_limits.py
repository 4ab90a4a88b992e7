"""Long queries, queries without words: what is searched, and what the result says about it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from search_service.articles import Article
from search_service.errors import QueryError
from search_service.search.engine import SearchEngine
from search_service.search.query import MAX_QUERY_BYTES
from search_service.search.results import SearchRequest

EngineFor = Callable[..., SearchEngine]

PARAGRAPH = (
    "Mutual health insurance schemes for teachers were discussed at length by the unions, "
    "who reminded the ministry that social protection education matters as much as wages, "
    "that every member should be covered whatever the region, and that the mutual societies "
    "of the network are ready to help the governments design universal health coverage. "
) * 3


def test_a_pasted_paragraph_is_searched_by_its_first_words_and_says_so(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news, max_query_words=32)
    result = engine.search(SearchRequest(q=PARAGRAPH))
    assert result.total > 0
    assert result.notice is not None and result.notice.code == "words_dropped"
    assert "first 32 words" in result.notice.message


def test_words_past_the_maximum_find_nothing(
    engine_for: EngineFor, news: list[Article], make_article: Callable[..., Article]
) -> None:
    corpus = [*news, make_article("zebra", "Zebras", "Zebra crossings.")]
    whole = engine_for(corpus).search(SearchRequest(q="abidjan zebra", per_page=100))
    assert {hit.id for hit in whole.hits} == {"fr-syndicats", "zebra"}
    assert whole.notice is None
    cut = engine_for(corpus, max_query_words=1).search(SearchRequest(q="abidjan zebra"))
    assert [hit.id for hit in cut.hits] == ["fr-syndicats"]
    assert cut.notice is not None and cut.notice.code == "words_dropped"
    assert "1 more word was left out" in cut.notice.message


def test_a_query_of_symbols_only_finds_nothing_and_says_so(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    for q in ("😀", "★ ☆ ♥", "***", "?!", '""', "- * ?"):
        result = engine.search(SearchRequest(q=q))
        assert (result.total, result.hits) == (0, ()), q
        assert result.notice is not None and result.notice.code == "no_searchable_words", q
        assert all(item["count"] == 0 for values in result.facets.values() for item in values)


def test_an_empty_or_blank_query_still_browses_everything_without_a_notice(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    for q in ("", "   ", "\x00"):
        result = engine.search(SearchRequest(q=q))
        assert result.total == len(news)
        assert result.notice is None


def test_an_exclusion_alone_browses_without_a_notice(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    result = engine.search(SearchRequest(q="-teachers"))
    assert 0 < result.total < len(news)
    assert result.notice is None


def test_a_query_beyond_the_byte_limit_is_refused_by_search_and_suggest(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    engine.search(SearchRequest(q="a" * MAX_QUERY_BYTES))
    for call in (
        lambda: engine.search(SearchRequest(q="a" * (MAX_QUERY_BYTES + 1))),
        lambda: engine.suggest("é" * (MAX_QUERY_BYTES // 2 + 1)),
    ):
        with pytest.raises(QueryError) as refused:
            call()
        assert refused.value.code == "query_too_long"


def test_suggest_completes_the_last_word_of_a_long_query(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news, max_query_words=8)
    words = [s.text for s in engine.suggest(PARAGRAPH + "mutua", limit=8) if s.kind == "word"]
    assert words and all(text.split()[-1].startswith("mutua") for text in words)
    assert all(len(text.split()) <= 8 for text in words)
