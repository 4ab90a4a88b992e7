"""A small copy of the network's site, written by the tests and served on loopback.

`FixtureSite` holds the pages (HTML shaped like the real site, written by the ingest
tests' `html_site.Page`: header menus, the meeting banner, breadcrumbs, share bar,
"latest news" teasers, footer), the sitemap index with
a gzipped sitemap, the feed and robots.txt; `SiteServer` serves it with
`http.server` and counts, per path, the requests it got and the bodies it sent, so
a test proves what the fetch asked for, not only what it saved.

Sitemaps and the feed are made from the site's state at request time, so a test
changes the site between two fetches by editing `site.pages` and `site.listed`.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import html
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.ingest.html_site import Page as SitePage


def article_html(
    lang: str, title: str, date: str, paragraphs: list[str], *, charset: str | None = "utf-8"
) -> str:
    """A news article as the site renders it (WordPress: skip link, logo, menus, the meeting
    banner, breadcrumbs, share bar, "latest news" teasers, footer), from the ingest tests'
    page builder."""
    return SitePage(
        language=lang,
        title=title,
        paragraphs=paragraphs,
        time_datetime=f"{date}T09:00:00+00:00",
        date_text=date,
        published_meta=f"{date}T09:00:00+00:00",
        charset=charset,
    ).render()


@dataclass
class Page:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True
    """Whether the server answers If-None-Match / If-Modified-Since with 304."""
    stall: bool = False
    """Never answers until the server stops (a timeout)."""
    stream_bytes: int = 0
    """Streams this many bytes in chunks without announcing a length (a huge page)."""
    cut_after: int = 0
    """Announces the whole body, sends this many bytes of it, then closes (a broken transfer)."""

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


LAST_MODIFIED = "Mon, 05 Feb 2024 10:00:00 GMT"


@dataclass
class FixtureSite:
    """The site's state: pages by path (query included when it has one) and listings."""

    pages: dict[str, Page] = field(default_factory=dict)
    sitemap_en: list[str] = field(default_factory=list)
    """Paths in the plain sitemap `/sitemap-en.xml` (with a lastmod when `lastmods` says)."""
    sitemap_more: list[str] = field(default_factory=list)
    """Paths in the gzipped sitemap `/sitemap-more.xml.gz`."""
    feed: list[str] = field(default_factory=list)
    """Links of the RSS feed `/feed/` (as written: tracking parameters and all)."""
    lastmods: dict[str, str] = field(default_factory=dict)
    robots: str = "User-agent: *\nDisallow: /en/private/\n\nSitemap: {base}/sitemap.xml\n"
    """robots.txt (`{base}` is the server's address)."""
    base: str = ""

    def add_article(
        self, path: str, lang: str, title: str, date: str, paragraphs: list[str]
    ) -> Page:
        page = Page(article_html(lang, title, date, paragraphs).encode("utf-8"))
        self.pages[path] = page
        return page

    def _absolute(self, link: str) -> str:
        return link if not link.startswith("/") else self.base + link

    def sitemap_xml(self, paths: list[str]) -> bytes:
        entries = []
        for path in paths:
            lastmod = self.lastmods.get(path)
            extra = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
            loc = html.escape(self._absolute(path))
            entries.append(f"<url><loc>{loc}</loc>{extra}</url>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries)
            + "</urlset>"
        ).encode()

    def sitemap_index(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.base}/sitemap-en.xml</loc></sitemap>"
            f"<sitemap><loc>{self.base}/sitemap-more.xml.gz</loc>"
            "<lastmod>2024-02-05</lastmod></sitemap>"
            "</sitemapindex>"
        ).encode()

    def feed_xml(self) -> bytes:
        items = "".join(
            f"<item><title>item</title><link>{html.escape(self._absolute(link))}</link>"
            "<pubDate>Mon, 05 Feb 2024 09:00:00 +0000</pubDate></item>"
            for link in self.feed
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>News</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()

    def answer(self, target: str) -> Page | None:
        """The page for a request target (the feed and sitemaps made now)."""
        path = urlsplit(target).path
        generated = {
            "/robots.txt": lambda: Page(
                self.robots.replace("{base}", self.base).encode(), content_type="text/plain"
            ),
            "/sitemap.xml": lambda: Page(self.sitemap_index(), content_type="application/xml"),
            "/sitemap-en.xml": lambda: Page(
                self.sitemap_xml(self.sitemap_en), content_type="application/xml"
            ),
            "/sitemap-more.xml.gz": lambda: Page(
                gzip.compress(self.sitemap_xml(self.sitemap_more)),
                content_type="application/x-gzip",
            ),
            "/feed/": lambda: Page(self.feed_xml(), content_type="application/rss+xml"),
        }
        if target in self.pages:
            return self.pages[target]
        if path in self.pages:
            return self.pages[path]
        make = generated.get(path)
        return make() if make is not None else None


class _QuietServer(ThreadingHTTPServer):
    """A client closing its connection (the fetch's pool closed at the end of a
    command) is no error: socketserver would print its traceback on stderr, in
    the middle of the output the CLI tests read."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SiteServer:
    """`FixtureSite` over HTTP/1.1 on 127.0.0.1, counting requests and bodies per path."""

    def __init__(self, site: FixtureSite) -> None:
        self.site = site
        self.requests: collections.Counter[str] = collections.Counter()
        """Requests per path (query left out)."""
        self.targets: list[str] = []
        """Every request target, in order (query included)."""
        self.bodies: collections.Counter[str] = collections.Counter()
        """200 answers with a body, per path."""
        self.not_modified: collections.Counter[str] = collections.Counter()
        self.bytes_sent: collections.Counter[str] = collections.Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def reset_counts(self) -> None:
        with self._lock:
            for counter in (self.requests, self.bodies, self.not_modified, self.bytes_sent):
                counter.clear()
            self.targets.clear()
            self.request_headers.clear()

    def record(self, target: str, headers: dict[str, str]) -> None:
        path = urlsplit(target).path
        with self._lock:
            self.requests[path] += 1
            self.targets.append(target)
            self.request_headers[path].append(headers)

    def count(self, counter: collections.Counter[str], path: str, amount: int = 1) -> None:
        with self._lock:
            counter[path] += amount


def _handler(server: SiteServer) -> Any:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no delayed ACK

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            server.record(self.path, headers)
            path = urlsplit(self.path).path
            page = server.site.answer(self.path)
            try:
                if page is None:
                    self._send(404, b"not found", "text/plain", {})
                elif page.stall:
                    server.stopping.wait(30)
                    self._send(200, page.body, page.content_type, {})
                elif page.status == 200 and page.conditional and self._not_modified(page):
                    server.count(server.not_modified, path)
                    self.send_response(304)
                    self.send_header("ETag", page.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif page.stream_bytes:
                    self._stream(page, path)
                else:
                    extra = dict(page.headers)
                    if page.status == 200 and page.conditional:
                        extra.setdefault("ETag", page.etag)
                        extra.setdefault("Last-Modified", LAST_MODIFIED)
                    self._send(page.status, page.body, page.content_type, extra, page.cut_after)
                    if page.status == 200:
                        server.count(server.bodies, path)
                    server.count(server.bytes_sent, path, len(page.body))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _not_modified(self, page: Page) -> bool:
            if "If-None-Match" in self.headers:
                return self.headers["If-None-Match"] == page.etag
            return self.headers.get("If-Modified-Since") == LAST_MODIFIED

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict[str, str],
            cut_after: int = 0,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if cut_after:
                self.wfile.write(body[:cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def _stream(self, page: Page, path: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_536 + b"</p>"
            sent = 0
            while sent < page.stream_bytes and not server.stopping.is_set():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                server.count(server.bytes_sent, path, len(chunk))
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def served(site: FixtureSite) -> Iterator[SiteServer]:
    server = SiteServer(site).start()
    site.base = server.base
    try:
        yield server
    finally:
        server.stop()
