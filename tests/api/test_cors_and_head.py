"""Every answer carries the CORS headers an allowed origin needs; HEAD answers like GET."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article
from search_service.web.api import create_app

from .conftest import raw_request

ClientFor = Callable[..., Any]
ALLOWED = "https://esn.example"


def broken_route() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
def client(client_for: ClientFor, news: list[Article]) -> Any:
    client = client_for(news, cors_origins=[ALLOWED])
    client.app.add_api_route("/broken", broken_route)
    return client


ERRORS = [
    ("GET", "/search?q=%ff", 422, "invalid_encoding"),
    ("GET", "/search?per_page=0", 422, "invalid_parameter"),
    ("GET", "/search?" + "q=x&" * 6000, 414, "uri_too_long"),
    ("GET", "/articles/missing", 404, "article_not_found"),
    ("GET", "/no/such/route", 404, "not_found"),
    ("POST", "/search", 405, "method_not_allowed"),
    ("GET", "/broken", 500, "internal_error"),
]


@pytest.mark.parametrize(("method", "target", "status", "code"), ERRORS)
def test_error_responses_carry_cors_headers_for_an_allowed_origin(
    client: Any, method: str, target: str, status: int, code: str
) -> None:
    response = client.request(method, target, headers={"Origin": ALLOWED})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize(("method", "target", "status", "code"), ERRORS)
def test_error_responses_give_no_cors_headers_to_other_origins(
    client: Any, method: str, target: str, status: int, code: str
) -> None:
    response = client.request(method, target, headers={"Origin": "https://evil.example"})
    assert response.status_code == status
    assert "access-control-allow-origin" not in response.headers


def test_the_503_before_any_index_carries_cors_headers(
    settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient  # imported by conftest without its warning

    app = create_app(settings_for(index_dir=tmp_path / "empty", cors_origins=[ALLOWED]))
    with TestClient(app) as client:
        for target in ("/search", "/health"):
            response = client.get(target, headers={"Origin": ALLOWED})
            assert response.status_code == 503
            assert response.headers["access-control-allow-origin"] == ALLOWED


def test_a_bug_is_logged_with_its_details_but_answered_without(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="search_service.web.api"):
        response = client.get("/broken")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)
    assert "GET /broken 500 " in [r.getMessage() for r in caplog.records][-1]


def test_a_cors_preflight_is_answered_and_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Origin": ALLOWED, "Access-Control-Request-Method": "GET"}
    with caplog.at_level("INFO", logger="search_service.web.api"):
        response = client.options("/search", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    lines = [r.getMessage() for r in caplog.records if r.name == "search_service.web.api"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == ["OPTIONS /search 200"]


@pytest.mark.parametrize(
    "target",
    [
        "/health",
        "/search?q=teachers",
        "/search?country=Benin&per_page=1",
        "/suggest?q=tea",
        "/articles/en/health",
        "/widget.js",
        "/openapi.json",
        "/search?per_page=0",
        "/articles/missing",
    ],
)
def test_head_answers_like_get_without_a_body(client: Any, target: str) -> None:
    got = client.get(target, headers={"Origin": ALLOWED})
    head = client.head(target, headers={"Origin": ALLOWED})
    assert head.status_code == got.status_code
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0  # the GET's length (took_ms varies)
    for name in ("content-type", "access-control-allow-origin"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_health_over_a_real_socket(
    client_for: ClientFor,
    news: list[Article],
    settings_for: Callable[..., Any],
    live_server: Callable[..., Any],
) -> None:
    client_for(news)  # builds the index
    with live_server(create_app(settings_for())) as server:
        response = raw_request(server.port, b"HEAD /health")
    assert response.head.startswith(b"HTTP/1.1 200 ")
    assert b"content-type: application/json" in response.head.lower()
    assert response.body == b""
