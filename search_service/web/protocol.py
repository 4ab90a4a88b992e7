"""uvicorn's httptools protocol with the limits a public service needs.

uvicorn with httptools bounds nothing while a request arrives: the request line
and the headers are buffered whatever their size, a connection that sends a
byte a second (or nothing) is held forever (the keep-alive timeout only starts
after a response), a malformed request gets a plain-text 400, and its
`limit_concurrency` counts idle connections and answers in plain text. This
subclass, which `search-service serve` runs (`http=` of uvicorn), adds:

* a deadline to receive each request (`SEARCH_REQUEST_READ_TIMEOUT`), from
  the connection or the request's first byte: a slower client gets 408, a
  connection that sent nothing is closed;
* a bound on the request target (`SEARCH_MAX_URL_BYTES`, 414) and on the
  headers (`SEARCH_MAX_HEADER_BYTES`, 431), checked as the bytes arrive, so an
  endless header is cut off instead of buffered;
* a bound on requests handled at once (`SEARCH_LIMIT_CONCURRENCY`, 503
  `overloaded` with `Retry-After`), counting requests, not idle connections;
* every answer of its own in the API's error shape (`errors.error_body`), the
  parser's 400 included; to a `HEAD`, its head alone (with the length of the body
  a `GET` gets), as the app answers `HEAD`.

The app checks the same URL and header limits (`middleware.RequestGuard`), so a server
other than `serve` gives the same answers; here they come before any buffering.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from search_service.settings import Settings
from search_service.web.errors import error_body, headers_too_large, uri_too_long
from search_service.web.security import SECURITY_HEADERS

logger = logging.getLogger("search_service.web.protocol")


@dataclass(frozen=True)
class ProtocolLimits:
    """The limits of one server process, from its settings."""

    max_url_bytes: int
    max_header_bytes: int
    request_read_timeout: float
    limit_concurrency: int
    any_origin: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> ProtocolLimits:
        return cls(
            max_url_bytes=settings.max_url_bytes,
            max_header_bytes=settings.max_header_bytes,
            request_read_timeout=settings.request_read_timeout,
            limit_concurrency=settings.limit_concurrency,
            any_origin="*" in settings.cors_origins,
        )


@cache
def _process_limits() -> ProtocolLimits:
    """Read once per worker process: `serve` exports its settings to the environment."""
    return ProtocolLimits.from_settings(Settings())


class Rejection(Exception):
    """A request answered by the protocol itself, before the app sees it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` with a read deadline, size limits and a concurrency limit."""

    #: Set on a subclass to give a server its limits without the environment (tests).
    fixed_limits: ClassVar[ProtocolLimits | None] = None

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = self.fixed_limits or _process_limits()
        self._rejection: Rejection | None = None
        self._read_deadline: asyncio.TimerHandle | None = None
        self._reading_head = True
        self._request_begun = self._began_in_chunk = self._ended_in_chunk = False
        self._head_bytes = self._url_bytes = self._header_bytes = 0
        #: The method of the request being read, once its request line has begun (None
        #: before): a rejection of a `HEAD` is its answer's head alone.
        self._method: bytes | None = None
        #: Called when the connection is lost (`balance.BalancedListener` counts it out).
        self.on_lost: Callable[[], None] | None = None

    @classmethod
    def with_limits(cls, limits: ProtocolLimits) -> type[GuardedHttpToolsProtocol]:
        """A protocol class for an in-process server with these limits."""
        return type(cls.__name__, (cls,), {"fixed_limits": limits})

    # ---- the read deadline ------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        try:
            super().connection_lost(exc)
        finally:
            if self.on_lost is not None:
                self.on_lost()

    def _arm_read_deadline(self) -> None:
        if self._read_deadline is None:
            self._read_deadline = self.loop.call_later(
                self.limits.request_read_timeout, self._on_read_timeout
            )

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _on_read_timeout(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        if not self._request_begun:
            self.transport.close()  # connected and silent: nothing to answer
            return
        if self._reading_head:
            seconds = f"{self.limits.request_read_timeout:g}"
            self._reject(
                Rejection(408, "request_timeout", f"the request was not sent within {seconds} s")
            )
            return
        self.transport.close()  # the body is late: the app sees a disconnect

    # ---- parser callbacks -------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._began_in_chunk = self._ended_in_chunk = False
        super().data_received(data)
        if not self._reading_head or self.transport.is_closing():
            return
        # httptools buffers a header until its end: bound what it holds. Bytes of a
        # request that began in this chunk are all its own, unless an earlier one
        # ended in it too (pipelining): then counting starts with the next chunk.
        if self._began_in_chunk:
            self._head_bytes = 0 if self._ended_in_chunk else len(data)
        else:
            self._head_bytes += len(data)
        if self._head_bytes > self.limits.max_header_bytes + self.limits.max_url_bytes:
            self._reject(Rejection(*headers_too_large(self.limits.max_header_bytes)))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._began_in_chunk = self._request_begun = True
        self._url_bytes = self._header_bytes = 0
        self._method = None
        self._arm_read_deadline()

    def on_url(self, url: bytes) -> None:
        if self._method is None:
            self._method = self.parser.get_method()
        self._url_bytes += len(url)
        if self._url_bytes > self.limits.max_url_bytes:
            raise self._refuse(Rejection(*uri_too_long(self.limits.max_url_bytes)))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self.limits.max_header_bytes:
            raise self._refuse(Rejection(*headers_too_large(self.limits.max_header_bytes)))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        if len(self.tasks) >= self.limits.limit_concurrency:
            raise self._refuse(
                Rejection(
                    503,
                    "overloaded",
                    "the service is answering too many requests at once; try again in a moment",
                )
            )
        started = self.cycle
        super().on_headers_complete()
        if self.cycle is not started and self.cycle is not None:
            self.cycle.transport = HeadWithBody(self.transport, self.cycle)

    def on_message_complete(self) -> None:
        self._disarm_read_deadline()
        self._reading_head = True
        self._request_begun = False
        self._ended_in_chunk = True
        self._head_bytes = 0
        super().on_message_complete()

    # ---- answers of the protocol's own --------------------------------------------------

    def _refuse(self, rejection: Rejection) -> Rejection:
        """Note a rejection and return it, to raise from a parser callback.

        httptools wraps what a callback raises in a parser error, which uvicorn
        answers with `send_400_response`: that answers the noted rejection.
        """
        self._rejection = rejection
        return rejection

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error: the noted rejection, or a 400, as JSON."""
        rejection = self._rejection or Rejection(
            400, "bad_request", "the request is not valid HTTP/1.1"
        )
        self._reject(rejection)

    def _reject(self, rejection: Rejection) -> None:
        self._disarm_read_deadline()
        if self.transport.is_closing():
            return
        logger.warning(
            "%s:%s %d %s (answered before the app)",
            *(self.client or ("?", "?")),
            rejection.status,
            rejection.code,
        )
        body = error_body(rejection.code, rejection.message)
        headers = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
            *(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in SECURITY_HEADERS
            ),
        ]
        if rejection.status == 503:
            headers.append((b"retry-after", b"1"))
        if self.limits.any_origin:
            headers.append((b"access-control-allow-origin", b"*"))
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        content = b"" if self._method == b"HEAD" else body  # its length is still the GET's
        self.transport.write(STATUS_LINE[rejection.status] + head + b"\r\n" + content)
        self.transport.close()


class HeadWithBody(asyncio.Transport):
    """A response's transport that sends its head with its body, in one write.

    uvicorn writes the status line and headers as soon as the app starts its
    response, then the body: two system calls, and on loopback the client is woken
    twice (the head's write was 6.5 % of a 5k worker's samples under wrk, the body's
    1.6 %). Held until the body's first write, or the connection's close, the two
    go out together (`writelines`: one `writev` on uvloop). An interim `100 Continue`,
    written before the response starts, is not held; nor is the head of a `HEAD`
    request, which has no body to wait for.
    """

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._head_written = cycle.scope["method"] == "HEAD"

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._head_written and self._cycle.response_started:
            self._head_written = True
            self._head = bytes(data)
        elif self._head is not None:
            head, self._head = self._head, None
            self._transport.writelines((head, data))
        else:
            self._transport.write(data)

    def close(self) -> None:
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)
