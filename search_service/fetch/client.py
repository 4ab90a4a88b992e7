"""The HTTP side of the fetch: polite, bounded, one request at a time (httpx).

Politeness: requests go out one after the other, never two at once, with at
least `delay` seconds between two requests to the same site (`www.` or not: one
server; more if the
site's robots.txt asks for a `Crawl-delay`, or answered 429/503); the
User-Agent names the project and a contact URL.

Bounds: every request has a timeout (connect, each read, and the whole body);
a body is streamed and cut at a size limit, so a huge page costs at most that
many bytes; redirects are followed by hand, at most `max_redirects`, each
target checked by the caller's `permit` (same site, robots.txt) before it is
requested.

A request either returns a `Response` (any HTTP status) or raises
`FetchFailure` with a reason meant for the report; httpx's exceptions never
leave this module.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import httpx

from search_service.fetch.urls import InvalidUrlError, normalise_url, site_of

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
#: Longest wait a site's Retry-After or Crawl-delay can impose between two requests.
MAX_WAIT: Final = 60.0
CHUNK_SIZE: Final = 64 * 1024

Permit = Callable[[str], str | None]
"""permit(url) -> None when the URL may be requested, else why not."""
BodyWanted = Callable[[httpx.Headers], str | None]
"""body_wanted(headers) -> None when the body should be read, else why not."""


class FetchFailure(Exception):
    """A request that gave no usable HTTP answer; `reason` is shown in the report."""

    def __init__(self, reason: str, *, kind: str = "error") -> None:
        self.reason = reason
        self.kind = kind
        super().__init__(reason)


@dataclass
class Response:
    """An HTTP answer, after redirects."""

    url: str
    """The URL that answered (normalised): the request's, or the last redirect's."""
    status: int
    reason_phrase: str
    headers: httpx.Headers
    body: bytes | None = None
    """The body when it was read: a 200 whose headers `body_wanted` accepted."""
    refused: str | None = None
    """Why the body was not read, when `body_wanted` refused it."""
    truncated: bool = False
    redirects: list[str] = field(default_factory=list)

    @property
    def status_text(self) -> str:
        return f"HTTP {self.status} {self.reason_phrase}".rstrip()


@dataclass(frozen=True)
class ClientSettings:
    user_agent: str
    delay: float = 1.0
    timeout: float = 30.0
    max_redirects: int = 5


class Client:
    """One httpx client for a whole fetch run; counts what it asked and received."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.requests = 0
        self.bytes_received = 0
        self._http = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
        )
        self._last_done: dict[str, float] = {}  # site -> when its last request ended
        self._not_before: dict[str, float] = {}  # site -> no request before (Retry-After)
        self._delays: dict[str, float] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- politeness --

    def delay_for(self, site: str) -> float:
        return self._delays.get(site, self.settings.delay)

    def slow_down(self, url: str, seconds: float) -> None:
        """At least `seconds` (at most `MAX_WAIT`) between requests to `url`'s site from now on."""
        site = site_of(url)
        self._delays[site] = max(self.delay_for(site), min(seconds, MAX_WAIT))

    def back_off(self, response: Response) -> None:
        """After a 429 or 503: wait what Retry-After says before asking that host again,
        and double the delay for the rest of the run."""
        site = site_of(response.url)
        wait = _retry_after(response.headers.get("retry-after"))
        if wait is not None:
            until = clock() + min(wait, MAX_WAIT)
            self._not_before[site] = max(self._not_before.get(site, 0.0), until)
        self._delays[site] = min(self.delay_for(site) * 2, MAX_WAIT)

    def _wait_for(self, site: str) -> None:
        if site not in self._last_done:
            return
        ready = max(self._last_done[site] + self.delay_for(site), self._not_before.get(site, 0.0))
        wait = ready - clock()
        if wait > 0:
            pause(wait)

    def _done_with(self, site: str) -> None:
        self._last_done[site] = clock()

    # -- requests --

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: Mapping[str, str] | None = None,
        permit: Permit | None = None,
        body_wanted: BodyWanted | None = None,
        cut: bool = False,
    ) -> Response:
        """GET `url`, following redirects that `permit` allows; the body of a 200 read
        up to `max_bytes` (more is a `FetchFailure`, or cut there when `cut`)."""
        redirects: list[str] = []
        current = url
        while True:
            response = self._request(current, max_bytes, headers, body_wanted, cut)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                response.redirects = redirects
                return response
            if len(redirects) >= self.settings.max_redirects:
                raise FetchFailure(
                    f"more than {self.settings.max_redirects} redirects", kind="redirects"
                )
            try:
                target = normalise_url(location, base=current)
            except InvalidUrlError as error:
                raise FetchFailure(
                    f"redirected to an unusable URL: {error.reason}", kind="redirect"
                ) from error
            refusal = permit(target) if permit is not None else None
            if refusal is not None:
                raise FetchFailure(f"redirected to {target}: {refusal}", kind="redirect")
            redirects.append(target)
            current = target

    def _request(
        self,
        url: str,
        max_bytes: int,
        headers: Mapping[str, str] | None,
        body_wanted: BodyWanted | None,
        cut: bool,
    ) -> Response:
        site = site_of(url)
        self._wait_for(site)
        started = time.monotonic()
        self.requests += 1
        try:
            with self._http.stream("GET", url, headers=dict(headers or {})) as answer:
                response = Response(
                    url=url,
                    status=answer.status_code,
                    reason_phrase=answer.reason_phrase,
                    headers=answer.headers,
                )
                if answer.status_code != 200:
                    return response
                response.refused = body_wanted(answer.headers) if body_wanted else None
                if response.refused is None:
                    response.body, response.truncated = self._read_body(
                        answer, max_bytes, started, cut
                    )
                return response
        except httpx.TimeoutException as error:
            raise FetchFailure(
                f"timed out after {self.settings.timeout:g} s ({type(error).__name__})",
                kind="timeout",
            ) from error
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise FetchFailure(f"network error: {_describe(error)}", kind="network") from error
        finally:
            self._done_with(site)

    def _read_body(
        self, answer: httpx.Response, max_bytes: int, started: float, cut: bool
    ) -> tuple[bytes, bool]:
        declared = answer.headers.get("content-length", "")
        encoded = answer.headers.get("content-encoding", "identity").lower() != "identity"
        if not cut and declared.isdigit() and not encoded and int(declared) > max_bytes:
            raise FetchFailure(
                f"larger than the limit of {max_bytes} bytes ({declared} bytes announced); "
                "not downloaded",
                kind="too_large",
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in answer.iter_bytes(CHUNK_SIZE):
            size += len(chunk)
            self.bytes_received += len(chunk)
            if size > max_bytes:
                if cut:
                    chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                    return b"".join(chunks), True
                raise FetchFailure(
                    f"larger than the limit of {max_bytes} bytes; download cut there, not saved",
                    kind="too_large",
                )
            chunks.append(chunk)
            if time.monotonic() - started > self.settings.timeout:
                raise FetchFailure(
                    f"timed out after {self.settings.timeout:g} s (the body kept coming)",
                    kind="timeout",
                )
        return b"".join(chunks), False


def clock() -> float:
    """The clock that spaces requests (a test swaps it, with `pause`, to see the pauses)."""
    return time.monotonic()


def pause(seconds: float) -> None:
    time.sleep(seconds)


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), if it is valid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
