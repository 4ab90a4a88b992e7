"""Query semantics over HTTP, on small corpora built in the test: stems, names, facets, words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from search_service.articles import Article

ClientFor = Callable[..., Any]
MakeArticle = Callable[..., Article]


def hit_ids(client: Any, **params: Any) -> list[str]:
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


def test_a_french_plural_finds_the_singular_in_a_french_article(
    client_for: ClientFor, make_article: MakeArticle
) -> None:
    client = client_for(
        [
            make_article(
                "fr-mutuelle",
                "Assemblée générale",
                "La mutuelle des enseignants du Bénin tient son assemblée à Cotonou.",
                "fr",
                "2019-03-01",
            ),
            make_article("en-other", "General assembly", "Teachers meet in Cotonou.", "en"),
        ]
    )
    body = client.get("/search", params={"q": "mutuelles "}).json()
    assert [hit["id"] for hit in body["hits"]] == ["fr-mutuelle"]
    assert "<mark>mutuelle</mark>" in body["hits"][0]["snippet"]
    assert body["suggestion"] is None


@pytest.fixture
def tagged(make_article: MakeArticle) -> list[Article]:
    """Articles naming their partner one way only; the tags say which partner it is."""
    return [
        make_article(
            "en-ilo",
            "Social protection for teachers",
            "The ILO and the unions met in Dakar about social protection.",
            "en",
            "2018-01-20",
            countries=("Senegal",),
            partners=("ILO",),
        ),
        make_article(
            "en-ei",
            "A world congress of teachers",
            "Education International held its congress in Bangkok.",
            "en",
            "2019-07-21",
            partners=("Education International",),
        ),
        make_article(
            "en-plain",
            "Education in Dakar",
            "An international meeting on education, labour and work in Dakar.",
            "en",
            "2020-02-02",
            countries=("Senegal",),
        ),
    ]


def test_the_french_acronym_oit_finds_the_article_saying_ilo(
    client_for: ClientFor, tagged: list[Article]
) -> None:
    client = client_for(tagged)
    assert hit_ids(client, q="OIT") == ["en-ilo"]
    assert hit_ids(client, q="Organisation internationale du travail")[0] == "en-ilo"


def test_the_french_name_finds_the_article_saying_education_international(
    client_for: ClientFor, tagged: list[Article]
) -> None:
    client = client_for(tagged)
    for q in ("Internationale de l’Education", "internationale de l'éducation"):
        assert hit_ids(client, q=q)[0] == "en-ei", q


@pytest.fixture
def facet_corpus(make_article: MakeArticle) -> list[Article]:
    rows = [
        ("a1", "en", "2018-05-01", ("Benin",), ("ILO",)),
        ("a2", "fr", "2019-05-01", ("Benin", "Togo"), ("Education International",)),
        ("a3", "fr", "2019-06-01", ("Togo",), ("Education International",)),
        ("a4", "en", "2020-05-01", ("Senegal",), ("ILO",)),
        ("a5", "es", "2020-06-01", ("Senegal",), ()),
        ("a6", "es", "2017-05-01", (), ("AIM",)),
    ]
    return [
        make_article(
            key, f"Teachers {key}", f"Teachers news {key}.", lang, date, countries=c, partners=p
        )
        for key, lang, date, c, p in rows
    ]


def facets_of(client: Any, params: Any) -> tuple[int, dict[str, list[tuple[str, int, bool]]]]:
    body = client.get("/search", params=params).json()
    facets = {
        name: [(item["value"], item["count"], item["selected"]) for item in items]
        for name, items in body["facets"].items()
    }
    return body["total"], facets


def test_multi_select_facet_counts_are_exact_and_list_selected_values_at_zero(
    client_for: ClientFor, facet_corpus: list[Article]
) -> None:
    client = client_for(facet_corpus)
    total, facets = facets_of(
        client, [("country", "Benin"), ("country", "Togo"), ("partner", "ILO")]
    )
    assert total == 1  # a1: (Benin or Togo) and ILO
    # Each facet counts with every filter but its own.
    assert facets["country"] == [  # partner=ILO only: a1, a4
        ("Benin", 1, True),
        ("Senegal", 1, False),
        ("Togo", 0, True),
    ]
    assert facets["partner"] == [  # Benin or Togo only: a1, a2, a3
        ("Education International", 2, False),
        ("ILO", 1, True),
    ]
    assert facets["year"] == [("2018", 1, False)]
    assert facets["language"] == [("en", 1, False)]


def test_a_selected_value_without_any_article_is_listed_at_zero(
    client_for: ClientFor, facet_corpus: list[Article]
) -> None:
    client = client_for(facet_corpus)
    total, facets = facets_of(client, [("language", "es"), ("partner", "Nobody")])
    assert total == 0
    assert facets["partner"] == [("AIM", 1, False), ("Nobody", 0, True)]
    assert ("es", 0, True) in facets["language"]


def test_the_year_range_restricts_the_year_facet_too(
    client_for: ClientFor, facet_corpus: list[Article]
) -> None:
    client = client_for(facet_corpus)
    total, facets = facets_of(client, {"year_from": 2019})
    assert total == 4
    assert facets["year"] == [("2020", 2, False), ("2019", 2, False)]
    total, facets = facets_of(client, [("year_from", "2019"), ("year", "2020")])
    assert total == 2
    assert facets["year"] == [("2020", 2, True), ("2019", 2, False)]


def test_and_is_no_operator_but_the_word_and(
    client_for: ClientFor, make_article: MakeArticle
) -> None:
    client = client_for(
        [
            make_article("with-and", "Teachers and unions", "Teachers and unions meet.", "en"),
            make_article("without", "Teachers unions", "Teachers meet their unions.", "en"),
        ]
    )
    assert hit_ids(client, q="AND") == ["with-and"]
    assert hit_ids(client, q="teachers AND unions")[0] == "with-and"


def test_a_correct_word_keeps_its_case_and_ending_in_the_suggestion(
    client_for: ClientFor, make_article: MakeArticle
) -> None:
    client = client_for(
        [
            make_article("en", "The conference", "The conference of teachers opened.", "en"),
            make_article("fr", "Rencontre", "Une rencontre internationale des enseignants.", "fr"),
        ]
    )
    body = client.get("/search", params={"q": "Conferense Internationale"}).json()
    assert body["suggestion"] == "Conference Internationale"
    assert {hit["id"] for hit in body["hits"]} == {"en", "fr"}


def test_cote_divoire_finds_the_articles_tagged_with_the_country_in_any_wording(
    client_for: ClientFor, make_article: MakeArticle
) -> None:
    client = client_for(
        [
            make_article(
                "en-ivory",
                "Teachers of the Ivory Coast",
                "Unions of the Ivory Coast met in Abidjan.",
                "en",
                countries=("Côte d'Ivoire",),
            ),
            make_article("en-other", "Teachers of Senegal", "Unions met in Dakar.", "en"),
        ]
    )
    body = client.get("/search", params={"q": "cote divoire"}).json()
    assert [hit["id"] for hit in body["hits"]] == ["en-ivory"]
    assert body["suggestion"] is None
