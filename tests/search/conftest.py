"""Fixtures of the search-core tests: small corpora built into real indexes in tmp_path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article, Language, SourceRef
from search_service.index.build import build_from_articles
from search_service.ingest.vocabulary import Vocabulary
from search_service.search.engine import SearchEngine
from search_service.settings import Settings

MakeArticle = Callable[..., Article]
EngineFor = Callable[..., SearchEngine]


def article(
    article_id: str,
    title: str,
    body: str,
    language: Language = "en",
    date: str | None = None,
    countries: Sequence[str] = (),
    partners: Sequence[str] = (),
    **extra: Any,
) -> Article:
    """An `Article` with test defaults; the checksum follows the content."""
    when = dt.date.fromisoformat(date) if date else None
    return Article(
        id=article_id,
        title=title,
        body=body,
        language=language,
        date=when,
        year=when.year if when else extra.pop("year", None),
        countries=tuple(countries),
        partners=tuple(partners),
        source=SourceRef(path=f"articles/{article_id}.txt"),
        checksum=str(hash((article_id, title, body, language, date, tuple(countries)))),
        **extra,
    )


@pytest.fixture
def make_article() -> MakeArticle:
    return article


@pytest.fixture(scope="session")
def vocabulary(vocabulary_dir: Path) -> Vocabulary:
    return Vocabulary.load(vocabulary_dir)


@pytest.fixture
def engine_for(tmp_path: Path, vocabulary: Vocabulary) -> EngineFor:
    """Build a generation of `articles` in tmp_path and return an engine over it."""

    def make(articles: Sequence[Article], **settings: Any) -> SearchEngine:
        index_dir = tmp_path / "indexes"
        build_from_articles(articles, index_dir)
        return SearchEngine(Settings(index_dir=index_dir, **settings), vocabulary=vocabulary)

    return make


@pytest.fixture
def news() -> list[Article]:
    """A dozen articles in three languages with facets, dates and tricky text."""
    return [
        article(
            "fr-mutuelle",
            "La mutuelle des enseignants",
            "Une mutuelle de santé pour les enseignants du Bénin et du Togo.",
            "fr",
            "2019-03-01",
            countries=("Benin", "Togo"),
        ),
        article(
            "fr-syndicats",
            "Les syndicats d’enseignants en Côte d’Ivoire",
            "Les syndicats ivoiriens défendent l’éducation publique à Abidjan.",
            "fr",
            "2021-06-15",
            countries=("Côte d'Ivoire",),
            partners=("Education International",),
        ),
        article(
            "en-health",
            "Health insurance for teachers",
            "Teachers in Senegal join a mutual health insurance scheme with the ILO.",
            "en",
            "2018-01-20",
            countries=("Senegal",),
            partners=("ILO",),
        ),
        article(
            "en-coverage",
            "Universal health coverage in Africa",
            "Mutual societies discuss universal health coverage in Benin and Senegal.",
            "en",
            "2020-11-05",
            countries=("Benin", "Senegal"),
        ),
        article(
            "en-social",
            "Social protection education",
            "Social protection education programmes in Latin America and in Togo.",
            "en",
            "2017-07-07",
            countries=("Togo",),
        ),
        article(
            "es-salud",
            "Salud y educación en América Latina",
            "Las mutualidades de salud apoyan a los docentes en Argentina.",
            "es",
            "2022-02-02",
            countries=("Argentina",),
        ),
        article(
            "en-script",
            "A hostile article",
            "Beware <script>alert('x')</script> of teachers & unions.",
            "en",
            "2016-05-05",
        ),
        article(
            "en-undated",
            "Teachers unions without a date",
            "Unions of teachers meet every year.",
            "en",
        ),
    ]
