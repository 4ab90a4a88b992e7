"""A generation written with an older schema is served as it is, and the next build
rebuilds it in full with the code's schema."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from whoosh import fields

from search_service.articles import Article
from search_service.index import build, generations
from search_service.index import schema as index_module
from search_service.index.build import build_from_articles
from search_service.index.schema import make_schema
from search_service.ingest.vocabulary import Vocabulary
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest, SearchResult

from .conftest import MIXED_REQUESTS, as_built_before_views, comparable, uncached_engine

#: What reads the dates and years: the order, the year facet and its filters.
DATED_REQUESTS = [
    SearchRequest(q="", sort="newest"),
    SearchRequest(q="", sort="oldest", page=2),
    SearchRequest(q="teachers", sort="newest", year_from=2012),
    SearchRequest(q="", year=("2010", "2024"), sort="oldest"),
    SearchRequest(q="salud", year_to=2015),
]


def schema_with_dates_as_terms() -> fields.Schema:
    """The schema before the dates lost their terms (cdc5c7e) and a year its seven
    coarser ones (2e39c17)."""
    schema = make_schema()
    for name in ("date", "date_sort", "year"):
        schema.remove(name)
    schema.add("date", fields.ID(stored=True))
    schema.add("date_sort", fields.NUMERIC(numtype=int, bits=32, sortable=True))
    schema.add("year", fields.NUMERIC(numtype=int, bits=32, stored=True, sortable=True))
    return schema


def build_with_dates_as_terms(
    articles: list[Article], index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(index_module, "make_schema", schema_with_dates_as_terms)  # the fingerprint
        patch.setattr(build, "make_schema", schema_with_dates_as_terms)  # what the build creates
        build_from_articles(articles, index_dir)


def _terms_per_field(index_dir: Path) -> Counter[str]:
    _, index = generations.open_live_index(index_dir)
    try:
        with index.searcher() as searcher:
            return Counter(fieldname for fieldname, _ in searcher.reader().all_terms())
    finally:
        index.close()


def _answers(engine: SearchEngine) -> list[SearchResult]:
    return [comparable(engine.search(request)) for request in [*MIXED_REQUESTS, *DATED_REQUESTS]]


def test_a_generation_with_the_dates_as_terms_answers_as_one_without(
    tmp_path: Path,
    varied_articles: list[Article],
    vocabulary: Vocabulary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = varied_articles[:200]
    build_with_dates_as_terms(articles, tmp_path / "older", monkeypatch)
    build_from_articles(articles, tmp_path / "current")
    older, current = (
        _terms_per_field(tmp_path / "older"),
        _terms_per_field(tmp_path / "current"),
    )
    assert {"date", "date_sort"} <= older.keys() and not {"date", "date_sort"} & current.keys()
    assert older["year"] > current["year"]
    older_generation = generations.live_generation(tmp_path / "older")
    assert older_generation is not None
    segments_only = tmp_path / "older-segments-only"
    shutil.copytree(tmp_path / "older", segments_only)
    as_built_before_views(segments_only / older_generation.name)

    expected = _answers(uncached_engine(tmp_path / "current", vocabulary))

    assert sum(bool(result.hits) for result in expected) >= len(expected) - 2
    assert all(result.hits for result in expected[len(MIXED_REQUESTS) :])
    assert _answers(uncached_engine(tmp_path / "older", vocabulary)) == expected
    segment_engine = uncached_engine(segments_only, vocabulary)
    assert not segment_engine.generation().view.compiled
    assert _answers(segment_engine) == expected


def test_the_build_after_a_generation_with_the_dates_as_terms_is_full(
    tmp_path: Path,
    varied_articles: list[Article],
    vocabulary: Vocabulary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = varied_articles[:200]
    index_dir = tmp_path / "indexes"
    build_with_dates_as_terms(articles, index_dir, monkeypatch)
    before = _answers(uncached_engine(index_dir, vocabulary))

    report = build_from_articles(articles, index_dir, full=False)

    assert report.full and report.full_reason == "the schema changed"
    terms = _terms_per_field(index_dir)
    assert not {"date", "date_sort"} & terms.keys()
    assert terms["year"] == len({article.year for article in articles if article.year})
    assert _answers(uncached_engine(index_dir, vocabulary)) == before
