"""Fixtures of the search-core tests: small corpora built into real indexes in tmp_path."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article, Language, SourceRef
from search_service.index import generations as gens
from search_service.index.build import build_from_articles
from search_service.index.compiled_view import VIEW_FOLDER
from search_service.ingest.vocabulary import Vocabulary
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest, SearchResult
from search_service.settings import Settings

MakeArticle = Callable[..., Article]
EngineFor = Callable[..., SearchEngine]


#: Requests of every kind (words, typos, prefixes, phrases, names, exclusions, filters,
#: sorts, pages), for comparing two ways of searching one set of articles.
MIXED_REQUESTS = [
    SearchRequest(q="teachers"),
    SearchRequest(q="teachers union "),
    SearchRequest(q="health insur"),
    SearchRequest(q="t"),
    SearchRequest(q='"health insurance"'),
    SearchRequest(q='"la la"'),
    SearchRequest(q='"mutuelle de santé" enseignants'),
    SearchRequest(q='"la mutuelle" -enseignants'),
    SearchRequest(q="teachres solidarty "),
    SearchRequest(q="mutuelles ecole publique"),
    SearchRequest(q="Côte d'Ivoire"),
    SearchRequest(q="Ivory Coast teachers"),
    SearchRequest(q="ILO workers rights"),
    SearchRequest(q="-teachers"),
    SearchRequest(q=""),
    SearchRequest(q="", sort="oldest", page=3),
    SearchRequest(q="the of and in for to a"),
    SearchRequest(q="network", country=("Benin", "Togo"), year_from=2012, year_to=2020),
    SearchRequest(q="salud", language=("es",), sort="newest"),
    SearchRequest(q="education", partner=("AIM",), year=("2015", "2016"), page=2, per_page=2),
    SearchRequest(q="solidarity network coverage africa benin senegal togo public school"),
    SearchRequest(q="zzzz unknownword"),
]


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


def as_built_before_views(generation: Path) -> None:
    """Remove a generation's view, and its files from the manifest (they were not written)."""
    shutil.rmtree(generation / VIEW_FOLDER)
    manifest_path = generation / gens.MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    files = manifest[gens.FILES_KEY]
    manifest[gens.FILES_KEY] = {
        name: file for name, file in files.items() if not name.startswith(f"{VIEW_FOLDER}/")
    }
    assert manifest[gens.FILES_KEY] != files
    gens.write_json_durably(manifest_path, manifest)


def uncached_engine(index_dir: Path, vocabulary: Vocabulary) -> SearchEngine:
    """An engine over `index_dir` without the response cache: every request is searched."""
    return SearchEngine(Settings(index_dir=index_dir, cache_size=0), vocabulary=vocabulary)


def comparable(result: SearchResult) -> SearchResult:
    """`result` without what differs between two engines' answers to one request."""
    return dataclasses.replace(result, took_ms=0.0, generation="")
