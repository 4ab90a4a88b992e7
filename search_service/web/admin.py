"""`/admin/report`: the editors' analytics page, behind `SEARCH_ADMIN_TOKEN`.

Off (a plain 404, like any unknown path) while no token is set. The token is
taken from `Authorization: Bearer TOKEN` (scripts) or as the password of HTTP
Basic authentication (any user name): a browser asks for it itself, on the 401's
`WWW-Authenticate: Basic` challenge, and sends it again on every visit of the
session, so the token never appears in a URL (history, server logs, Referer),
and no form or script is needed. It is compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Final

from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_service.analytics import page
from search_service.analytics.report import build_report
from search_service.errors import UnauthorizedError
from search_service.settings import Settings

CHALLENGE: Final = 'Basic realm="search analytics", charset="UTF-8"'
UNAUTHORIZED_MESSAGE: Final = (
    "this page needs the admin token (SEARCH_ADMIN_TOKEN): as `Authorization: Bearer TOKEN`, "
    "or as the password a browser asks for"
)
WRONG_TOKEN_MESSAGE: Final = "the admin token is wrong"


def authorise(settings: Settings, authorization: str | None) -> None:
    """Let the request through, or refuse it: 404 while the page is off, 401 without the token."""
    if settings.admin_token is None:
        raise StarletteHTTPException(404, "Not Found")
    given = presented_token(authorization)
    if given is None:
        raise UnauthorizedError(UNAUTHORIZED_MESSAGE)
    expected = settings.admin_token.get_secret_value()
    # Digests first: compare_digest's time may still tell the lengths of what it compares.
    if not hmac.compare_digest(_digest(given), _digest(expected)):
        raise UnauthorizedError(WRONG_TOKEN_MESSAGE)


def presented_token(authorization: str | None) -> str | None:
    """The token of a `Bearer` header, or the password of a `Basic` one; None otherwise."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon else None
    return None


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def report_response(settings: Settings, days: int) -> HTMLResponse:
    """The page, never cached, under its own strict policy."""
    report = build_report(settings, days)
    return HTMLResponse(
        page.render(report),
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": page.CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Robots-Tag": "noindex",
        },
    )
