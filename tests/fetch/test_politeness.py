"""Politeness without timing: the pauses the client asks for are recorded, not waited."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from search_service.fetch import client, commands

from .conftest import EN_BENIN, EN_BURUNDI, FR_SENEGAL, OPTIONS, fetch
from .site import FixtureSite, Page, SiteServer


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause the client asks for between two requests, on a clock that only moves
    when the client pauses (nothing actually sleeps)."""
    recorded: list[float] = []
    clock = [1000.0]

    def pause(seconds: float) -> None:
        recorded.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(client, "clock", lambda: clock[0])
    monkeypatch.setattr(client, "pause", pause)
    return recorded


def test_requests_to_a_site_are_spaced_by_the_delay(
    corpus: Path, server: SiteServer, pauses: list[float]
) -> None:
    fetch(corpus, server, EN_BENIN, delay=5.0)

    # robots.txt, then the page: one pause of (nearly) the delay between them
    assert pauses == [5.0]


def test_a_crawl_delay_in_robots_txt_slows_the_fetch_down(
    corpus: Path, server: SiteServer, site: FixtureSite, pauses: list[float]
) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 7\n"

    fetch(corpus, server, EN_BENIN, delay=0.0)

    assert pauses == [7.0]


def test_a_429_with_retry_after_is_waited_out_and_the_delay_doubles(
    corpus: Path, server: SiteServer, site: FixtureSite, pauses: list[float]
) -> None:
    site.pages[EN_BENIN] = Page(
        b"slow down", status=429, content_type="text/plain", headers={"Retry-After": "30"}
    )
    site.sitemap_en = [EN_BENIN, EN_BURUNDI, FR_SENEGAL]
    site.sitemap_more = []

    report = fetch(corpus, server, "/sitemap-en.xml", delay=2.0)

    assert [e.url for e in report.events["failed"]] == [server.base + EN_BENIN]
    assert server.requests[EN_BURUNDI] == 1  # the run goes on
    # robots -> sitemap -> page (2 s each), 30 s asked by the 429, then twice the delay
    assert pauses == [2.0, 2.0, 30.0, 4.0]


def test_the_progress_is_drawn_as_bars_on_a_terminal(
    corpus: Path, server: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    monkeypatch.setenv("COLUMNS", "120")

    with commands.fetch_progress_display() as progress:
        from search_service.fetch.run import fetch_site
        from search_service.fetch.sources import Source

        fetch_site(corpus, [Source(url=server.base + "/sitemap.xml")], OPTIONS, progress=progress)

    drawn = screen.getvalue()
    assert "\x1b[" in drawn and "━" in drawn
    assert "reading sources" in drawn and "fetching pages" in drawn
    assert "6/6" in drawn
    assert "pages: " not in drawn  # no plain lines
