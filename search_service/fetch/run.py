"""One fetch run: read the sources, fetch each listed page once, keep the corpus current.

The steps, in order:

1. the sources are read (`discover`): the pages they list, with their sitemap
   dates; each page URL is normalised and kept once (`urls.page_key`), and only
   if it is on one of the sources' sites, wanted by its source's patterns and
   allowed by robots.txt;
2. each page is asked for once, conditionally when a copy is saved (its ETag and
   Last-Modified), or not at all when its sitemap date is older than our copy;
   what comes back decides its fate: saved (new, changed), confirmed
   (unchanged), removed (404, 410), or kept as it was (any failure);
3. saved pages that the sources no longer list are removed, but only when the
   sources include a sitemap and every source was read in full: a feed lists
   only the latest items, and a sitemap that could not be read proves nothing.

Nothing is removed on a timeout, a 429, a 5xx or a network error.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx

from search_service import __version__
from search_service.fetch.client import Client, ClientSettings, FetchFailure, Response
from search_service.fetch.discover import Listed, Listing, read_sitemaps, read_source
from search_service.fetch.report import FetchReport, Outcome, SourceSummary
from search_service.fetch.robots import Robots
from search_service.fetch.sources import Source
from search_service.fetch.store import SavedPage, Sidecar, Store
from search_service.fetch.urls import page_key, site_of
from search_service.settings import MAX_PAGE_BYTES, Settings

HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
ACCEPT_HTML: Final = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
GONE_STATUSES: Final = frozenset({404, 410})
BACK_OFF_STATUSES: Final = frozenset({429, 503})

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phase "sources" (sources read), then "pages" (pages done)."""


