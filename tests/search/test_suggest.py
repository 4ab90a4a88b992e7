"""Completions for the search box: titles and frequent words, accent-insensitive."""

from __future__ import annotations

from collections.abc import Callable

from search_service.articles import Article
from search_service.search.engine import SearchEngine

EngineFor = Callable[..., SearchEngine]
MakeArticle = Callable[..., Article]


def test_titles_and_words_complete_the_last_word(
    engine_for: EngineFor, news: list[Article]
) -> None:
    engine = engine_for(news)
    found = engine.suggest("heal", limit=6)
    assert ("title", "Health insurance for teachers", "en-health") in [
        (s.kind, s.text, s.id) for s in found
    ]
    assert ("word", "health") in [(s.kind, s.text) for s in found]


def test_suggestions_ignore_accents(engine_for: EngineFor, news: list[Article]) -> None:
    engine = engine_for(news)
    plain = [s.text for s in engine.suggest("educa", limit=8)]
    accented = [s.text for s in engine.suggest("éduca", limit=8)]
    assert plain == accented
    assert "education" in plain


def test_earlier_words_narrow_the_titles(engine_for: EngineFor, news: list[Article]) -> None:
    engine = engine_for(news)
    titles = [s.text for s in engine.suggest("social prot", limit=8) if s.kind == "title"]
    assert titles == ["Social protection education"]


def test_more_frequent_words_come_first(engine_for: EngineFor, news: list[Article]) -> None:
    engine = engine_for(news)
    words = [s.text for s in engine.suggest("te", limit=8) if s.kind == "word"]
    assert words[0] == "teachers"


def test_nothing_typed_suggests_nothing(engine_for: EngineFor, news: list[Article]) -> None:
    engine = engine_for(news)
    assert engine.suggest("", limit=5) == []
    assert engine.suggest("zzzz", limit=5) == []
    assert len(engine.suggest("t", limit=3)) <= 3


def test_titles_with_the_word_as_typed_come_before_longer_words(
    engine_for: EngineFor, make_article: MakeArticle
) -> None:
    engine = engine_for(
        [
            make_article("longer", "Unions of teachers", "x", "en", "2024-01-01"),
            make_article("typed", "The union of workers", "x", "en", "2010-01-01"),
        ]
    )
    titles = [s.id for s in engine.suggest("union", limit=4) if s.kind == "title"]
    assert titles == ["typed", "longer"]
