"""The service's widget routes: the script, its caching, the demo page, the size budget."""

from __future__ import annotations

import gzip
import warnings
from importlib import resources

import pytest
from fastapi import FastAPI

from search_service.web import widget

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; plain httpx is what the project declares.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GZIP_BUDGET_BYTES = 15 * 1024  # JS + CSS (the CSS lives inside widget.js)


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(widget.router)
    return TestClient(app)


def widget_source() -> bytes:
    return resources.files("search_service.web").joinpath("static", "widget.js").read_bytes()


def test_widget_js_is_served_as_javascript_with_cache_headers(client: TestClient) -> None:
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=300" in response.headers["cache-control"]
    assert response.headers["etag"].startswith('"')
    assert response.content == widget_source()
    assert b'customElements.define("site-search"' in response.content


def test_a_browser_holding_the_current_widget_gets_304(client: TestClient) -> None:
    etag = client.get("/widget.js").headers["etag"]

    response = client.get("/widget.js", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_an_outdated_etag_gets_the_new_widget(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"If-None-Match": '"outdated"'})

    assert response.status_code == 200
    assert response.content == widget_source()


def test_head_requests_are_answered(client: TestClient) -> None:
    response = client.head("/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")


def test_the_widget_goes_gzipped_to_browsers_that_accept_it(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate, br"})

    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < len(widget_source()) / 2
    assert response.content == widget_source()  # httpx decodes it


def test_clients_without_gzip_get_the_plain_file(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "identity"})

    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(widget_source())
    assert response.content == widget_source()


def test_each_encoding_has_its_own_etag(client: TestClient) -> None:
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip"}).headers["etag"]
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"}).headers["etag"]

    assert zipped != plain
    revalidated = client.get(
        "/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": plain}
    )
    assert revalidated.status_code == 200


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accepts_gzip_reads_the_accept_encoding_header(header: str, expected: bool) -> None:
    assert widget.accepts_gzip(header) is expected


def test_the_demo_page_embeds_the_widget_with_the_one_line_snippet(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert '<script src="/widget.js" defer></script>' in response.text
    assert "<site-search" in response.text


def test_the_widget_stays_within_its_gzip_budget() -> None:
    size = len(gzip.compress(widget_source(), compresslevel=9))

    assert size <= GZIP_BUDGET_BYTES, f"widget.js is {size} bytes gzipped"


def test_the_served_widget_is_the_package_data_file() -> None:
    """pyproject declares static/* as package data: the router reads through importlib."""
    static = resources.files("search_service.web").joinpath("static")

    assert static.joinpath("widget.js").is_file()
    assert static.joinpath("demo.html").is_file()
