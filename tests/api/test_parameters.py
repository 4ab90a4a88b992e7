"""How query parameters are read: depth, bounds, empty, repeated and unknown parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from search_service.articles import Article

ClientFor = Callable[..., Any]


@pytest.fixture
def client(client_for: ClientFor, news: list[Article]) -> Any:
    return client_for(news)


def error_of(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    "params",
    [
        {"page": 100_000},
        {"page": 10_001, "per_page": 1},
        {"page": 101, "per_page": 100},
        {"page": 1_001},
        {"page": 10**30},
        {"page": "9" * 5000},
    ],
)
def test_a_page_beyond_ten_thousand_results_is_empty_however_large_the_number(
    client: Any, params: dict[str, Any]
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hits"] == []
    assert body["total"] == client.get("/search").json()["total"] > 0
    assert body["notice"]["code"] == "beyond_depth"
    assert "10,000" in body["notice"]["message"]


@pytest.mark.parametrize("page", ["0000000000000000000001", "0" * 40 + "2"])
def test_leading_zeros_make_no_page_deeper(client: Any, page: str) -> None:
    response = client.get("/search", params={"page": page})
    assert response.status_code == 200, response.text
    assert response.json()["page"] == int(page)
    zero = error_of(client.get("/search", params={"page": "0" * 40}))
    assert zero["code"] == "invalid_parameter"  # page 0, however written


def test_the_last_pages_within_ten_thousand_results_are_served(client: Any) -> None:
    for params in ({"page": 10_000, "per_page": 1}, {"page": 100, "per_page": 100}):
        body = client.get("/search", params=params).json()
        assert (body["page"], body["hits"]) == (params["page"], [])


def test_an_empty_filter_value_counts_as_absent(client: Any) -> None:
    everything = client.get("/search").json()
    assert everything["total"] == 3
    for name in ("country", "partner", "language", "year", "year_from", "year_to", "sort"):
        body = client.get("/search", params={name: ""}).json()
        assert body["total"] == 3, name
        assert body["facets"] == everything["facets"], name
    for name in ("country", "partner"):  # free text: blank is empty too
        body = client.get("/search", params={name: "  "}).json()
        assert (body["total"], body["facets"]) == (3, everything["facets"]), name
    body = client.get("/search", params=[("country", ""), ("country", "Togo")]).json()
    assert [hit["id"] for hit in body["hits"]] == ["fr-mutuelle"]
    assert [item["value"] for item in body["facets"]["country"] if item["selected"]] == ["Togo"]
    assert client.get("/suggest", params={"q": "heal", "limit": ""}).status_code == 200


@pytest.mark.parametrize("name", ["language", "year", "year_from", "year_to", "sort", "page"])
def test_a_blank_value_of_a_typed_parameter_is_refused_as_the_schema_says(
    client: Any, name: str
) -> None:
    """The schema says "empty means absent" (`allowEmptyValue`); spaces are a value."""
    error = error_of(client.get("/search", params={name: " "}))
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith(f"{name}:")


@pytest.mark.parametrize("value", ["-5", "0", "10000", "99999999999999999999"])
def test_a_year_filter_outside_1_to_9999_is_refused_by_name(client: Any, value: str) -> None:
    error = error_of(client.get("/search", params={"year": value}))
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith("year:")


def test_a_year_filter_within_bounds_is_served(client: Any) -> None:
    for value in ("1", "2018", "9999"):
        assert client.get("/search", params={"year": value}).status_code == 200
    body = client.get("/search", params=[("year", "2018"), ("year", "2019")]).json()
    assert body["total"] == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/search", [("q", "teachers"), ("q", "health")]),
        ("/search", [("sort", "newest"), ("sort", "oldest")]),
        ("/search", [("page", "1"), ("page", "2")]),
        ("/search", [("year_from", "2016"), ("year_from", "2017")]),
        ("/suggest", [("q", "tea"), ("q", "hea")]),
        ("/suggest", [("q", "tea"), ("limit", "2"), ("limit", "3")]),
    ],
)
def test_a_single_valued_parameter_given_twice_is_refused_by_name(
    client: Any, path: str, params: list[tuple[str, str]]
) -> None:
    name = params[-1][0]
    error = error_of(client.get(path, params=params))
    assert error["code"] == "invalid_parameter"
    assert error["message"] == f"{name}: given 2 times; this parameter takes one value"


def test_unknown_parameters_are_ignored(client: Any) -> None:
    plain = client.get("/search", params={"q": "teachers"}).json()
    odd = client.get(
        "/search", params={"q": "teachers", "countries": "Benin", "utm_source": "x"}
    ).json()
    # 3: "La mutuelle des enseignants" too, through the shipped synonyms.yaml
    assert odd["total"] == plain["total"] == 3
    assert odd["hits"] == plain["hits"]
    suggest = client.get("/suggest", params={"q": "heal", "lang": "fr"})
    assert suggest.status_code == 200


@pytest.mark.parametrize("value", ["5.0", "1_000", " 5", "5 ", "٥", "0x5"])
@pytest.mark.parametrize("name", ["year", "year_from", "page", "per_page"])
def test_an_integer_is_sign_and_digits_as_the_schema_says(
    client: Any, name: str, value: str
) -> None:
    """Pydantic alone would read `5.0`, `1_000` or ` 5` as 5: the schema says `integer`."""
    error = error_of(client.get("/search", params={name: value}))
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith(f"{name}:")


def test_a_language_is_one_of_three_codes_in_any_case_and_nothing_else(client: Any) -> None:
    for value in ("EN", "eN", "fr"):
        assert client.get("/search", params={"language": value}).status_code == 200
    for value in (" en", "en ", "english"):
        assert error_of(client.get("/search", params={"language": value}))["code"] == (
            "invalid_parameter"
        )
