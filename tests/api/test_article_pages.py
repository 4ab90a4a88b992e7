"""Article pages for browsers: the article, or a page saying it is not there, in a language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from search_service.articles import Article
from search_service.web.pages import reader_language

ClientFor = Callable[..., Any]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_an_unknown_article_followed_from_a_browser_gets_a_not_found_page(
    client_for: ClientFor, news: list[Article]
) -> None:
    response = client_for(news).get("/articles/articles/gone", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="en">' in page
    assert "<h1>Article not found</h1>" in page
    assert "<code>articles/gone</code>" in page
    assert '<meta name="robots" content="noindex">' in page


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr", "Article introuvable"),
        ("de-DE,de;q=0.9,es;q=0.8,en;q=0.5", "es", "Artículo no encontrado"),
        ("en;q=0.4, fr;q=0.6", "fr", "Article introuvable"),
        ("de", "en", "Article not found"),
        ("", "en", "Article not found"),
    ],
)
def test_the_not_found_page_speaks_the_readers_language(
    client_for: ClientFor, news: list[Article], accept_language: str, lang: str, heading: str
) -> None:
    response = client_for(news).get(
        "/articles/gone", headers={"Accept": BROWSER, "Accept-Language": accept_language}
    )
    assert response.status_code == 404
    assert f'<html lang="{lang}">' in response.text
    assert f"<h1>{heading}</h1>" in response.text


def test_a_hostile_unknown_id_is_escaped_on_the_page(
    client_for: ClientFor, news: list[Article]
) -> None:
    response = client_for(news).get(
        "/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert "<script" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/html", "text/plain"]
)
def test_any_other_client_gets_the_json_error(
    client_for: ClientFor, news: list[Article], accept: str | None
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client_for(news).get("/articles/gone", headers=headers)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "article_not_found", "message": "no article with id 'gone'"}
    }


def test_head_of_an_unknown_article_is_a_404_without_a_body(
    client_for: ClientFor, news: list[Article]
) -> None:
    response = client_for(news).head("/articles/gone", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b""


def test_article_responses_vary_on_accept(client_for: ClientFor, news: list[Article]) -> None:
    client = client_for(news)
    for path in ("/articles/en/health", "/articles/gone"):
        for accept in (BROWSER, "application/json"):
            response = client.get(path, headers={"Accept": accept})
            assert "accept" in response.headers["vary"].lower()


def test_the_article_pages_own_words_are_in_the_articles_language(
    client_for: ClientFor, make_article: Callable[..., Article]
) -> None:
    client = client_for(
        [
            make_article("fr", "Mutuelles", "Texte.", "fr", url="https://example.org/fr"),
            make_article("es", "Mutualidades", "Texto.", "es", url="https://example.org/es"),
        ]
    )
    page = client.get("/articles/fr", headers={"Accept": BROWSER}).text
    assert '<html lang="fr">' in page and ">Page d’origine</a>" in page
    page = client.get("/articles/es", headers={"Accept": BROWSER}).text
    assert '<html lang="es">' in page and ">Página original</a>" in page


def test_the_openapi_schema_documents_the_html_not_found_page(
    client_for: ClientFor, news: list[Article]
) -> None:
    schema = client_for(news).get("/openapi.json").json()
    not_found = schema["paths"]["/articles/{article_id}"]["get"]["responses"]["404"]
    assert set(not_found["content"]) == {"application/json", "text/html"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("es-MX", "es"),
        ("FR", "fr"),
        ("fr;q=0, en", "en"),
        ("fr;q=abc, es", "es"),
        ("*", "en"),
        ("frr, fr;q=0.1", "fr"),
    ],
)
def test_reader_language_takes_the_preferred_of_en_fr_es(header: str, language: str) -> None:
    assert reader_language(header) == language
