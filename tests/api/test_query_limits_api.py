"""Long queries and queries without words over HTTP: searched as documented, and said so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search_service.articles import Article
from search_service.search.query import MAX_QUERY_BYTES

ClientFor = Callable[..., Any]

#: A visitor pastes a paragraph of an article into the search box (about 1,400 characters).
PASTED = (
    "Une mutuelle de santé pour les enseignants du Bénin et du Togo : les syndicats "
    "d’enseignants ont rappelé au ministère que la protection sociale compte autant que les "
    "salaires, que chaque adhérent doit être couvert quelle que soit sa région, et que les "
    "mutuelles du réseau sont prêtes à aider les gouvernements. "
) * 5


def test_a_pasted_paragraph_is_searched_and_the_response_says_words_were_left_out(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news, max_query_words=32)
    assert len(PASTED) > 1000
    response = client.get("/search", params={"q": PASTED})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == PASTED
    assert [hit["id"] for hit in body["hits"]][:1] == ["fr-mutuelle"]
    assert body["notice"]["code"] == "words_dropped"
    assert "first 32 words" in body["notice"]["message"]


def test_a_short_query_has_no_notice(client_for: ClientFor, news: list[Article]) -> None:
    body = client_for(news).get("/search", params={"q": "teachers"}).json()
    assert body["total"] > 0 and body["notice"] is None


def test_a_query_beyond_the_byte_limit_is_refused_in_the_error_shape(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    at_limit = "é" * (MAX_QUERY_BYTES // 2)  # two bytes each
    assert client.get("/search", params={"q": at_limit}).status_code == 200
    assert client.get("/suggest", params={"q": at_limit}).status_code == 200
    for path in ("/search", "/suggest"):
        response = client.get(path, params={"q": at_limit + "é"})
        assert response.status_code == 422
        assert response.json() == {
            "error": {
                "code": "query_too_long",
                "message": f"the query is {MAX_QUERY_BYTES + 2:,} bytes long (UTF-8); at most "
                f"{MAX_QUERY_BYTES:,} are accepted: shorten it",
            }
        }


def test_suggest_completes_the_last_word_of_a_pasted_paragraph(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    response = client.get("/suggest", params={"q": PASTED + "enseig"})
    assert response.status_code == 200, response.text
    words = [s["text"] for s in response.json()["suggestions"] if s["kind"] == "word"]
    assert words and all(text.split()[-1].startswith("enseig") for text in words)


def test_a_query_of_emoji_and_symbols_finds_nothing_and_says_so(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    for q in ("😀", "🎓 ★ ?!", "***"):
        body = client.get("/search", params={"q": q, "country": "Benin"}).json()
        assert (body["total"], body["hits"]) == (0, []), q
        assert body["notice"]["code"] == "no_searchable_words", q
        assert {"value": "Benin", "count": 0, "selected": True} in body["facets"]["country"]


def test_an_empty_query_still_browses_everything(
    client_for: ClientFor, news: list[Article]
) -> None:
    client = client_for(news)
    for q in ("", "  "):
        body = client.get("/search", params={"q": q}).json()
        assert body["total"] == len(news) and body["notice"] is None


def test_the_openapi_schema_documents_the_notice_and_the_byte_limit(
    client_for: ClientFor, news: list[Article]
) -> None:
    schema = client_for(news).get("/openapi.json").json()
    notice = schema["components"]["schemas"]["NoticeModel"]
    assert notice["properties"]["code"]["enum"] == [
        "words_dropped",
        "no_searchable_words",
        "empty_year_range",
        "beyond_depth",
    ]
    assert "notice" in schema["components"]["schemas"]["SearchResponse"]["properties"]
    [q] = [p for p in schema["paths"]["/search"]["get"]["parameters"] if p["name"] == "q"]
    assert f"{MAX_QUERY_BYTES:,} bytes" in q["description"]
    assert "maxLength" not in q["schema"]
