"""What a source's body is, and the pages (with dates) it lists."""

from __future__ import annotations

import datetime as dt
import gzip

import httpx
import pytest

from search_service.fetch.discover import (
    MAX_LISTING_BYTES,
    ListingError,
    gunzip,
    parse_lastmod,
    parse_listing,
)

BASE = "https://www.site.org"
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://www.site.org/en/a/</loc><lastmod>2024-02-05T10:30:00+01:00</lastmod>
    <image:image><image:loc>https://www.site.org/a.jpg</image:loc></image:image></url>
  <url><loc> https://www.site.org/fr/b/ </loc></url>
  <url><lastmod>2024-01-01</lastmod></url>
</urlset>"""


def test_a_sitemap_gives_its_urls_with_their_lastmod() -> None:
    parsed = parse_listing(SITEMAP, BASE + "/sitemap.xml")

    assert parsed.kind == "sitemap"
    assert parsed.entries == [
        ("https://www.site.org/en/a/", dt.datetime(2024, 2, 5, 9, 30, tzinfo=dt.UTC)),
        ("https://www.site.org/fr/b/", None),
    ]


def test_a_gzipped_sitemap_is_read_like_a_plain_one() -> None:
    assert parse_listing(gzip.compress(SITEMAP), BASE + "/s.xml.gz") == parse_listing(
        SITEMAP, BASE + "/s.xml"
    )


def test_a_sitemap_index_lists_sitemaps() -> None:
    body = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://www.site.org/post-sitemap.xml</loc>"
        b"<lastmod>2024-02-05</lastmod></sitemap>"
        b"<sitemap><loc>https://www.site.org/page-sitemap.xml.gz</loc></sitemap>"
        b"</sitemapindex>"
    )

    parsed = parse_listing(body, BASE + "/sitemap.xml")

    assert parsed.kind == "sitemap index"
    assert [url for url, _ in parsed.entries] == [
        "https://www.site.org/post-sitemap.xml",
        "https://www.site.org/page-sitemap.xml.gz",
    ]


def test_an_rss_feed_gives_its_links_and_no_date_from_pubdate() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        b"<item><link>https://www.site.org/en/a/?utm_source=rss</link>"
        b"<pubDate>Mon, 05 Feb 2024 09:00:00 +0000</pubDate></item>"
        b"<item><link>/fr/b/</link></item>"
        b"<item><title>no link</title></item>"
        b"</channel></rss>"
    )

    parsed = parse_listing(body, BASE + "/feed/")

    assert parsed.kind == "feed"
    assert parsed.entries == [
        ("https://www.site.org/en/a/?utm_source=rss", None),
        ("https://www.site.org/fr/b/", None),
    ]


def test_an_atom_feed_gives_its_links_with_their_updated_date() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>News</title><id>urn:x</id><updated>2024-02-05T10:00:00Z</updated>"
        b'<entry><title>A</title><id>urn:a</id><link href="https://www.site.org/en/a/"/>'
        b"<updated>2024-02-04T08:00:00Z</updated></entry></feed>"
    )

    parsed = parse_listing(body, BASE + "/feed/atom/")

    assert parsed.kind == "feed"
    assert parsed.entries == [
        ("https://www.site.org/en/a/", dt.datetime(2024, 2, 4, 8, tzinfo=dt.UTC))
    ]


def test_an_html_page_is_a_page_whatever_its_content_type() -> None:
    page = b"<!DOCTYPE html>\n<html lang='en'><head><title>A</title></head><body></body></html>"

    assert parse_listing(page, BASE + "/en/a/").kind == "page"
    assert parse_listing(b"<p>hi</p>", BASE, httpx.Headers({"content-type": "text/html"})).kind == (
        "page"
    )


def test_a_plain_text_sitemap_lists_one_url_a_line() -> None:
    body = b"https://www.site.org/en/a/\n\nhttps://www.site.org/fr/b/\n"
    headers = httpx.Headers({"content-type": "text/plain; charset=utf-8"})

    parsed = parse_listing(body, BASE + "/sitemap.txt", headers)

    assert parsed.kind == "sitemap"
    assert [url for url, _ in parsed.entries] == [
        "https://www.site.org/en/a/",
        "https://www.site.org/fr/b/",
    ]


def test_anything_else_is_no_listing() -> None:
    assert parse_listing(b"%PDF-1.4", BASE + "/a.pdf").kind is None
    assert parse_listing(b"<other/>", BASE + "/a.xml").kind is None
    assert parse_listing(b"just words", BASE + "/a.txt").kind is None


def test_xml_entities_are_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://www.site.org/&c;</loc></url>"
        b"<url><loc>https://www.site.org/&e;</loc></url></urlset>"
    )

    parsed = parse_listing(bomb, BASE + "/sitemap.xml")

    assert all("aaaa" not in url and "root:" not in url for url, _ in parsed.entries)


def test_a_gzip_bomb_is_refused_at_the_sitemap_size_limit() -> None:
    bomb = gzip.compress(b"<" + b" " * (MAX_LISTING_BYTES + 10))

    with pytest.raises(ListingError, match="larger than"):
        parse_listing(bomb, BASE + "/sitemap.xml.gz")


def test_broken_gzip_is_a_listing_error() -> None:
    with pytest.raises(ListingError, match="not valid gzip data"):
        gunzip(b"\x1f\x8bnot gzip at all", 1000)


@pytest.mark.parametrize(
    ("text", "latest"),
    [
        ("2024-02-05T10:30:00+01:00", dt.datetime(2024, 2, 5, 9, 30, tzinfo=dt.UTC)),
        ("2024-02-05T10:30:00Z", dt.datetime(2024, 2, 5, 10, 30, tzinfo=dt.UTC)),
        ("2024-02-05T10:30:00.123+00:00", dt.datetime(2024, 2, 5, 10, 30, 0, 123000, dt.UTC)),
        # A date only: its last moment anywhere (UTC-12), so a change that day is not missed.
        ("2024-02-05", dt.datetime(2024, 2, 6, 12, tzinfo=dt.UTC)),
        ("2024-02", dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)),
        ("2024-12", dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)),
        ("2024", dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)),
        ("2024-02-05T10:30:00", dt.datetime(2024, 2, 5, 22, 30, tzinfo=dt.UTC)),
        ("yesterday", None),
        ("2024-13-01", None),
        ("", None),
    ],
)
def test_lastmod_is_the_latest_moment_it_can_mean(text: str, latest: dt.datetime | None) -> None:
    assert parse_lastmod(text) == latest
