"""A query naming a partner or a country shows the passage of each result that names it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from search_service.articles import Article
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest

EngineFor = Callable[..., SearchEngine]
MakeArticle = Callable[..., Article]

FILLER = "The delegates talked about pensions, schools and health for a long while. " * 4


@pytest.fixture
def engine(engine_for: EngineFor, make_article: MakeArticle) -> SearchEngine:
    return engine_for(
        [
            make_article(
                "mugef",
                "A conference in Abidjan",
                f"Unions of Côte d’Ivoire met in Abidjan, Côte d’Ivoire. {FILLER}"
                "The mutual society MUGEF-CI joined them on the second day.",
                "en",
                "2016-03-03",
                countries=("Côte d'Ivoire",),
                partners=("MUGEF-CI",),
            ),
            make_article(
                "aim",
                "Masmut programme",
                f"The programme of the Christian Mutual Society ends. {FILLER}"
                "On the occasion of the AIM meetings, the promoters presented it.",
                "en",
                "2016-12-19",
                partners=("AIM",),
            ),
        ]
    )


def snippet(engine: SearchEngine, q: str, article_id: str) -> str:
    hits = {hit.id: hit.snippet for hit in engine.search(SearchRequest(q=q)).hits}
    return hits[article_id]


@pytest.mark.parametrize(
    "q",
    [
        "MUGEF-CI",
        "mugef-ci ",
        "MUGEFCI",
        "Mutuelle Générale des Fonctionnaires de Côte d'Ivoire",
    ],
)
def test_a_partner_query_shows_the_passage_naming_the_partner(engine: SearchEngine, q: str) -> None:
    shown = snippet(engine, q, "mugef")
    assert "<mark>MUGEF-CI</mark> joined" in shown
    assert "Abidjan" not in shown


@pytest.mark.parametrize("q", ["IAM", "AIM", "International Association of Mutual Societies"])
def test_an_alias_or_long_name_shows_where_the_article_names_the_partner(
    engine: SearchEngine, q: str
) -> None:
    shown = snippet(engine, q, "aim")
    assert "<mark>AIM</mark> meetings" in shown
    assert "<mark>Mutual</mark>" not in shown  # a word of a name is not the name


def test_a_country_alias_marks_the_country_as_written(engine: SearchEngine) -> None:
    shown = snippet(engine, "Ivory Coast", "mugef")
    assert "<mark>Côte d’Ivoire</mark>" in shown
