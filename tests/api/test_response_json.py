"""The JSON of `/search` and `/suggest`: orjson's bytes are exactly pydantic-core's.

The routes write the core's results with orjson (web.responses `search_json`,
`suggest_json`); pydantic-core wrote them before. Same bytes, member order
included: clients see no change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest, SearchResult, Suggestion
from search_service.settings import Settings
from search_service.web.responses import search_json, suggest_json

ClientFor = Callable[..., Any]

_RESULT = TypeAdapter(SearchResult)
_QUERY = TypeAdapter(str | None)
_SUGGESTIONS = TypeAdapter(list[Suggestion])


def pydantic_search_json(result: SearchResult, search_id: str | None) -> bytes:
    body = _RESULT.dump_json(result, exclude={"generation"})
    return body[:-1] + b',"search_id":' + _QUERY.dump_json(search_id) + b"}"


def pydantic_suggest_json(query: str, found: list[Suggestion]) -> bytes:
    return (
        b'{"query":' + _QUERY.dump_json(query) + b',"suggestions":'
        + _SUGGESTIONS.dump_json(found) + b"}"
    )  # fmt: skip


def engine_over(
    articles: list[Article], settings_for: Callable[..., Settings], cache_size: int = 0
) -> SearchEngine:
    settings = settings_for(cache_size=cache_size)
    build_from_articles(articles, settings.index_dir)
    return SearchEngine(settings)


def test_search_json_is_byte_for_byte_what_pydantic_writes(
    settings_for: Callable[..., Settings], news: list[Article]
) -> None:
    engine = engine_over(news, settings_for)
    requests = [
        SearchRequest(q="teachers health"),
        SearchRequest(q="éducation", country=("Benin",), year=("2024",)),
        SearchRequest(q="", sort="newest"),
        SearchRequest(q="teachers", language=("fr",)),
        SearchRequest(q="zzzz nothing"),
        SearchRequest(q="😀"),
        SearchRequest(q="teachers", page=5000, per_page=100),
    ]
    for request in requests:
        result = engine.search(request)
        for search_id in (None, "a" * 27):
            assert search_json(result, search_id) == pydantic_search_json(result, search_id)


def test_a_cached_answer_is_written_byte_for_byte_as_the_fresh_one(
    settings_for: Callable[..., Settings], news: list[Article]
) -> None:
    engine = engine_over(news, settings_for, cache_size=16)
    requests = [
        SearchRequest(q="teachers health"),
        SearchRequest(q="éducation", country=("Benin", "Atlantis"), year=("2024",)),
        SearchRequest(q="", sort="newest", partner=("ILO",)),
        SearchRequest(q="zzzz nothing"),
    ]
    for request in requests:
        fresh = engine.search(request)
        cached = dataclasses.replace(engine.search(request), took_ms=fresh.took_ms)
        assert search_json(cached, "id") == search_json(fresh, "id")
    assert len(engine.generation().cache) == len(requests)


def test_suggest_json_is_byte_for_byte_what_pydantic_writes(
    settings_for: Callable[..., Settings], news: list[Article]
) -> None:
    engine = engine_over(news, settings_for)
    for typed in ("t", "teach", "santé é", '"quoted" <b>', ""):
        found = engine.suggest(typed, 8)
        assert suggest_json(typed, found) == pydantic_suggest_json(typed, found)
