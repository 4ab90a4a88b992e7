"""A fetch of the fixture site on loopback: what is asked for, saved, kept and removed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from search_service.fetch.run import fetch_site
from search_service.fetch.sources import Source
from search_service.ingest.corpus import ingest_corpus
from search_service.settings import MAX_PAGE_BYTES

from .conftest import (
    ARTICLES,
    EN_BENIN,
    EN_BURUNDI,
    EN_PRIVATE,
    ES_COLOMBIA,
    FR_LATIN1,
    FR_SENEGAL,
    OPTIONS,
    PDF,
    fetch,
    page_file,
    sidecar_of,
    urls,
)
from .site import FixtureSite, Page, SiteServer


def test_every_listed_page_is_fetched_once_and_saved_with_its_sidecar(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    report = fetch(corpus, server)

    assert urls(report, "new", server) == set(ARTICLES)
    for path in ARTICLES:
        assert server.requests[path] == 1, path
        assert page_file(corpus, server, path).read_bytes() == site.pages[path].body
        sidecar = sidecar_of(corpus, server, path)
        assert sidecar["url"] == sidecar["final_url"] == server.base + path
        assert sidecar["status"] == 200
        assert sidecar["etag"] == site.pages[path].etag
        assert sidecar["last_modified"] == "Mon, 05 Feb 2024 10:00:00 GMT"
        assert sidecar["content_type"] == site.pages[path].content_type
        fetched_at = dt.datetime.fromisoformat(sidecar["fetched_at"])
        assert abs(dt.datetime.now(dt.UTC) - fetched_at) < dt.timedelta(minutes=5)
    assert not any("utm_" in target or "fbclid" in target for target in server.targets)
    assert report.exit_status == 0
    assert [source.kind for source in report.sources] == ["sitemap index", "feed"]
    assert report.sources[0].sitemaps == 3


def test_pages_are_saved_under_site_host_and_path(corpus: Path, server: SiteServer) -> None:
    fetch(corpus, server)

    host = f"127.0.0.1_{server.port}"
    saved = sorted(
        path.relative_to(corpus).as_posix()
        for path in corpus.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )
    assert f"site/{host}/en/news/teachers-health-benin.html" in saved
    assert f"site/{host}/en/news/teachers-health-benin.html.fetch.json" in saved
    assert f"site/{host}/es/noticias/proteccion-social-en-colombia.html" in saved
    assert len(saved) == 2 * len(ARTICLES)


def test_the_ingest_reads_or_knows_every_file_a_fetch_leaves_in_the_corpus(
    corpus: Path, server: SiteServer
) -> None:
    (corpus / "sources.yaml").write_text(f"sources:\n  - url: {server.base}/sitemap.xml\n")
    fetch(corpus, server)

    result = ingest_corpus(corpus)

    assert result.not_read == []
    assert result.files_read == len(ARTICLES)
    assert {article.url for article in result.articles} == {server.base + path for path in ARTICLES}


def test_robots_txt_is_obeyed_disallowed_pages_are_never_requested(
    corpus: Path, server: SiteServer
) -> None:
    report = fetch(corpus, server)

    assert server.requests[EN_PRIVATE] == 0
    assert not page_file(corpus, server, EN_PRIVATE).exists()
    assert server.requests["/robots.txt"] == 1
    skipped = {e.url.removeprefix(server.base): e.reason for e in report.events["skipped"]}
    assert skipped[EN_PRIVATE] == "disallowed by robots.txt"


def test_the_user_agent_names_the_project_and_a_contact(corpus: Path, server: SiteServer) -> None:
    fetch(corpus, server)

    agent = server.request_headers[EN_BENIN][0]["user-agent"]
    assert agent == "ESN-site-search/0.1.0 (+https://example.org/contact)"


def test_robots_groups_naming_the_project_apply_to_it(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    site.robots = "User-agent: *\nDisallow: /\n\nUser-agent: ESN-site-search\nDisallow: /es/\n"

    report = fetch(corpus, server)

    assert server.requests[ES_COLOMBIA] == 0
    assert server.requests[EN_BENIN] == 1
    assert ES_COLOMBIA not in urls(report, "new", server)


def test_a_robots_txt_that_answers_5xx_stops_every_request_to_the_site(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    site.pages["/robots.txt"] = Page(b"down", status=503, content_type="text/plain")

    report = fetch(corpus, server)

    assert set(server.requests) == {"/robots.txt"}
    assert not report.usable
    assert "robots.txt could not be read (HTTP 503" in report.source_errors[0]


def test_no_robots_txt_allows_everything(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    site.pages["/robots.txt"] = Page(b"no such file", status=404, content_type="text/plain")

    fetch(corpus, server)

    assert server.requests[EN_PRIVATE] == 1


def test_a_second_fetch_is_conditional_and_downloads_only_the_changed_page(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.add_article(
        EN_BURUNDI, "en", "Mutual health in Burundi: a year of progress", "2024-01-15", ["New."]
    )
    server.reset_counts()

    report = fetch(corpus, server)

    assert urls(report, "changed", server) == {EN_BURUNDI}
    assert urls(report, "unchanged", server) == set(ARTICLES) - {EN_BURUNDI}
    assert urls(report, "new", server) == set()
    for path in ARTICLES:
        assert server.requests[path] == 1, path
        assert server.request_headers[path][0].get("if-none-match"), path
    assert {path: server.bodies[path] for path in ARTICLES} == {
        path: int(path == EN_BURUNDI) for path in ARTICLES
    }
    assert sum(server.not_modified.values()) == len(ARTICLES) - 1
    assert page_file(corpus, server, EN_BURUNDI).read_bytes() == site.pages[EN_BURUNDI].body


def test_a_site_without_validators_gets_plain_requests_and_identical_pages_stay_unchanged(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    for page in site.pages.values():
        page.conditional = False
    fetch(corpus, server)
    server.reset_counts()

    report = fetch(corpus, server)

    assert urls(report, "unchanged", server) == set(ARTICLES)
    assert "if-none-match" not in server.request_headers[EN_BENIN][0]


def test_a_page_older_than_our_copy_by_its_sitemap_date_is_not_asked_for(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.lastmods[EN_BENIN] = "2020-01-01"
    site.lastmods[EN_BURUNDI] = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    server.reset_counts()

    report = fetch(corpus, server)

    assert server.requests[EN_BENIN] == 0
    assert server.requests[EN_BURUNDI] == 1
    assert report.not_requested == 1
    assert EN_BENIN in urls(report, "unchanged", server)


def test_revalidate_asks_for_every_page_whatever_its_sitemap_date(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.lastmods[EN_BENIN] = "2020-01-01"
    server.reset_counts()

    report = fetch(corpus, server, revalidate=True)

    assert server.requests[EN_BENIN] == 1
    assert report.not_requested == 0


def test_server_errors_timeouts_and_429_never_delete_a_saved_page(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    saved = {path: page_file(corpus, server, path).read_bytes() for path in ARTICLES}
    site.pages[EN_BENIN] = Page(b"oops", status=500, content_type="text/plain")
    site.pages[EN_BURUNDI] = Page(b"slow down", status=429, content_type="text/plain")
    site.pages[FR_SENEGAL] = Page(b"", stall=True)
    site.pages[ES_COLOMBIA] = Page(b"<html>" + b"x" * 5000, cut_after=100)

    report = fetch(corpus, server, timeout=1.0)

    failed = {e.url.removeprefix(server.base): e.reason for e in report.events["failed"]}
    assert failed[EN_BENIN] == "HTTP 500 Internal Server Error; the saved copy is kept"
    assert failed[EN_BURUNDI] == "HTTP 429 Too Many Requests; the saved copy is kept"
    assert str(failed[FR_SENEGAL]).startswith("timed out after 1 s")
    assert str(failed[ES_COLOMBIA]).startswith("network error")
    for path in ARTICLES:
        assert page_file(corpus, server, path).read_bytes() == saved[path], path
    assert report.events["removed"] == []
    assert report.exit_status == 1


def test_404_and_410_remove_the_saved_page_and_its_sidecar(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.pages[EN_BENIN] = Page(b"gone", status=404, content_type="text/plain")
    site.pages[ES_COLOMBIA] = Page(b"gone", status=410, content_type="text/plain")

    report = fetch(corpus, server)

    removed = {e.url.removeprefix(server.base): e.reason for e in report.events["removed"]}
    assert removed == {EN_BENIN: "HTTP 404 Not Found", ES_COLOMBIA: "HTTP 410 Gone"}
    for path in (EN_BENIN, ES_COLOMBIA):
        file = page_file(corpus, server, path)
        assert not file.exists()
        assert not file.with_name(file.name + ".fetch.json").exists()
    assert not (page_file(corpus, server, ES_COLOMBIA).parent).exists()  # empty folder gone
    assert report.exit_status == 0


def test_a_listed_page_that_never_existed_is_a_failure(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    site.sitemap_en.append("/en/news/missing/")

    report = fetch(corpus, server)

    failed = {e.url.removeprefix(server.base): e.reason for e in report.events["failed"]}
    assert failed == {"/en/news/missing/": "HTTP 404 Not Found"}
    assert report.exit_status == 1


def test_a_page_removed_from_the_sitemap_is_removed_from_the_corpus(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.sitemap_more.remove(ES_COLOMBIA)
    server.reset_counts()

    report = fetch(corpus, server)

    assert server.requests[ES_COLOMBIA] == 0
    removed = {e.url.removeprefix(server.base): e.reason for e in report.events["removed"]}
    assert removed == {ES_COLOMBIA: "no longer listed by the sources"}
    assert not page_file(corpus, server, ES_COLOMBIA).exists()
    assert page_file(corpus, server, EN_BENIN).exists()


def test_a_page_the_patterns_now_leave_out_is_removed(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)

    report = fetch(
        corpus, server, sources=[Source(url=server.base + "/sitemap.xml", exclude=("/es/*",))]
    )

    removed = {e.url.removeprefix(server.base): e.reason for e in report.events["removed"]}
    assert removed == {ES_COLOMBIA: "left out by the source's include/exclude patterns"}


def test_nothing_is_removed_for_absence_when_a_sitemap_could_not_be_read(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)
    site.pages["/sitemap-more.xml.gz"] = Page(b"down", status=500, content_type="text/plain")

    report = fetch(corpus, server)

    assert report.events["removed"] == []
    for path in ARTICLES:
        assert page_file(corpus, server, path).exists(), path
    assert report.source_errors == [
        f"{server.base}/sitemap-more.xml.gz: HTTP 500 Internal Server Error"
    ]
    assert report.exit_status == 1


def test_leaving_a_feed_removes_nothing(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server, "/feed/")
    site.feed = [EN_BURUNDI]

    report = fetch(corpus, server, "/feed/")

    assert report.events["removed"] == []
    assert page_file(corpus, server, EN_BENIN).exists()


def test_include_and_exclude_patterns_choose_the_pages(corpus: Path, server: SiteServer) -> None:
    source = Source(
        url=server.base + "/sitemap.xml", include=("/en/*", "/fr/*"), exclude=("*/sante-des-*",)
    )

    report = fetch(corpus, server, sources=[source])

    assert urls(report, "new", server) == {EN_BENIN, EN_BURUNDI, FR_LATIN1}
    assert server.requests[ES_COLOMBIA] == server.requests[FR_SENEGAL] == 0


def test_a_same_site_redirect_saves_the_page_once_under_its_final_url(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    old, new = "/en/news/old-address/", "/en/news/new-address/"
    site.add_article(new, "en", "A page that moved", "2024-01-02", ["It moved here."])
    site.pages[old] = Page(
        b"moved", status=301, content_type="text/plain", headers={"Location": new}
    )
    site.sitemap_en += [old, new]

    report = fetch(corpus, server)

    assert server.requests[old] == server.requests[new] == 1
    assert urls(report, "new", server) == set(ARTICLES) | {old}
    sidecar = sidecar_of(corpus, server, new)
    assert sidecar["url"] == server.base + old
    assert sidecar["final_url"] == server.base + new
    assert not page_file(corpus, server, old).exists()
    skipped = {e.url.removeprefix(server.base): e.reason for e in report.events["skipped"]}
    assert skipped[new] == f"the same page as {server.base}{old}"


def test_a_redirect_to_another_site_is_not_followed(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    away = "/en/news/moved-away/"
    elsewhere = f"http://localhost:{server.port}/en/news/elsewhere/"
    site.pages[away] = Page(
        b"moved", status=302, content_type="text/plain", headers={"Location": elsewhere}
    )
    site.sitemap_en.append(away)

    report = fetch(corpus, server)

    assert server.requests["/en/news/elsewhere/"] == 0
    failed = {e.url.removeprefix(server.base): e.reason for e in report.events["failed"]}
    assert failed[away] == f"redirected to {elsewhere}: not on the sources' sites"


def test_too_many_redirects_is_a_failure(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    for number in range(4):
        site.pages[f"/loop/{number}/"] = Page(
            b"", status=302, content_type="text/plain", headers={"Location": f"/loop/{number + 1}/"}
        )
    site.sitemap_en.append("/loop/0/")

    report = fetch(corpus, server, max_redirects=2)

    failed = {e.url.removeprefix(server.base): e.reason for e in report.events["failed"]}
    assert failed["/loop/0/"] == "more than 2 redirects"
    assert server.requests["/loop/3/"] == 0


def test_pages_on_other_sites_or_other_schemes_are_never_requested(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    elsewhere = f"http://localhost:{server.port}/en/news/elsewhere/"
    site.feed += [elsewhere, "mailto:editor@example.org", f"ftp://127.0.0.1:{server.port}/a"]

    report = fetch(corpus, server)

    assert server.requests["/en/news/elsewhere/"] == 0
    assert server.requests["/a"] == 0
    skipped = {e.url: e.reason for e in report.events["skipped"]}
    assert skipped[elsewhere] == "not on the sources' sites"
    assert skipped["mailto:editor@example.org"] == (
        "not a usable URL: the scheme 'mailto' is not fetched (only http and https)"
    )
    assert skipped[f"ftp://127.0.0.1:{server.port}/a"] == (
        "not a usable URL: the scheme 'ftp' is not fetched (only http and https)"
    )


def test_a_huge_page_is_cut_at_the_size_limit_and_not_saved(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    huge, announced = "/en/news/huge/", "/en/news/huge-announced/"
    site.pages[huge] = Page(stream_bytes=40_000_000)
    site.pages[announced] = Page(b"<html>" + b"x" * 300_000)
    site.sitemap_en += [huge, announced]

    report = fetch(corpus, server, max_page_bytes=100_000)

    failed = {e.url.removeprefix(server.base): e.reason for e in report.events["failed"]}
    assert failed[huge] == ("larger than the limit of 100000 bytes; download cut there, not saved")
    assert failed[announced] == (
        "larger than the limit of 100000 bytes (300006 bytes announced); not downloaded"
    )
    assert not page_file(corpus, server, huge).exists()
    assert not page_file(corpus, server, announced).exists()
    assert server.bytes_sent[huge] < 40_000_000  # the client hung up long before the end
    assert report.bytes_received < 5_000_000


TEXT = (
    "Teachers' unions and health mutuals met in Lomé to share what they learned from a "
    "year of prevention campaigns in schools, and agreed on the next steps together."
)


def test_a_page_as_large_as_the_fetch_may_save_is_read_by_the_ingest(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    largest, over = "/en/news/largest/", "/en/news/over/"
    for path, size in ((largest, MAX_PAGE_BYTES), (over, MAX_PAGE_BYTES + 1)):
        page = site.add_article(path, "en", "A page padded to a size", "2024-03-01", [TEXT])
        padding = b"<!--" + b"x" * (size - len(page.body) - 7) + b"-->"
        page.body = page.body.replace(b"</body>", padding + b"</body>", 1)
        assert len(page.body) == size
    site.sitemap_en += [largest, over]

    report = fetch(corpus, server, max_page_bytes=MAX_PAGE_BYTES)

    assert server.base + largest in {event.url for event in report.events["new"]}
    assert server.base + over in {event.url for event in report.events["failed"]}
    result = ingest_corpus(corpus)
    assert server.base + largest in {article.url for article in result.articles}
    assert [p for p in result.problems if p.code == "page_too_large"] == []


def test_a_pdf_is_reported_as_skipped_and_not_saved(corpus: Path, server: SiteServer) -> None:
    report = fetch(corpus, server)

    skipped = {e.url.removeprefix(server.base): e.reason for e in report.events["skipped"]}
    assert skipped[PDF] == "not an HTML page (application/pdf)"
    assert not page_file(corpus, server, PDF).exists()
    assert not any(path.suffix == ".pdf" for path in corpus.rglob("*"))


def test_a_latin1_page_without_a_charset_header_is_saved_byte_for_byte(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    fetch(corpus, server)

    saved = page_file(corpus, server, FR_LATIN1).read_bytes()
    assert saved == site.pages[FR_LATIN1].body
    assert "Éducation à la santé".encode("latin-1") in saved
    assert sidecar_of(corpus, server, FR_LATIN1)["content_type"] == "text/html"


def test_a_page_given_as_the_source_is_fetched_once(
    corpus: Path, server: SiteServer, site: FixtureSite
) -> None:
    report = fetch(corpus, server, EN_BENIN)
    assert urls(report, "new", server) == {EN_BENIN}
    assert server.requests[EN_BENIN] == 1
    assert report.sources[0].kind == "page"
    server.reset_counts()

    again = fetch(corpus, server, EN_BENIN)

    assert urls(again, "unchanged", server) == {EN_BENIN}
    assert server.requests[EN_BENIN] == server.not_modified[EN_BENIN] == 1


def test_an_unreachable_site_gives_nothing_usable(corpus: Path) -> None:
    report = fetch_site(corpus, [Source(url="http://127.0.0.1:9/sitemap.xml")], OPTIONS)

    assert not report.usable
    assert "robots.txt could not be read (network error" in report.source_errors[0]
