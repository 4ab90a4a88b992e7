"""The HTTP API over a real index: responses, filters, articles, suggest, health, CORS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search_service.articles import Article
from search_service.web.responses import SearchResponse, SuggestResponse

ClientFor = Callable[..., Any]


def test_search_response_has_every_documented_field(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    body = client.get("/search", params={"q": "teachers health"}).json()
    SearchResponse.model_validate(body)
    assert set(body) == {
        "query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion", "notice",
        "search_id",
    }  # fmt: skip
    assert body["query"] == "teachers health"
    hit = body["hits"][0]
    assert set(hit) == {
        "id", "title", "url", "date", "year", "language", "countries", "partners", "snippet",
        "score",
    }  # fmt: skip
    assert hit["id"] == "en/health"
    assert hit["url"] == "https://example.org/health"
    assert hit["countries"] == ["Senegal"] and hit["partners"] == ["ILO"]
    assert hit["year"] == 2018 and hit["date"] == "2018-01-20"
    assert set(body["facets"]) == {"country", "partner", "year", "language"}
    assert {"value": "Senegal", "count": 1, "selected": False} in body["facets"]["country"]


def test_repeated_filters_are_ored_and_facets_anded(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    response = client.get("/search", params=[("country", "Senegal"), ("country", "Togo")])
    assert sorted(hit["id"] for hit in response.json()["hits"]) == ["en/health", "fr-mutuelle"]
    response = client.get(
        "/search", params=[("country", "Senegal"), ("country", "Togo"), ("language", "fr")]
    )
    body = response.json()
    assert [hit["id"] for hit in body["hits"]] == ["fr-mutuelle"]
    selected = [item for item in body["facets"]["country"] if item["selected"]]
    assert {item["value"] for item in selected} == {"Senegal", "Togo"}


def test_year_range_and_sort(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    body = client.get("/search", params={"year_from": 2017, "sort": "oldest"}).json()
    assert [hit["id"] for hit in body["hits"]] == ["en/health", "fr-mutuelle"]
    body = client.get("/search", params={"sort": "newest"}).json()
    assert [hit["id"] for hit in body["hits"]] == ["fr-mutuelle", "en/health", "en-script"]


def test_paging_parameters(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    body = client.get("/search", params={"page": 2, "per_page": 2}).json()
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, 3)
    assert [hit["id"] for hit in body["hits"]] == ["en-script"]


def test_snippets_are_escaped_html(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    [hit] = client.get("/search", params={"q": "beware"}).json()["hits"]
    assert "<script>" not in hit["snippet"]
    assert hit["snippet"].startswith("<mark>Beware</mark> &lt;script&gt;")


def test_suggest(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    body = client.get("/suggest", params={"q": "heal", "limit": 5}).json()
    SuggestResponse.model_validate(body)
    assert body["query"] == "heal"
    assert {"text": "Health insurance for teachers", "kind": "title", "id": "en/health"} in body[
        "suggestions"
    ]
    assert {"text": "health", "kind": "word", "id": None} in body["suggestions"]


def test_article_as_json(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    response = client.get("/articles/en/health")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "en/health"
    assert body["body"].startswith("Teachers in Senegal")
    assert body["countries"] == ["Senegal"]


def test_article_as_a_readable_escaped_page(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    response = client.get(
        "/articles/en-script", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>A &lt;b&gt;hostile&lt;/b&gt; article</h1>" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script" not in page
    assert "javascript:" not in page


def test_unknown_article_is_404(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    response = client.get("/articles/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "article_not_found"


def test_health_reports_the_live_generation(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["articles"] == 3
    assert body["generation"].startswith("gen-")


def test_cross_origin_gets_are_allowed(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    response = client.get("/search", params={"q": "x"}, headers={"Origin": "https://a.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_cors_origins_setting_is_honoured(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news, cors_origins=["https://esn.example"])
    allowed = client.get("/search", headers={"Origin": "https://esn.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://esn.example"
    refused = client.get("/search", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers


def test_openapi_describes_every_parameter_and_field(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    schema = client.get("/openapi.json").json()
    parameters = schema["paths"]["/search"]["get"]["parameters"]
    assert all(parameter.get("description") for parameter in parameters)
    for name in ("SearchResponse", "HitModel", "FacetValueModel", "SuggestResponse"):
        properties = schema["components"]["schemas"][name]["properties"]
        assert all(field.get("description") for field in properties.values()), name
    assert client.get("/docs").status_code == 200


def test_the_widget_is_served(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    assert client.get("/widget.js").status_code == 200


def test_each_request_is_logged(client_for: ClientFor, news: list[Article], caplog: Any) -> None:
    client = client_for(news)
    with caplog.at_level("INFO", logger="search_service.web.api"):
        client.get("/search", params={"q": "teachers"})
    [line] = [r.getMessage() for r in caplog.records if r.name == "search_service.web.api"]
    assert line.startswith("GET /search 200 ")
    assert line.endswith("ms")
