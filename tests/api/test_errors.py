"""One error shape for every error, clear 4xx for bad input, never a 5xx on user input."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.web.api import create_app

from .conftest import raw_request

ClientFor = Callable[..., Any]


def assert_error(response: Any, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, str] = body["error"]
    return error


def test_the_error_shape_is_the_same_for_every_error(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    assert_error(client.get("/search", params={"per_page": 0}), 422, "invalid_parameter")
    assert_error(client.get("/articles/missing"), 404, "article_not_found")
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.post("/search"), 405, "method_not_allowed")


def test_validation_messages_name_the_parameter(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    error = assert_error(client.get("/search", params={"per_page": 500}), 422, "invalid_parameter")
    assert error["message"].startswith("per_page:")
    error = assert_error(client.get("/search", params={"sort": "best"}), 422, "invalid_parameter")
    assert error["message"].startswith("sort:")
    error = assert_error(client.get("/search", params={"year": "soon"}), 422, "invalid_parameter")
    assert error["message"].startswith("year:")


def test_an_inverted_year_range_matches_nothing(client_for: ClientFor, news: list[Article]) -> None:
    """`year_from` and `year_to` are two filters, ANDed: no year is in both."""
    client = client_for(news)
    response = client.get("/search", params={"year_from": 2019, "year_to": 2016})
    assert response.status_code == 200, response.text
    assert (response.json()["total"], response.json()["hits"]) == (0, [])
    assert response.json()["notice"]["code"] == "empty_year_range"
    assert client.get("/search", params={"year_from": 2016, "year_to": 2019}).json()["total"] == 3


def test_hostile_queries_are_searched_as_words(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    for q in ['"', '"teachers', "-", "*", "?", "teach*", "AND OR NOT", "\x00\x07", "(((", "-x -y"]:
        response = client.get("/search", params={"q": q})
        assert response.status_code == 200, q
    assert client.get("/search", params={"q": '"teachers'}).json()["total"] == 2


def test_a_genuine_bug_is_a_json_500_without_details(
    settings_for: Callable[..., Any], client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    app = client.app

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken", broken)
    error = assert_error(client.get("/broken"), 500, "internal_error")
    assert "secret" not in error["message"]


def test_non_utf8_percent_escapes_are_refused_over_a_real_socket(
    client_for: ClientFor,
    news: list[Article],
    settings_for: Callable[..., Any],
    live_server: Callable[..., Any],
) -> None:
    client_for(news)  # builds the index
    with live_server(create_app(settings_for())) as server:
        for target in (b"/search?q=%ff%fe", b"/search?country=%c3%28", b"/articles/%ff"):
            response = raw_request(server.port, b"GET " + target)
            assert response.status == 422, target
            assert b'"invalid_encoding"' in response.body
        assert raw_request(server.port, b"GET /search?q=%C3%A9cole").status == 200


def asgi_get(app: Any, raw_path: bytes, query: bytes = b"") -> tuple[int, bytes]:
    """A GET given to the ASGI app as another server could give it: target bytes as sent."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": raw_path.decode("latin-1"), "raw_path": raw_path,
        "query_string": query, "root_path": "", "headers": [(b"host", b"x")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return int(sent[0]["status"]), body


def test_raw_bytes_of_a_target_that_are_not_utf8_are_refused_too(
    client_for: ClientFor, news: list[Article]
) -> None:
    """Bytes not percent-escaped: uvicorn refuses such a target itself (400, before the
    app); the app gives any other server the same 422 as for escaped ones."""
    app = client_for(news).app
    for raw_path, query in ((b"/search", b"q=\xff"), (b"/articles/\xc3\x28", b"")):
        status, body = asgi_get(app, raw_path, query)
        assert (status, b'"invalid_encoding"' in body) == (422, True), (raw_path, query)
    assert asgi_get(app, b"/search", "q=école".encode())[0] == 200


text = st.text(max_size=300)
values = st.one_of(text, st.integers(min_value=-(10**12), max_value=10**12).map(str))
PARAMETERS = (
    "q", "country", "partner", "year", "language", "year_from", "year_to", "sort", "page",
    "per_page", "limit",
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=text,
    extra=st.lists(st.tuples(st.sampled_from(PARAMETERS), values), max_size=6),
    path=st.sampled_from(["/search", "/suggest"]),
)
def test_arbitrary_parameters_never_give_a_5xx(
    client_for: ClientFor, news: list[Article], q: str, extra: list[tuple[str, str]], path: str
) -> None:
    client = shared_client(client_for, news)
    response = client.get(path, params=[("q", q), *extra])
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(article_id=st.text(min_size=1, max_size=80))
def test_arbitrary_article_ids_never_give_a_5xx(
    client_for: ClientFor, news: list[Article], article_id: str
) -> None:
    client = shared_client(client_for, news)
    response = client.get("/articles/" + quote(article_id, safe=""))
    assert response.status_code < 500


_clients: dict[int, Any] = {}


def shared_client(client_for: ClientFor, news: list[Article]) -> Any:
    """One client per test function (hypothesis calls the body many times)."""
    key = id(client_for)
    if key not in _clients:
        _clients.clear()
        _clients[key] = client_for(news)
    return _clients[key]


def test_without_an_index_the_503_names_the_command_not_the_server_folder(
    settings_for: Callable[..., Any], tmp_path: Any
) -> None:
    from fastapi.testclient import TestClient  # imported by conftest without its warning

    folder = tmp_path / "not-built-yet"
    with TestClient(create_app(settings_for(index_dir=folder))) as client:
        documented = client.get("/openapi.json").json()["paths"]["/search"]["get"]
        example = documented["responses"]["503"]["content"]["application/json"]["example"]
        for target in ("/search?q=teachers", "/suggest?q=tea", "/articles/en/health"):
            response = client.get(target)
            error = assert_error(response, 503, "index_not_found")
            assert error["message"] == (
                "no index has been published yet; run `search-service index build`"
            )
            assert error == example["error"]
            assert str(tmp_path) not in response.text


def test_an_app_started_on_a_damaged_pointer_answers_503_index_damaged_not_no_index(
    settings_for: Callable[..., Any], news: list[Article], tmp_path: Any
) -> None:
    from fastapi.testclient import TestClient  # imported by conftest without its warning

    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    (settings.index_dir / "live.json").write_text('{"live": "gen-x')  # truncated by something
    with TestClient(create_app(settings)) as client:
        for target in ("/search?q=teachers", "/suggest?q=tea", "/articles/en/health"):
            response = client.get(target)
            error = assert_error(response, 503, "index_damaged")
            assert error["message"] == (
                "the index's live pointer is damaged; the administrator should run "
                "`search-service index rollback`"
            )
            assert str(tmp_path) not in response.text
        health = client.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "index_damaged", "generation": None, "articles": 0}
