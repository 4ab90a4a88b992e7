"""End to end: a corpus of HTML pages built into a real index and searched through the API."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.index.build import build_index
from search_service.index.generations import open_live_index
from search_service.settings import Settings
from search_service.web.api import create_app

from .html_site import TITLES, Page, article_page, listing_main

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; plain httpx is what the project declares.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

URLS = {lang: f"https://site.example/{lang}/2023/11/14/agreement/" for lang in ("en", "fr", "es")}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, vocabulary_dir: Path) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("html-site")
    corpus = root / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    site = corpus / "site" / "site.example"
    for lang in ("en", "fr", "es"):
        page = site / lang / "2023" / "11" / "14" / "agreement.html"
        page.parent.mkdir(parents=True)
        page.write_text(article_page(lang, canonical=URLS[lang]).render(), encoding="utf-8")
        record = {"url": URLS[lang], "fetched_at": "2024-05-01T10:00:00Z"}
        page.with_name(page.name + ".fetch.json").write_text(json.dumps(record))
    listing = Page(title="Africa", main_html=listing_main("en", "Africa"), body_classes="archive")
    (site / "en" / "africa.html").write_text(listing.render(), encoding="utf-8")
    report = build_index(corpus, root / "indexes", full=True)
    assert report.articles == 3
    assert [(p.code, p.path) for p in report.skipped] == [
        ("not_an_article", "site/site.example/en/africa.html")
    ]
    settings = Settings(index_dir=root / "indexes", corpus_dir=corpus)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def search(client: Any, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/search", params={"q": q, **params})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("word", "lang"), [("bodyword", "en"), ("motcorps", "fr"), ("palabracuerpo", "es")]
)
def test_a_word_of_the_article_text_finds_the_page(client: Any, word: str, lang: str) -> None:
    body = search(client, word)
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["title"] == TITLES[lang]
    assert hit["url"] == URLS[lang]
    assert hit["language"] == lang and hit["date"] == "2023-11-14"
    assert "Senegal" in hit["countries"] and hit["partners"] == ["ILO"]
    assert word in hit["snippet"].lower().replace("<mark>", "").replace("</mark>", "")


@pytest.mark.parametrize(
    "word",
    ["teaserword", "footerword", "Menuword", "scriptword", "dataLayer", "Seconds", "Facebook"],
)
def test_a_word_only_in_the_sites_furniture_finds_nothing(client: Any, word: str) -> None:
    assert search(client, word)["total"] == 0


def test_the_teasers_countries_are_not_facets_of_the_page(client: Any) -> None:
    facets = search(client, "")["facets"]
    assert "Peru" not in {item["value"] for item in facets["country"]}
    assert {item["value"] for item in facets["language"]} == {"en", "fr", "es"}


def test_the_listing_page_is_not_in_the_index(client: Any) -> None:
    assert search(client, "Africa teasers")["total"] == 0
    assert search(client, "")["total"] == 3


def test_a_page_saved_again_under_its_canonical_address_replaces_its_copy_in_the_index(
    tmp_path: Path, vocabulary_dir: Path
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "indexes"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    site = corpus / "site" / "site.example"
    site.mkdir(parents=True)
    canonical = URLS["en"]

    def save(name: str, fetched_from: str, lang: str = "en") -> Path:
        page = site / name
        page.parent.mkdir(parents=True, exist_ok=True)
        html = article_page(lang, canonical=URLS[lang]).render()
        page.write_text(html, encoding="utf-8")
        page.with_name(page.name + ".fetch.json").write_text(json.dumps({"url": fetched_from}))
        return page

    def indexed() -> list[tuple[str, str]]:
        _, live = open_live_index(index)
        with live.searcher() as searcher:
            return sorted((f["id"], f["url"]) for f in searcher.all_stored_fields())

    french = ("site/site.example/fr/agreement", URLS["fr"])
    save("fr/agreement.html", URLS["fr"], "fr")
    save("index@p=123.html", "https://site.example/?p=123")
    build_index(corpus, index)
    assert indexed() == [french, ("site/site.example/index@p=123", canonical)]

    permalink = save("en/2023/11/14/agreement.html", canonical)
    report = build_index(corpus, index)

    assert report.added == ["site/site.example/en/2023/11/14/agreement"]
    assert report.deleted == ["site/site.example/index@p=123"]
    assert indexed() == [("site/site.example/en/2023/11/14/agreement", canonical), french]
    assert build_index(corpus, index).up_to_date  # the same copy kept on the next build

    for file in (permalink, permalink.with_name(permalink.name + ".fetch.json")):
        file.unlink()  # the permalink gone (a 404): its copy is indexed again
    build_index(corpus, index)
    assert indexed() == [french, ("site/site.example/index@p=123", canonical)]
