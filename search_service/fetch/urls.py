"""One spelling per page: URLs normalised before they are compared, fetched or saved.

The sitemap, the feed and a newsletter may each list the same article with another
spelling (`HTTP://Site.org:80/a/?utm_source=rss#top`, `https://site.org/a/?fbclid=…`).
`normalise_url` makes them one string, so the page is fetched once per run;
`page_key` goes further for deduplication (the `www.` host and the scheme do not make
another page). Percent-encoding, dot segments, query order, fragments and IDNA are
w3lib's `canonicalize_url` (Scrapy's); the tracking parameters and default ports
are ours.

Trailing slashes are kept as the site wrote them: `/a` and `/a/` may be different
resources, and a site that treats them as one redirects one to the other (the
fetch then saves the page once, under the URL it ended at).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from search_service.errors import SourcesError

SCHEMES: Final = ("http", "https")
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
#: Query parameters that say where a visitor came from, not which page it is.
TRACKING_PREFIXES: Final = ("utm_", "pk_", "mtm_", "hsa_")
TRACKING_PARAMETERS: Final = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
    }
)


class InvalidUrlError(SourcesError):
    """A URL that cannot be fetched: not http(s), no host, malformed."""

    code = "invalid_url"

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url!r} is not a URL that can be fetched: {reason}")


def normalise_url(url: str, base: str | None = None) -> str:
    """The one spelling of `url` (resolved against `base` when relative).

    Raises `InvalidUrlError` for anything but an absolute http(s) URL with a host.
    """
    text = url.strip()
    if base is not None:
        text = urljoin(base, text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidUrlError(url, str(error)) from error
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        why = f"the scheme {scheme!r} is not fetched" if scheme else "it is not an absolute URL"
        raise InvalidUrlError(url, f"{why} (only http and https)")
    if not parts.hostname:
        raise InvalidUrlError(url, "it has no host")
    query = _without_tracking(parts.query)
    try:
        canonical = canonicalize_url(urlunsplit((scheme, parts.netloc, parts.path, query, "")))
    except ValueError as error:  # IDNA encoding of a malformed host
        raise InvalidUrlError(url, str(error)) from error
    return _without_default_port(canonical, scheme, port)


def _without_tracking(query: str) -> str:
    kept = [pair for pair in query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])]
    return "&".join(kept)


def _is_tracking(name: str) -> bool:
    name = unquote(name).strip().lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _without_default_port(url: str, scheme: str, port: int | None) -> str:
    if port is None or port != DEFAULT_PORTS[scheme]:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def host_of(url: str) -> str:
    """`host[:port]` of a normalised URL, lower case."""
    return urlsplit(url).netloc.lower()


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without a leading `www.` (port kept).

    `www.example.org` and `example.org` are one site: sites redirect one to the
    other, and sitemaps mix them.
    """
    host = host_of(url)
    return host[4:] if host.startswith("www.") else host


def same_site(url: str, other: str) -> bool:
    return site_of(url) == site_of(other)


def page_key(url: str) -> str:
    """What makes two normalised URLs the same page: the site, the path, the query.

    The scheme and a `www.` host do not: `http://www.site.org/a/` and
    `https://site.org/a/` are fetched once and saved once.
    """
    parts = urlsplit(url)
    return urlunsplit(("", site_of(url), parts.path or "/", parts.query, ""))


def robots_url(url: str) -> str:
    """`/robots.txt` of the URL's scheme, host and port."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
