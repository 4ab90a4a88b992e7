"""Serves the embeddable widget (`/widget.js`) and the demo page (`/`).

The files are package data (`search_service/web/static/`), read through
`importlib.resources` so they are found in an installed wheel as well as in a
checkout. They are read (and gzipped) once per process: they only change with a
new release. Responses carry an ETag so browsers revalidate cheaply after
`max-age`, and go gzipped to browsers that accept it (the widget shrinks to a
third), whether or not the app compresses responses itself.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

from search_service.web.security import page_policy

WIDGET_MEDIA_TYPE = "text/javascript; charset=utf-8"
DEMO_MEDIA_TYPE = "text/html; charset=utf-8"
# Short enough that a new widget reaches every page within minutes of a deploy.
WIDGET_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
DEMO_CACHE_CONTROL = "no-cache"

router = APIRouter(tags=["widget"])


@dataclass(frozen=True)
class StaticFile:
    """One file in two encodings; each encoding has its own strong ETag, as HTTP requires."""

    content: bytes
    etag: str
    gzipped: bytes
    gzip_etag: str


@cache
def static_file(name: str) -> StaticFile:
    """A file of `search_service/web/static/`, plain and gzipped, with their ETags."""
    content = resources.files("search_service.web").joinpath("static", name).read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:32]
    return StaticFile(
        content=content,
        etag=f'"{digest}"',
        gzipped=gzip.compress(content, compresslevel=9, mtime=0),
        gzip_etag=f'"{digest}-gzip"',
    )


def accepts_gzip(accept_encoding: str) -> bool:
    """True when the `Accept-Encoding` header lists gzip (or `*`) without `q=0`."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return not params or quality not in ("0", "0.0", "0.00", "0.000")
    return False


@cache
def demo_policy() -> str:
    """The demo page's Content-Security-Policy: the widget from this origin, the page's own
    inline script and style by their hashes, calls to this origin only."""
    html = static_file("demo.html").content.decode("utf-8")
    return page_policy(html, script_src="'self'", connect_src="'self'", img_src="'self' data:")


def serve_static(
    request: Request,
    name: str,
    media_type: str,
    cache_control: str,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """A 200 with the file (gzipped when accepted), or a 304 when the browser holds it."""
    file = static_file(name)
    zipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = file.gzip_etag if zipped else file.etag
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    headers.update(extra_headers or {})
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    body = file.gzipped if zipped else file.content
    return Response(content=body, media_type=media_type, headers=headers)


@router.api_route(
    "/widget.js",
    methods=["GET", "HEAD"],
    summary="The search widget",
    description="The `<site-search>` custom element; embed it with one `<script>` tag.",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Not modified"}},
)
def widget_js(request: Request) -> Response:
    return serve_static(request, "widget.js", WIDGET_MEDIA_TYPE, WIDGET_CACHE_CONTROL)


@router.api_route(
    "/",
    methods=["GET", "HEAD"],
    summary="Demo page",
    description="A news-site page with the widget embedded by the one-line snippet.",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, 304: {"description": "Not modified"}},
)
def demo_page(request: Request) -> Response:
    return serve_static(
        request,
        "demo.html",
        DEMO_MEDIA_TYPE,
        DEMO_CACHE_CONTROL,
        {"Content-Security-Policy": demo_policy()},
    )
