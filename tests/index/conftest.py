"""Fixtures of the index tests: small corpora of real `Article`s and built indexes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article, Language, SourceRef

MakeArticle = Callable[..., Article]


@pytest.fixture
def make_article() -> MakeArticle:
    """Build an `Article` with sensible defaults; the checksum follows the content."""

    def make(
        article_id: str,
        title: str,
        body: str,
        language: Language = "en",
        **extra: Any,
    ) -> Article:
        fields: dict[str, Any] = {
            "id": article_id,
            "title": title,
            "body": body,
            "language": language,
            "source": SourceRef(path=f"articles/{article_id}.txt"),
            "checksum": f"{hash((title, body, language, tuple(sorted(extra.items()))))}",
        }
        fields.update(extra)
        return Article(**fields)

    return make


@pytest.fixture
def small_corpus(make_article: MakeArticle) -> list[Article]:
    """Three languages, facets, accents, curly apostrophes and elisions."""
    return [
        make_article(
            "fr-mutuelles",
            "Les mutuelles de Côte d’Ivoire",
            "La mutualité progresse en Côte d’Ivoire et dans toute l’Afrique de l’Ouest.",
            "fr",
            countries=("Côte d'Ivoire",),
            partners=("MUGEF-CI",),
            date=dt.date(2016, 3, 2),
        ),
        make_article(
            "en-insurance",
            "Health insurance for teachers",
            "Mutual health insurance schemes in Senegal* and Benin reach more teachers.",
            "en",
            countries=("Senegal", "Benin"),
            partners=("AIM",),
            date=dt.date(2016, 12, 19),
        ),
        make_article(
            "es-educacion",
            "Educación y solidaridad",
            "La educación de calidad en América Latina, según la red.",
            "es",
            countries=("Argentina",),
            date=dt.date(2018, 5, 1),
        ),
    ]


@pytest.fixture
def index_root(tmp_path: Path) -> Path:
    return tmp_path / "indexes"


def matching_ids(root: Path, text: str) -> set[str]:
    """Ids of the live generation's articles that contain every word of `text`.

    Each word is analysed as the index analyses it (per language, and neutral),
    then looked up in the title and body fields of that analysis.
    """
    from whoosh import query

    from search_service.analysis import analyze, analyze_neutral
    from search_service.articles import LANGUAGES
    from search_service.index.generations import open_live_index

    alternatives: list[query.Query] = []
    for lang in LANGUAGES:
        alternatives.append(_all_words(analyze(text, lang), (f"title_{lang}", f"body_{lang}")))
    alternatives.append(_all_words(analyze_neutral(text), ("title_exact", "body_exact")))
    _, index = open_live_index(root)
    with index.searcher() as searcher:
        hits = searcher.search(query.Or(alternatives), limit=None)
        return {hit["id"] for hit in hits}


def phrase_ids(root: Path, text: str) -> set[str]:
    """Ids of articles containing `text` as a phrase (the exact fields keep the positions)."""
    from whoosh import query

    from search_service.analysis import analyze_neutral
    from search_service.index.generations import open_live_index

    words = analyze_neutral(text)
    phrases = [query.Phrase(field, words) for field in ("title_exact", "body_exact")]
    _, index = open_live_index(root)
    with index.searcher() as searcher:
        return {hit["id"] for hit in searcher.search(query.Or(phrases), limit=None)}


def _all_words(words: list[str], fields: tuple[str, ...]) -> Any:
    from whoosh import query

    if not words:
        return query.NullQuery
    return query.And([query.Or([query.Term(field, word) for field in fields]) for word in words])


def live_ids(root: Path) -> set[str]:
    """Ids of every article in the live generation."""
    from search_service.index.generations import open_live_index

    _, index = open_live_index(root)
    with index.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def live_stored(root: Path, article_id: str) -> dict[str, Any]:
    """Stored fields of one article of the live generation."""
    from search_service.index.generations import open_live_index

    _, index = open_live_index(root)
    with index.searcher() as searcher:
        found = searcher.document(id=article_id)
    assert found is not None, article_id
    return dict(found)
