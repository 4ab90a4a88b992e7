"""`sync` end to end on the fixture site: its HTML pages fetched, read and indexed; a page
gone leaves the index, a failing page stays, a changed page is re-indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from search_service.cli import main
from search_service.index.generations import open_live_index
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest
from search_service.settings import Settings

from .conftest import EN_BENIN, EN_BURUNDI, ES_COLOMBIA, FR_LATIN1, FR_SENEGAL, LATIN1_TITLE
from .site import FixtureSite, Page, SiteServer


def indexed(index: Path) -> dict[str, dict[str, Any]]:
    """The live generation's articles by url: their stored fields."""
    _, live = open_live_index(index)
    with live.searcher() as searcher:
        return {fields["url"]: dict(fields) for fields in searcher.all_stored_fields()}


def search_urls(index: Path, query: str) -> list[str]:
    engine = SearchEngine(Settings(index_dir=index, cache_size=0, reload_interval=3600.0))
    hits = engine.search(SearchRequest(q=query, per_page=10, snippets=False)).hits
    return [hit.url or "" for hit in hits]


@pytest.fixture
def synced(
    corpus: Path, server: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    """A corpus whose sources.yaml names the fixture site, synced once into an index."""
    (corpus / "sources.yaml").write_text(
        f"sources:\n  - url: {server.base}/sitemap.xml\n  - url: {server.base}/feed/\n",
        encoding="utf-8",
    )
    index = tmp_path / "indexes"
    assert main(["sync", "--corpus", str(corpus), "--index", str(index), "--delay", "0"]) == 0
    capsys.readouterr()
    return corpus, index


def test_sync_indexes_the_sites_pages_with_title_date_language_and_url(
    synced: tuple[Path, Path], server: SiteServer
) -> None:
    _, index = synced

    articles = indexed(index)

    assert set(articles) == {
        server.base + path for path in (EN_BENIN, EN_BURUNDI, FR_SENEGAL, FR_LATIN1, ES_COLOMBIA)
    }
    benin = articles[server.base + EN_BENIN]
    assert benin["title"] == "Teachers' health insurance reaches Benin"
    assert benin["date"] == "2024-02-01"
    assert benin["language"] == "en"
    assert "Cotonou" in benin["body"]
    assert "Latest news" not in benin["body"] and "Legal notice" not in benin["body"]
    assert articles[server.base + FR_LATIN1]["title"] == LATIN1_TITLE  # Latin-1 read right
    assert articles[server.base + FR_LATIN1]["language"] == "fr"
    assert articles[server.base + ES_COLOMBIA]["language"] == "es"
    assert search_urls(index, "Cotonou")[0] == server.base + EN_BENIN


def test_after_sync_a_page_gone_leaves_the_index_and_a_failing_page_stays(
    synced: tuple[Path, Path], server: SiteServer, site: FixtureSite
) -> None:
    corpus, index = synced
    site.pages[EN_BENIN] = Page(b"gone", status=404, content_type="text/plain")
    site.pages[EN_BURUNDI] = Page(b"oops", status=500, content_type="text/plain")
    site.sitemap_more.remove(ES_COLOMBIA)
    site.add_article(
        FR_SENEGAL,
        "fr",
        "La santé des enseignants au Sénégal",
        "2024-01-20",
        ["Les enseignants du Sénégal ont rencontré les mutuelles de santé à Ziguinchor."],
    )

    code = main(["sync", "--corpus", str(corpus), "--index", str(index), "--delay", "0"])

    assert code == 1  # the 500
    articles = indexed(index)
    assert server.base + EN_BENIN not in articles  # 404: removed
    assert server.base + ES_COLOMBIA not in articles  # left the sitemap: removed
    assert server.base + EN_BURUNDI in articles  # 500: the saved copy stays indexed
    assert search_urls(index, "Cotonou") == []
    assert search_urls(index, "Burundi")[0] == server.base + EN_BURUNDI
    assert search_urls(index, "Ziguinchor") == [server.base + FR_SENEGAL]  # changed: re-read
