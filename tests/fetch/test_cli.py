"""`search-service corpus fetch` as the admin runs it: exit codes, report, --json, progress."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search_service.cli import main
from search_service.fetch.store import Store
from search_service.settings import MAX_PAGE_BYTES

from .conftest import ARTICLES, EN_BENIN, EN_BURUNDI, PDF, page_file
from .site import FixtureSite, Page, SiteServer

REPO_ROOT = Path(__file__).resolve().parents[2]


def fetch_cli(corpus: Path, *args: str) -> int:
    return main(["corpus", "fetch", "--corpus", str(corpus), "--delay", "0", *args])


def test_all_pages_fetched_exits_0_with_a_closing_report(
    corpus: Path, server: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = fetch_cli(corpus, server.base + "/sitemap.xml", server.base + "/feed/")

    out = capsys.readouterr().out
    assert code == 0
    assert f"  source {server.base}/sitemap.xml: sitemap index, 7 pages from 3 sitemaps" in out
    assert f"  source {server.base}/feed/: feed, 3 pages" in out
    assert "  pages: new 5, changed 0, unchanged 0, removed 0, failed 0, skipped 2" in out
    assert f"  new {server.base}{EN_BENIN}" in out
    assert f"  skipped 1 (not an HTML page (application/pdf)): {server.base}{PDF}" in out
    assert "pages: 6/6" in out  # plain progress lines, not a terminal here
    assert "\x1b[" not in out


def test_some_pages_failed_exits_1_and_names_them(
    corpus: Path, server: SiteServer, site: FixtureSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site.pages[EN_BURUNDI] = Page(b"oops", status=500, content_type="text/plain")

    code = fetch_cli(corpus, server.base + "/sitemap.xml")

    assert code == 1
    assert (
        f"  failed {server.base}{EN_BURUNDI}: HTTP 500 Internal Server Error"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/sitemap.xml", "the scheme 'ftp' is not fetched"),
        ("example.org/sitemap.xml", "it is not an absolute URL"),
    ],
)
def test_a_bad_url_exits_12_before_any_request(
    corpus: Path, url: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fetch_cli(corpus, url) == 12
    assert message in capsys.readouterr().err
    assert not (corpus / "site").exists()


def test_an_unreachable_site_exits_12(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = fetch_cli(corpus, "http://127.0.0.1:9/sitemap.xml", "--timeout", "2")

    captured = capsys.readouterr()
    assert code == 12
    assert "error: nothing fetched: no source could be read" in captured.err
    assert "robots.txt could not be read (network error" in captured.err


def test_a_source_that_is_not_a_listing_or_a_page_exits_12(
    corpus: Path, server: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = fetch_cli(corpus, server.base + PDF)

    assert code == 12
    assert "not a sitemap, a feed or an HTML page" in capsys.readouterr().err


def test_without_urls_the_sources_file_is_used(
    corpus: Path, server: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "sources.yaml").write_text(
        f"sources:\n  - url: {server.base}/sitemap.xml\n    include: ['/en/*']\n",
        encoding="utf-8",
    )

    code = fetch_cli(corpus)

    assert code == 0
    assert page_file(corpus, server, EN_BENIN).exists()
    assert not page_file(corpus, server, ARTICLES[2]).exists()  # French: left out


def test_without_urls_or_sources_file_exits_12_saying_what_to_do(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fetch_cli(corpus) == 12
    assert "no URL given and no sources file" in capsys.readouterr().err


def test_json_report_shape(
    corpus: Path, server: SiteServer, site: FixtureSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site.pages[EN_BURUNDI] = Page(b"oops", status=500, content_type="text/plain")

    code = fetch_cli(corpus, server.base + "/sitemap.xml", "--json")

    report = json.loads(capsys.readouterr().out)
    assert code == report["exit_code"] == 1
    assert set(report) == {
        "corpus",
        "exit_code",
        "counts",
        "not_requested",
        "requests",
        "bytes_received",
        "seconds",
        "sources",
        "new",
        "changed",
        "unchanged",
        "removed",
        "failed",
        "skipped",
        "warnings",
    }
    assert report["corpus"] == str(corpus.resolve())
    assert report["counts"] == {
        "new": 4,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
        "failed": 1,
        "skipped": 2,
    }
    assert report["sources"] == [
        {
            "url": server.base + "/sitemap.xml",
            "kind": "sitemap index",
            "pages": 7,
            "sitemaps": 3,
            "errors": [],
        }
    ]
    assert report["failed"] == [
        {"url": server.base + EN_BURUNDI, "reason": "HTTP 500 Internal Server Error", "path": None}
    ]
    benin = next(e for e in report["new"] if e["url"] == server.base + EN_BENIN)
    host = f"127.0.0.1_{server.port}"
    assert benin == {
        "url": server.base + EN_BENIN,
        "reason": None,
        "path": f"site/{host}/en/news/teachers-health-benin.html",
    }
    assert report["requests"] == 10  # robots.txt, 3 sitemaps, 6 pages


def test_json_report_of_nothing_usable_says_exit_code_12(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = fetch_cli(corpus, "http://127.0.0.1:9/sitemap.xml", "--json")

    report = json.loads(capsys.readouterr().out)
    assert code == report["exit_code"] == 12
    assert report["sources"][0]["kind"] is None


def test_a_fetch_while_another_runs_on_the_corpus_exits_3(
    corpus: Path, server: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(corpus).lock():
        code = fetch_cli(corpus, server.base + "/sitemap.xml")

    assert code == 3
    assert f"another fetch is running on {corpus.resolve()} (pid {os.getpid()})" in (
        capsys.readouterr().err
    )
    assert server.requests == {}


def test_the_user_agent_setting_reaches_the_site_and_robots_groups(
    corpus: Path,
    server: SiteServer,
    site: FixtureSite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site.robots = "User-agent: NewsBot\nDisallow: /es/\n"
    monkeypatch.setenv("SEARCH_FETCH_USER_AGENT", "NewsBot")
    monkeypatch.setenv("SEARCH_FETCH_CONTACT_URL", "https://example.org/about-the-bot")

    assert fetch_cli(corpus, server.base + "/sitemap.xml") == 0

    agent = server.request_headers[EN_BENIN][0]["user-agent"]
    assert agent == "NewsBot/0.1.0 (+https://example.org/about-the-bot)"
    assert server.requests["/es/noticias/proteccion-social-en-colombia/"] == 0


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--delay", "-1", "--delay -1 is not valid: expected a number of at least 0"),
        ("--timeout", "0", "--timeout 0 is not valid: expected a number greater than 0"),
        ("--delay", "soon", "--delay soon is not valid: expected a number"),
    ],
)
def test_a_bad_delay_or_timeout_is_a_bad_setting_named_as_written(
    corpus: Path, option: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["corpus", "fetch", "--corpus", str(corpus), option, value, "https://x.org/"])

    assert code == 9
    assert expected in capsys.readouterr().err
    assert not (corpus / "site").exists()


def test_a_page_size_limit_above_the_largest_page_the_ingest_reads_is_refused(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEARCH_FETCH_MAX_PAGE_BYTES", str(MAX_PAGE_BYTES + 1))

    code = main(["corpus", "fetch", "--corpus", str(corpus), "https://x.org/"])

    assert code == 9
    assert (
        f"SEARCH_FETCH_MAX_PAGE_BYTES={MAX_PAGE_BYTES + 1} is not valid: "
        f"expected an integer from 1024 to {MAX_PAGE_BYTES}"
    ) in capsys.readouterr().err
    assert not (corpus / "site").exists()


@pytest.mark.slow
def test_a_fetch_killed_mid_save_leaves_the_old_page_whole(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    assert fetch_cli(corpus, server.base + "/sitemap.xml") == 0
    old = {path: page_file(corpus, server, path).read_bytes() for path in ARTICLES}
    sidecars = {
        path: page_file(corpus, server, path).with_name(
            page_file(corpus, server, path).name + ".fetch.json"
        )
        for path in ARTICLES
    }
    old_sidecars = {path: sidecar.read_bytes() for path, sidecar in sidecars.items()}
    new = site.add_article(EN_BENIN, "en", "Teachers' health insurance", "2024-02-01", ["New."])

    command = ["corpus", "fetch", "--corpus", str(corpus), "--delay", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "search_service", *command, server.base + "/sitemap.xml"],
        cwd=REPO_ROOT,
        env={**os.environ, "SEARCH_TEST_FETCH_SAVE_PAUSE": "60"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(path.stat().st_size > 0 for path in corpus.rglob("*.fetch-tmp")):
            assert process.poll() is None, "the fetch ended before it saved anything"
            assert time.monotonic() < deadline, "no half-written temporary file appeared"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    for path in ARTICLES:
        assert page_file(corpus, server, path).read_bytes() == old[path], path
        assert sidecars[path].read_bytes() == old_sidecars[path], path

    assert fetch_cli(corpus, server.base + "/sitemap.xml") == 0
    assert page_file(corpus, server, EN_BENIN).read_bytes() == new.body
    assert list(corpus.rglob("*.fetch-tmp")) == []
