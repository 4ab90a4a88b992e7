"""The fixture site on loopback, a corpus in a temporary folder, and a fetch of one into
the other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.fetch.report import FetchReport
from search_service.fetch.run import FetchOptions, fetch_site
from search_service.fetch.sources import Source
from search_service.fetch.store import Store
from search_service.fetch.urls import normalise_url
from search_service.ingest.corpus_root import FETCH_SIDECAR_SUFFIX

from .site import FixtureSite, Page, SiteServer, article_html, served

EN_BENIN = "/en/news/teachers-health-benin/"
EN_BURUNDI = "/en/news/mutual-health-burundi/"
EN_PRIVATE = "/en/private/internal-notes/"
FR_SENEGAL = "/fr/actualites/sante-des-enseignants-au-senegal/"
FR_LATIN1 = "/fr/actualites/education-a-la-sante/"
ES_COLOMBIA = "/es/noticias/proteccion-social-en-colombia/"
PDF = "/media/annual-report.pdf"
ARTICLES = (EN_BENIN, EN_BURUNDI, FR_SENEGAL, FR_LATIN1, ES_COLOMBIA)

LATIN1_TITLE = "Éducation à la santé : les élèves de Dakar répondent présent"
LATIN1_TEXT = (
    "À Dakar, les enseignants et la mutuelle ont organisé une journée d'éducation à la "
    "santé pour les élèves des écoles primaires. Les ateliers ont abordé l'hygiène, "
    "l'alimentation équilibrée et la prévention du paludisme ; chaque élève est reparti "
    "avec un carnet de santé illustré. « C'est une réussite », a déclaré la directrice."
)


def default_site() -> FixtureSite:
    """The site most tests fetch: five articles in three languages, listed by a sitemap
    index (one sitemap plain, one gzipped) and a feed with tracking parameters."""
    site = FixtureSite()
    site.add_article(
        EN_BENIN,
        "en",
        "Teachers' health insurance reaches Benin",
        "2024-02-01",
        [
            "The mutual health insurance of teachers in Benin now covers their families.",
            "Members of the network met in Cotonou to plan the next steps.",
        ],
    )
    site.add_article(
        EN_BURUNDI,
        "en",
        "Mutual health in Burundi: a year of progress",
        "2024-01-15",
        ["Health mutuals in Burundi enrolled ten thousand teachers this year."],
    )
    site.add_article(
        EN_PRIVATE, "en", "Internal notes", "2024-01-01", ["Notes robots.txt keeps private."]
    )
    site.add_article(
        FR_SENEGAL,
        "fr",
        "La santé des enseignants au Sénégal",
        "2024-01-20",
        ["Les enseignants du Sénégal ont rencontré les mutuelles de santé à Dakar."],
    )
    site.add_article(
        ES_COLOMBIA,
        "es",
        "Protección social en Colombia",
        "2024-01-10",
        ["Los docentes de Colombia debatieron sobre la protección social en Bogotá."],
    )
    latin1 = article_html("fr", LATIN1_TITLE, "2024-01-05", [LATIN1_TEXT], charset=None)
    site.pages[FR_LATIN1] = Page(
        latin1.encode("latin-1", "xmlcharrefreplace"), content_type="text/html"
    )
    site.pages[PDF] = Page(b"%PDF-1.4 a report", content_type="application/pdf")
    site.sitemap_en = [EN_BENIN, EN_BURUNDI, EN_PRIVATE]
    site.sitemap_more = [FR_SENEGAL, FR_LATIN1, ES_COLOMBIA, PDF]
    site.feed = [
        EN_BENIN + "?utm_source=rss&utm_medium=feed",
        FR_SENEGAL + "?fbclid=IwAR0abc#comments",
        EN_BURUNDI,
    ]
    return site


@pytest.fixture
def site() -> FixtureSite:
    return default_site()


@pytest.fixture
def server(site: FixtureSite) -> Iterator[SiteServer]:
    yield from served(site)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


OPTIONS = FetchOptions(
    delay=0.0,
    timeout=5.0,
    max_page_bytes=200_000,
    user_agent="ESN-site-search",
    contact_url="https://example.org/contact",
)


def sources_of(server: SiteServer, *paths: str, **patterns: Any) -> list[Source]:
    return [Source(url=server.base + path, **patterns) for path in paths]


def fetch(
    corpus: Path,
    server: SiteServer,
    *paths: str,
    sources: list[Source] | None = None,
    **options: Any,
) -> FetchReport:
    """A fetch run of the given source paths (default: the sitemap index and the feed)."""
    chosen = sources or sources_of(server, *(paths or ("/sitemap.xml", "/feed/")))
    settings = OPTIONS.__class__(**{**OPTIONS.__dict__, **options})
    return fetch_site(corpus, chosen, settings)


def page_file(corpus: Path, server: SiteServer, path: str) -> Path:
    return Store(corpus).path_for(normalise_url(server.base + path))


def sidecar_of(corpus: Path, server: SiteServer, path: str) -> dict[str, Any]:
    file = page_file(corpus, server, path)
    data: dict[str, Any] = json.loads(file.with_name(file.name + FETCH_SIDECAR_SUFFIX).read_text())
    return data


def urls(report: FetchReport, outcome: str, server: SiteServer) -> set[str]:
    """The paths of the pages with this outcome."""
    return {
        event.url.removeprefix(server.base)
        for event in report.events[outcome]  # type: ignore[index]
    }
