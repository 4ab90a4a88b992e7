"""The OpenAPI reference documents every route's answers, errors included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from search_service.articles import Article

ClientFor = Callable[..., Any]
ERROR_MODEL = {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture
def schema(client_for: ClientFor, news: list[Article]) -> dict[str, Any]:
    document: dict[str, Any] = client_for(news).get("/openapi.json").json()
    return document


def responses(schema: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["paths"][path]["get"]["responses"]
    return found


def example_code(response: dict[str, Any]) -> str:
    code: str = response["content"]["application/json"]["example"]["error"]["code"]
    return code


@pytest.mark.parametrize("path", ["/search", "/suggest", "/articles/{article_id}"])
def test_routes_reading_the_index_document_the_503_index_not_found_and_index_damaged(
    schema: dict[str, Any], path: str
) -> None:
    unavailable = responses(schema, path)["503"]
    assert "`index_damaged`" in unavailable["description"]
    assert unavailable["content"]["application/json"]["schema"] == ERROR_MODEL
    assert example_code(unavailable) == "index_not_found"
    assert (
        "index build" in unavailable["content"]["application/json"]["example"]["error"]["message"]
    )


@pytest.mark.parametrize("path", ["/search", "/suggest", "/articles/{article_id}", "/health"])
def test_every_route_documents_the_500_internal_error(schema: dict[str, Any], path: str) -> None:
    bug = responses(schema, path)["500"]
    assert bug["content"]["application/json"]["schema"] == ERROR_MODEL
    assert example_code(bug) == "internal_error"


@pytest.mark.parametrize("path", ["/search", "/suggest", "/articles/{article_id}"])
def test_routes_with_parameters_document_the_422_with_the_error_model(
    schema: dict[str, Any], path: str
) -> None:
    invalid = responses(schema, path)["422"]
    assert invalid["content"]["application/json"]["schema"] == ERROR_MODEL
    assert "HTTPValidationError" not in schema.get("components", {}).get("schemas", {})


def test_health_documents_no_impossible_422(schema: dict[str, Any]) -> None:
    assert set(responses(schema, "/health")) == {"200", "400", "408", "414", "431", "500", "503"}


@pytest.mark.parametrize("path", ["/search", "/suggest", "/articles/{article_id}", "/health"])
@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("400", "bad_request"),
        ("408", "request_timeout"),
        ("414", "uri_too_long"),
        ("431", "headers_too_large"),
    ],
)
def test_every_route_documents_the_refusals_of_the_http_layer(
    schema: dict[str, Any], path: str, status: str, code: str
) -> None:
    refused = responses(schema, path)[status]
    assert refused["content"]["application/json"]["schema"] == ERROR_MODEL
    assert example_code(refused) == code


def test_every_route_has_a_description(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method.upper()} {path}"


def test_suggest_parameters_are_described(schema: dict[str, Any]) -> None:
    parameters = schema["paths"]["/suggest"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"q", "limit"}
    assert all(p.get("description") for p in parameters)
