"""From a source URL to the pages it lists: sitemaps, sitemap indexes, feeds, or a page.

A source is recognised by what it sends, not by its name: XML whose root is
`urlset` (a sitemap) or `sitemapindex` (a sitemap index, its sitemaps read in
turn), gzipped or not; an RSS or Atom feed (read by feedparser); a plain-text
sitemap (one URL a line); or an HTML page, which is then the one page of that
source. Sitemap XML is parsed by lxml with entities, DTDs and the network off.

A sitemap's `<lastmod>` (an Atom entry's `<updated>`; RSS has no such date) comes along
with each URL as the latest moment the page may have changed: a date without
a time counts as the end of that day anywhere on Earth, so a page changed later
the same day is never taken for unchanged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import feedparser
import httpx
from lxml import etree

from search_service.fetch.client import Client, FetchFailure, Response
from search_service.fetch.sources import Source
from search_service.fetch.urls import InvalidUrlError, normalise_url

#: The sitemap protocol's own limit for one sitemap, uncompressed.
MAX_LISTING_BYTES: Final = 50 * 1024 * 1024
#: Sitemap indexes nest at most this deep (an index of indexes of sitemaps).
MAX_SITEMAP_DEPTH: Final = 3
#: Sitemaps read from one source at most.
MAX_SITEMAPS: Final = 1000
#: Latest offset from UTC (UTC-12): a date's last moment anywhere is 12 h past its UTC end.
_LATEST_OFFSET: Final = dt.timedelta(hours=12)
_HTML_START: Final = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)", re.I | re.S
)
_GZIP_MAGIC: Final = b"\x1f\x8b"

Kind = Literal["sitemap", "sitemap index", "feed", "page"]
Permit = Callable[[str], str | None]


@dataclass(frozen=True)
class Listed:
    """A page URL a source gave, with the latest moment it changed (when the source said)."""

    url: str
    lastmod: dt.datetime | None
    source: Source


@dataclass
class Listing:
    """What one source gave: page URLs, and what went wrong on the way."""

    source: Source
    kind: Kind | None = None
    pages: list[Listed] = field(default_factory=list)
    page: Response | None = None
    """The source's own answer when the source is a page (fetched once, not twice)."""
    errors: list[str] = field(default_factory=list)
    """Why the source, or one of its sitemaps, could not be read (the listing is partial)."""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """Entries that are not URLs the fetch can use, and why."""
    sitemaps_read: int = 0

    @property
    def read(self) -> bool:
        """Whether the source gave anything at all."""
        return self.kind is not None

    @property
    def complete(self) -> bool:
        """Read in full: every sitemap it leads to was read."""
        return self.read and not self.errors


@dataclass(frozen=True)
class Parsed:
    """A listing's body, understood."""

    kind: Kind | None
    entries: list[tuple[str, dt.datetime | None]]


def read_source(
    source: Source,
    client: Client,
    permit: Permit,
    body_limit: int,
) -> Listing:
    """Fetch a source and, for a sitemap index, every sitemap it names (depth first)."""
    listing = Listing(source)
    refusal = permit(source.url)
    if refusal is not None:
        listing.errors.append(f"{source.url}: {refusal}")
        return listing
    queue: list[tuple[str, int]] = [(source.url, 0)]
    seen = {source.url}
    while queue:
        url, depth = queue.pop(0)
        if listing.sitemaps_read >= MAX_SITEMAPS:
            listing.errors.append(f"more than {MAX_SITEMAPS} sitemaps; the rest were not read")
            break
        is_source = url == source.url
        try:
            response = client.get(
                url,
                max_bytes=max(body_limit, MAX_LISTING_BYTES),
                permit=permit,
                headers={"Accept": ACCEPT_LISTING},
            )
        except FetchFailure as failure:
            listing.errors.append(f"{url}: {failure.reason}")
            continue
        if response.status != 200 or response.body is None:
            listing.errors.append(f"{url}: {response.status_text}")
            continue
        try:
            parsed = parse_listing(response.body, response.url, response.headers)
        except ListingError as error:
            listing.errors.append(f"{url}: {error}")
            continue
        if parsed.kind is None:
            listing.errors.append(f"{url}: not a sitemap, a feed or an HTML page")
            continue
        if parsed.kind == "page":
            if not is_source:
                listing.errors.append(f"{url}: a sitemap index names an HTML page")
                continue
            if response.truncated or len(response.body) > body_limit:
                listing.errors.append(f"{url}: larger than the limit of {body_limit} bytes")
                continue
            listing.kind = "page"
            listing.page = response
            listing.pages.append(Listed(source.url, None, source))
            continue
        listing.sitemaps_read += 1
        if listing.kind is None:
            listing.kind = parsed.kind
        for raw, lastmod in parsed.entries:
            try:
                entry = normalise_url(raw, base=response.url)
            except InvalidUrlError as error:
                listing.rejected.append((raw, error.reason))
                continue
            if parsed.kind != "sitemap index":
                listing.pages.append(Listed(entry, lastmod, source))
            elif depth + 1 >= MAX_SITEMAP_DEPTH:
                listing.errors.append(f"{entry}: sitemap indexes nested too deep")
            elif entry not in seen:
                seen.add(entry)
                queue.append((entry, depth + 1))
    return listing


