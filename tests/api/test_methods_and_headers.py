"""405 with `Allow`, OPTIONS, and the headers of a public service on every response."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.settings import Settings
from search_service.web.api import create_app
from search_service.web.security import PAGE_POLICY, inline_hashes
from search_service.web.widget import static_file

from .conftest import news_articles

ClientFor = Callable[..., Any]
ALLOWED = "https://esn.example"
ROUTES = [
    "/search",
    "/suggest",
    "/articles/en/health",
    "/health",
    "/",
    "/widget.js",
    "/admin/report",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path) -> Iterator[Any]:
    """One app for the module (these tests only read): an index of the `news` articles."""
    from fastapi.testclient import TestClient  # imported by conftest without its warning

    index_dir = tmp_path_factory.mktemp("methods") / "indexes"
    build_from_articles(news_articles(), index_dir)
    settings = Settings(index_dir=index_dir, corpus_dir=shipped_corpus, cors_origins=[ALLOWED])
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
def test_a_method_a_route_does_not_take_gets_405_with_allow(
    client: Any, path: str, method: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ROUTES)
def test_options_answers_204_with_allow(client: Any, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "PATCH", "TRACE"])
def test_the_click_beacon_takes_post_only_and_says_so(client: Any, method: str) -> None:
    response = client.request(method, "/clicks")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"


def test_options_on_the_click_beacon_answers_204_with_allow(client: Any) -> None:
    response = client.options("/clicks")
    assert response.status_code == 204
    assert response.headers["allow"] == "POST, OPTIONS"


def test_options_on_an_unknown_route_is_404(client: Any) -> None:
    response = client.options("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_cors_preflight_is_still_answered_as_a_preflight(client: Any) -> None:
    response = client.options(
        "/search",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "GET" in response.headers["access-control-allow-methods"]
    assert response.headers["x-content-type-options"] == "nosniff"


EVERY_KIND = [
    ("GET", "/search?q=teachers", 200),
    ("GET", "/suggest?q=tea", 200),
    ("GET", "/articles/en/health", 200),
    ("GET", "/health", 200),
    ("GET", "/openapi.json", 200),
    ("GET", "/docs", 200),
    ("GET", "/", 200),
    ("GET", "/widget.js", 200),
    ("GET", "/search?per_page=0", 422),
    ("GET", "/articles/missing", 404),
    ("GET", "/no/such/route", 404),
    ("POST", "/search", 405),
    ("POST", "/clicks", 415),
    ("GET", "/clicks", 405),
    ("GET", "/admin/report", 404),
    ("OPTIONS", "/search", 204),
    ("GET", "/broken", 500),
    ("GET", "/search?" + "q=x&" * 6000, 414),
]


@pytest.mark.parametrize(("method", "target", "status"), EVERY_KIND)
def test_every_response_says_nosniff_and_its_referrer_policy(
    client: Any, method: str, target: str, status: int
) -> None:
    response = client.request(method, target)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    "target", ["/search?q=teachers", "/health", "/widget.js", "/articles/missing", "/openapi.json"]
)
def test_what_is_not_a_page_has_no_content_security_policy(client: Any, target: str) -> None:
    assert "content-security-policy" not in client.get(target).headers


def test_an_article_page_runs_no_script(client: Any) -> None:
    response = client.get("/articles/en/health", headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy == PAGE_POLICY
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_demo_page_allows_its_own_inline_blocks_by_hash_only(client: Any) -> None:
    response = client.get("/")
    policy = directives(response.headers["content-security-policy"])
    html = static_file("demo.html").content.decode()
    assert policy["script-src"] == ["'self'", *inline_hashes(html, "script")]
    assert policy["style-src"] == inline_hashes(html, "style")
    assert len(policy["script-src"]) == 2 and len(policy["style-src"]) == 1
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert policy["default-src"] == ["'none'"]


def test_the_api_reference_allows_its_assets_and_its_inline_script(client: Any) -> None:
    response = client.get("/docs")
    policy = directives(response.headers["content-security-policy"])
    [inline] = inline_hashes(response.text, "script")
    assert policy["script-src"] == ["https://cdn.jsdelivr.net", inline]
    assert policy["connect-src"] == ["'self'"]
    assert "/openapi.json" in response.text


def test_inline_hashes_skip_scripts_with_a_source_and_hash_the_exact_text() -> None:
    html = '<script src="/a.js"></script><script>alert(1)</script><style>p{}</style>'
    assert inline_hashes(html, "script") == [
        "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
    ]
    assert len(inline_hashes(html, "style")) == 1


def test_headers_beyond_their_limit_get_431_with_cors_headers(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news, cors_origins=[ALLOWED], max_header_bytes=2048)
    response = client.get("/search", headers={"Origin": ALLOWED, "X-Big": "v" * 3000})
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"
    assert response.headers["access-control-allow-origin"] == ALLOWED


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    assert re.fullmatch(r"[^,]*", policy)
    return found
