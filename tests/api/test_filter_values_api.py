"""Filter values are read like queries: any name of a value selects it; facets stay canonical."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from search_service.articles import Article

ClientFor = Callable[..., Any]
MakeArticle = Callable[..., Article]


@pytest.fixture
def client(client_for: ClientFor, make_article: MakeArticle) -> Any:
    return client_for(
        [
            make_article(
                "ci", "Enseignants", "Abidjan.", "fr", "2020-01-01", ("Côte d'Ivoire",), ("AIM",)
            ),
            make_article("bj", "Teachers", "Cotonou.", "en", "2019-01-01", ("Benin",), ("PASS",)),
            make_article("tg", "Docentes", "Lomé.", "es", "2018-01-01", ("Togo",)),
        ]
    )


def search(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def selected(body: dict[str, Any], facet: str) -> list[str]:
    return [item["value"] for item in body["facets"][facet] if item["selected"]]


@pytest.mark.parametrize(
    ("facet", "given", "canonical", "found"),
    [
        ("country", "benin", "Benin", "bj"),
        ("country", "Ivory Coast", "Côte d'Ivoire", "ci"),
        ("country", "côte d’ivoire", "Côte d'Ivoire", "ci"),
        ("partner", "iam", "AIM", "ci"),
        ("partner", "IAM", "AIM", "ci"),
        ("partner", "Association Internationale de la Mutualite", "AIM", "ci"),
        ("language", "EN", "en", "bj"),
    ],
)
def test_a_filter_value_selects_the_canonical_value_and_facets_show_that_one(
    client: Any, facet: str, given: str, canonical: str, found: str
) -> None:
    body = search(client, **{facet: given})
    assert [hit["id"] for hit in body["hits"]] == [found]
    assert selected(body, facet) == [canonical]
    values = {item["value"] for facet_values in body["facets"].values() for item in facet_values}
    assert given == canonical or given not in values


def test_filters_by_other_names_combine_like_canonical_ones(client: Any) -> None:
    body = search(client, country=["benin", "TOGO"], language="ES")
    assert [hit["id"] for hit in body["hits"]] == ["tg"]
    assert sorted(selected(body, "country")) == ["Benin", "Togo"]
    assert selected(body, "language") == ["es"]


def test_a_value_that_names_nothing_known_selects_nothing(client: Any) -> None:
    body = search(client, country="Atlantis")
    assert body["total"] == 0
    assert {"value": "Atlantis", "count": 0, "selected": True} in body["facets"]["country"]


def test_an_unknown_language_is_still_refused(client: Any) -> None:
    response = client.get("/search", params={"language": "de"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("language:")