def read_sitemaps(
    source: Source,
    sitemaps: list[str],
    client: Client,
    permit: Permit,
    body_limit: int,
) -> Listing:
    """A source that is a site's robots.txt: the sitemaps it names, read as one index."""
    listing = Listing(source)
    if not sitemaps:
        listing.errors.append(f"{source.url}: names no sitemap (no Sitemap: line)")
    for raw in sitemaps:
        try:
            url = normalise_url(raw, base=source.url)
        except InvalidUrlError as error:
            listing.rejected.append((raw, error.reason))
            continue
        part = read_source(source.model_copy(update={"url": url}), client, permit, body_limit)
        if part.kind is not None:
            listing.kind = "sitemap index"
        listing.pages += [Listed(entry.url, entry.lastmod, source) for entry in part.pages]
        listing.errors += part.errors
        listing.rejected += part.rejected
        listing.sitemaps_read += part.sitemaps_read
    return listing


ACCEPT_LISTING: Final = (
    "application/xml, text/xml;q=0.9, application/rss+xml, application/atom+xml, "
    "text/html;q=0.8, */*;q=0.5"
)


class ListingError(ValueError):
    """A listing's body that cannot be read (bad gzip, over the size limit)."""


def parse_listing(body: bytes, url: str, headers: httpx.Headers | None = None) -> Parsed:
    """What a source's body is, and the URLs (with lastmod) it lists."""
    if body.startswith(_GZIP_MAGIC):
        body = gunzip(body, MAX_LISTING_BYTES)
    content_type = (headers or httpx.Headers()).get("content-type", "").lower()
    if _HTML_START.match(body[:4096]):
        return Parsed("page", [])
    root = _xml_root(body)
    name = etree.QName(root).localname.lower() if root is not None else None
    if name == "urlset":
        return Parsed("sitemap", _sitemap_entries(root, "url"))
    if name == "sitemapindex":
        return Parsed("sitemap index", _sitemap_entries(root, "sitemap"))
    if name in ("rss", "feed", "rdf"):
        return Parsed("feed", _feed_entries(body, url))
    if name == "html" or "html" in content_type:
        return Parsed("page", [])
    if content_type.startswith("text/plain"):
        lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
        urls = [line for line in lines if line]
        if urls and all(line.lower().startswith(("http://", "https://")) for line in urls):
            return Parsed("sitemap", [(line, None) for line in urls])
    return Parsed(None, [])


def gunzip(data: bytes, limit: int) -> bytes:
    """A gzipped body, decompressed up to `limit` bytes (a bigger one is refused)."""
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        result = decompressor.decompress(data, limit + 1)
    except zlib.error as error:
        raise ListingError(f"not valid gzip data ({error})") from error
    if len(result) > limit:
        raise ListingError(f"larger than {limit} bytes once decompressed")
    return result


def _xml_root(body: bytes) -> Any:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _sitemap_entries(root: Any, entry_name: str) -> list[tuple[str, dt.datetime | None]]:
    entries = []
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).localname != entry_name:
            continue
        loc = lastmod = None
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = parse_lastmod(child.text or "")
        if loc:
            entries.append((loc, lastmod))
    return entries


def _feed_entries(body: bytes, url: str) -> list[tuple[str, dt.datetime | None]]:
    feed = feedparser.parse(body, response_headers={"content-location": url})
    entries = []
    for entry in feed.entries:
        link = entry.get("link")
        if not link:
            continue
        # Only a modification date (Atom's <updated>): RSS's pubDate says when the
        # article came out, not when it last changed. dict.get: FeedParserDict's own
        # get falls back to "published" (with a DeprecationWarning).
        when = dict.get(entry, "updated_parsed")
        lastmod = (
            dt.datetime.fromtimestamp(calendar.timegm(when), dt.UTC) if when is not None else None
        )
        entries.append((str(link), lastmod))
    return entries


def parse_lastmod(text: str) -> dt.datetime | None:
    """The latest moment a W3C datetime (`2024`, `2024-05`, `2024-05-01`, with a time
    and zone or not) can mean, in UTC; None when it is not one."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            end = dt.datetime(int(text) + 1, 1, 1, tzinfo=dt.UTC)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = map(int, text.split("-"))
            end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            end = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                return moment.replace(tzinfo=dt.UTC) + _LATEST_OFFSET
            return moment.astimezone(dt.UTC)
    except ValueError:
        return None
    return end + _LATEST_OFFSET