@dataclass(frozen=True)
class FetchOptions:
    """How politely and how far a run fetches (settings, overridden on the command line)."""

    delay: float = 1.0
    timeout: float = 30.0
    max_page_bytes: int = MAX_PAGE_BYTES
    max_redirects: int = 5
    user_agent: str = "ESN-site-search"
    contact_url: str = ""
    revalidate: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> FetchOptions:
        values: dict[str, object] = {
            "delay": settings.fetch_delay,
            "timeout": settings.fetch_timeout,
            "max_page_bytes": settings.fetch_max_page_bytes,
            "max_redirects": settings.fetch_max_redirects,
            "user_agent": settings.fetch_user_agent,
            "contact_url": settings.fetch_contact_url,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt groups are matched against (`ESN-site-search`)."""
        return self.user_agent.split("/", 1)[0].split()[0]

    @property
    def user_agent_header(self) -> str:
        """`ESN-site-search/0.1.0 (+https://contact)`: the project, its version, a contact."""
        agent = self.user_agent if "/" in self.user_agent else f"{self.user_agent}/{__version__}"
        return f"{agent} (+{self.contact_url})" if self.contact_url else agent


def fetch_site(
    corpus_dir: Path,
    sources: Sequence[Source],
    options: FetchOptions,
    *,
    progress: Progress | None = None,
) -> FetchReport:
    """Fetch the sources' pages into `<corpus>/site/`; the report says what happened.

    Raises only for a corpus that cannot be written or is locked by another fetch;
    an unreadable source or page is in the report.
    """
    started = time.perf_counter()
    store = Store(corpus_dir)
    report = FetchReport(corpus=Path(corpus_dir).resolve())
    with store.lock():
        store.remove_temporaries()
        saved, warnings = store.saved_pages()
        report.warnings += warnings
        settings = ClientSettings(
            user_agent=options.user_agent_header,
            delay=options.delay,
            timeout=options.timeout,
            max_redirects=options.max_redirects,
        )
        with Client(settings) as client:
            run = _Run(store, saved, client, options, list(sources), report, progress)
            run.discover()
            run.fetch_pages()
            run.remove_unlisted()
            report.requests = client.requests
            report.bytes_received = client.bytes_received
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    def __init__(
        self,
        store: Store,
        saved: list[SavedPage],
        client: Client,
        options: FetchOptions,
        sources: list[Source],
        report: FetchReport,
        progress: Progress | None,
    ) -> None:
        self.store = store
        self.client = client
        self.options = options
        self.sources = sources
        self.report = report
        self.progress = progress or (lambda phase, done, total: None)
        self.robots = Robots(client, options.robots_agent)
        self.sites = {site_of(source.url) for source in sources}
        self.saved = saved
        self.saved_by_key: dict[str, SavedPage] = {}
        for page in saved:
            self.saved_by_key.setdefault(page_key(page.sidecar.url), page)
            self.saved_by_key.setdefault(page_key(page.sidecar.final_url), page)
        self.listings: list[Listing] = []
        self.listed: dict[str, Listed] = {}
        self.prefetched: dict[str, Response] = {}
        self.left_out: dict[str, tuple[str, str]] = {}  # page key -> (URL, why not fetched)
        self.done: dict[str, str] = {}  # page key -> the URL that fetched it

    # -- 1. sources --

    def permit(self, url: str) -> str | None:
        """None when `url` may be requested: on a source's site, allowed by robots.txt."""
        if site_of(url) not in self.sites:
            return "not on the sources' sites"
        return self.robots.refusal(url)

    def discover(self) -> None:
        self.progress("sources", 0, len(self.sources))
        for number, source in enumerate(self.sources, 1):
            listing = self._listing(source)
            self.listings.append(listing)
            self.report.sources.append(
                SourceSummary(
                    url=source.url,
                    kind=listing.kind,
                    pages=len(listing.pages),
                    sitemaps=listing.sitemaps_read,
                    errors=listing.errors,
                )
            )
            for raw, reason in listing.rejected:
                self.report.add("skipped", raw, f"not a usable URL: {reason}")
            for entry in listing.pages:
                self._consider(entry)
            if listing.page is not None:
                self.prefetched[page_key(listing.page.url)] = listing.page
                self.prefetched[page_key(source.url)] = listing.page
            self.progress("sources", number, len(self.sources))
        for key, (url, reason) in self.left_out.items():
            if key not in self.listed:
                self.report.add("skipped", url, reason)

    def _listing(self, source: Source) -> Listing:
        saved = self.saved_by_key.get(page_key(source.url))
        if saved is not None:  # a page given as a source, known already: ask for it once
            return Listing(source, kind="page", pages=[Listed(source.url, None, source)])
        limit = self.options.max_page_bytes
        if urlsplit(source.url).path == "/robots.txt":
            unreachable = self.robots.rules_for(source.url).unreachable
            if unreachable is not None:
                return Listing(source, errors=[f"{source.url}: could not be read ({unreachable})"])
            sitemaps = self.robots.sitemaps(source.url)
            return read_sitemaps(source, sitemaps, self.client, self.permit, limit)
        return read_source(source, self.client, self.permit, limit)

    def _consider(self, entry: Listed) -> None:
        key = page_key(entry.url)
        reason = self._why_not(entry)
        if reason is not None:
            self.left_out.setdefault(key, (entry.url, reason))
            return
        known = self.listed.get(key)
        if known is None:
            self.listed[key] = entry
        elif entry.lastmod is not None and (known.lastmod is None or entry.lastmod > known.lastmod):
            self.listed[key] = Listed(known.url, entry.lastmod, known.source)

    def _why_not(self, entry: Listed) -> str | None:
        if site_of(entry.url) not in self.sites:
            return "not on the sources' sites"
        if not entry.source.wants(urlsplit(entry.url).path or "/"):
            return "left out by the source's include/exclude patterns"
        return self.robots.refusal(entry.url)

    # -- 2. pages --

    def fetch_pages(self) -> None:
        total = len(self.listed)
        self.progress("pages", 0, total)
        for number, (key, entry) in enumerate(self.listed.items(), 1):
            self._fetch_page(key, entry)
            self.progress("pages", number, total)

    def _fetch_page(self, key: str, entry: Listed) -> None:
        if key in self.done:
            self.report.add("skipped", entry.url, f"the same page as {self.done[key]}")
            return
        saved = self.saved_by_key.get(key)
        if saved is not None and self._unchanged_by_lastmod(saved, entry):
            self.done[key] = entry.url
            self.report.not_requested += 1
            self.report.add("unchanged", entry.url, path=self._shown(saved.path))
            return
        try:
            response = self.prefetched.get(key) or self.client.get(
                entry.url,
                max_bytes=self.options.max_page_bytes,
                headers=_conditional_headers(saved),
                permit=self.permit,
                body_wanted=_html_only,
            )
        except FetchFailure as failure:
            self.done[key] = entry.url
            self.report.add("failed", entry.url, failure.reason)
            return
        self.done[key] = entry.url
        self.done.setdefault(page_key(response.url), entry.url)
        self._handle(entry, saved, response)

    def _unchanged_by_lastmod(self, saved: SavedPage, entry: Listed) -> bool:
        if self.options.revalidate or entry.lastmod is None:
            return False
        return saved.sidecar.fetched_at >= entry.lastmod

    def _handle(self, entry: Listed, saved: SavedPage | None, response: Response) -> None:
        status = response.status
        if status == 200 and response.refused is not None:
            self.report.add("skipped", entry.url, response.refused)
        elif status == 200 and response.body is not None:
            self._save(entry, saved, response, response.body)
        elif status == 304 and saved is not None:
            self.store.write_sidecar(saved.path, _confirmed(saved.sidecar, response))
            self.report.add("unchanged", entry.url, path=self._shown(saved.path))
        elif status in GONE_STATUSES and saved is not None:
            self.store.remove(saved.path)
            self.report.add("removed", entry.url, response.status_text, self._shown(saved.path))
        else:
            if status in BACK_OFF_STATUSES:
                self.client.back_off(response)
            kept = "; the saved copy is kept" if saved is not None else ""
            self.report.add("failed", entry.url, response.status_text + kept)

    def _save(
        self, entry: Listed, saved: SavedPage | None, response: Response, body: bytes
    ) -> None:
        path = self.store.path_for(response.url)
        previous = saved or self.saved_by_key.get(page_key(response.url))
        old = _read_or_none(path) if previous is not None else None
        sidecar = Sidecar(
            url=entry.url,
            final_url=response.url,
            fetched_at=_now(),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            status=response.status,
            content_type=response.headers.get("content-type"),
        )
        outcome: Outcome
        if old == body:
            self.store.write_sidecar(path, sidecar)
            outcome = "unchanged"
        else:
            self.store.save(path, body, sidecar)
            outcome = "changed" if previous is not None else "new"
        if previous is not None and previous.path != path:
            self.store.remove(previous.path)
        self.report.add(outcome, entry.url, path=self._shown(path))

    # -- 3. pages no source lists any more --

    def remove_unlisted(self) -> None:
        sitemap_sites = {
            site_of(listing.source.url)
            for listing in self.listings
            if listing.kind in ("sitemap", "sitemap index")
        }
        if not sitemap_sites or not all(listing.complete for listing in self.listings):
            return
        for page in self.saved:
            keys = {page_key(page.sidecar.url), page_key(page.sidecar.final_url)}
            if site_of(page.sidecar.url) not in sitemap_sites:
                continue
            if keys & (self.listed.keys() | self.done.keys()):
                continue
            if not page.path.exists():  # moved by a redirect this run, or already removed
                continue
            reason = next(
                (self.left_out[key][1] for key in keys if key in self.left_out),
                "no longer listed by the sources",
            )
            self.store.remove(page.path)
            self.report.add("removed", page.sidecar.url, reason, self._shown(page.path))

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.store.corpus_dir).as_posix()
        except ValueError:
            return str(path)


def _conditional_headers(saved: SavedPage | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT_HTML}
    if saved is not None:
        if saved.sidecar.etag:
            headers["If-None-Match"] = saved.sidecar.etag
        if saved.sidecar.last_modified:
            headers["If-Modified-Since"] = saved.sidecar.last_modified
    return headers


def _html_only(headers: httpx.Headers) -> str | None:
    """None for an HTML page; otherwise why its body is not downloaded."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or content_type in HTML_TYPES:
        return None
    return f"not an HTML page ({content_type})"


def _confirmed(sidecar: Sidecar, response: Response) -> Sidecar:
    """The sidecar after a 304: confirmed now, with any validators the 304 renewed."""
    return sidecar.model_copy(
        update={
            "fetched_at": _now(),
            "etag": response.headers.get("etag") or sidecar.etag,
            "last_modified": response.headers.get("last-modified") or sidecar.last_modified,
        }
    )


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
