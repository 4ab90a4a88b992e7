"""Response headers of a public service: no sniffing, a referrer policy, a CSP on pages.

Every response gets `X-Content-Type-Options: nosniff` (a browser never runs a
JSON answer or an article as a script or a page) and `Referrer-Policy:
strict-origin-when-cross-origin` (a link to an article's own site sends the
service's origin, never a URL holding a visitor's query). Every HTML response
gets a Content-Security-Policy: by default `PAGE_POLICY`, which runs no script
at all (the article pages and error pages need none); a page that needs more
(the demo page, the API reference) sets its own policy, which allows only its
own inline blocks by their hashes (`page_policy`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: On every response, whatever its status or type.
SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)

#: What every page shares: nothing loads unless allowed, no `<base>`, no form
#: posts anywhere, never framed (no clickjacking of the service's pages).
_PAGE_BASE: Final = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#: The policy of an HTML response that sets none: no script runs; the page's own
#: inline `<style>` and images from the service or `data:` URLs are allowed.
PAGE_POLICY: Final = (
    f"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; {_PAGE_BASE}"
)

_INLINE = {
    tag: re.compile(rf"<{tag}(\s[^>]*)?>(.*?)</{tag}>", re.DOTALL | re.IGNORECASE)
    for tag in ("script", "style")
}


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP sources (`'sha256-…'`) of the inline `<script>` or `<style>` blocks of a page.

    A `<script src=…>` is not inline: it is allowed by its origin, not by a hash.
    """
    sources = []
    for match in _INLINE[tag].finditer(html):
        attributes, content = match.group(1) or "", match.group(2)
        if tag == "script" and re.search(r"\bsrc\s*=", attributes, re.IGNORECASE):
            continue
        digest = hashlib.sha256(content.encode("utf-8")).digest()
        sources.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return sources


def page_policy(html: str, **directives: str) -> str:
    """The CSP of one page: its inline scripts and styles by hash, plus `directives`
    (`script_src="'self'"` becomes `script-src 'self' 'sha256-…'`)."""
    sources: dict[str, list[str]] = {"script-src": [], "style-src": []}
    for name, value in directives.items():
        sources.setdefault(name.replace("_", "-"), []).extend(value.split())
    sources["script-src"] += inline_hashes(html, "script")
    sources["style-src"] += inline_hashes(html, "style")
    listed = "; ".join(f"{name} {' '.join(values)}" for name, values in sources.items() if values)
    return f"default-src 'none'; {listed}; {_PAGE_BASE}"


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response and `PAGE_POLICY` to pages without a CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_security_headers(message["headers"])}
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: `SECURITY_HEADERS` and `PAGE_POLICY` as ASGI headers, encoded once.
_RAW_SECURITY_HEADERS: Final = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS
)
_RAW_PAGE_POLICY: Final = (b"content-security-policy", PAGE_POLICY.encode("latin-1"))


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with those of `SECURITY_HEADERS` they lack, and `PAGE_POLICY` when the
    (first) content type is HTML and no policy is set: a response's own header stays
    alone, since a browser applies the last of two."""
    names: set[bytes] = set()
    content_type: bytes | None = None
    for name, value in headers:
        lowered = name.lower()
        names.add(lowered)
        if lowered == b"content-type" and content_type is None:
            content_type = value
    added = [header for header in _RAW_SECURITY_HEADERS if header[0] not in names]
    html = content_type is not None and content_type.startswith(b"text/html")
    if html and b"content-security-policy" not in names:
        added.append(_RAW_PAGE_POLICY)
    return [*headers, *added]
