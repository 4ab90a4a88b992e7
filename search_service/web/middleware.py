"""The API's own ASGI layers around the routes: the request log and the guard.

They are two of the four pure ASGI layers (no per-request task or stream wrapping,
so each costs microseconds) that `api.create_app` installs, in this order, outermost
first:

  RequestLog       one line per request, CORS preflights and 500s included;
  SecurityHeaders  nosniff, Referrer-Policy and a page CSP on every response (`security`);
  CORSMiddleware   its headers on every response below it: errors, 500s, HEAD;
  RequestGuard     HEAD answered as GET, over-long URLs and headers and non-UTF-8
                   URLs refused, a bug made a JSON 500.

Starlette's own 500 handler sits outside every middleware (its responses would
carry no CORS headers), which is why the guard turns bugs into responses itself.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_service.web.errors import (
    API_LOG,
    error_response,
    headers_too_large,
    internal_error_response,
    uri_too_long,
)

logger = logging.getLogger(API_LOG)


class RequestLog:
    """Logs one line per request: `METHOD path status duration`.

    At a level above `info` (`SEARCH_LOG_LEVEL=warning`, as the benches run the service)
    a request passes straight through: no clock read, no `send` wrapped.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            logger.info(
                "%s %s %d %.1fms",
                scope.get("method", "?"),
                scope.get("path", "?"),
                status,
                (time.perf_counter() - started) * 1000.0,
            )


class RequestGuard:
    """What every request goes through inside CORS, so its answers get CORS headers too.

    * `HEAD` is answered as `GET` without the body (uptime monitors use `HEAD /health`);
    * a URL beyond `max_url_bytes` is refused (414), headers beyond
      `max_header_bytes` too (431): `serve`'s HTTP layer (`protocol`) refuses
      them before reading them whole; this gives any other server the same answers;
    * undecodable percent-escapes are refused (`invalid_encoding`): they would
      otherwise reach the routes as U+FFFD and be searched silently;
    * an unexpected exception becomes the JSON `internal_error` (details only logged).
    """

    def __init__(self, app: ASGIApp, max_url_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        responded = False

        async def send_and_note(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        refusal = self._size_refusal(scope)
        if refusal is not None:
            await error_response(*refusal)(scope, receive, send)
            return
        problem = _encoding_problem(scope)
        if problem is not None:
            await error_response(422, "invalid_encoding", problem)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send_and_note)
        except Exception as error:
            if responded:  # too late for an error response; the server closes the connection
                raise
            logger.exception("unexpected error on %s", scope.get("path", "?"), exc_info=error)
            await internal_error_response()(scope, receive, send)

    def _size_refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        query = scope.get("query_string", b"")
        target = len(scope.get("raw_path") or scope["path"].encode()) + (
            len(query) + 1 if query else 0
        )
        if target > self.max_url_bytes:
            return uri_too_long(self.max_url_bytes)
        if sum(len(name) + len(value) for name, value in scope["headers"]) > self.max_header_bytes:
            return headers_too_large(self.max_header_bytes)
        return None


def _without_body(send: Send) -> Send:
    """A `send` that drops the body of the response (keeping its headers)."""

    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only


def _encoding_problem(scope: Scope) -> str | None:
    """Why the query or the path is not UTF-8 once unescaped (None: it is). A part
    without `%` is checked as sent, by `bytes.decode` alone: `unquote_to_bytes` is a loop
    in Python, and `+` (a space in a query) is ASCII either way."""
    for raw in (scope.get("query_string", b""), scope.get("raw_path") or b""):
        try:
            (unquote_to_bytes(raw) if b"%" in raw else raw).decode("utf-8")
        except UnicodeDecodeError:
            return "the URL contains percent-escapes that are not UTF-8 text"
    return None
