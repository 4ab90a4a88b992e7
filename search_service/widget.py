"""Serves the embeddable widget (`/widget.js`) and the demo page (`/`).

The files are package data (`search_service/static/`), read through
`importlib.resources` so they are found in an installed wheel as well as in a
checkout. They are read once per process: they only change with a new release.
Responses carry an ETag so browsers revalidate cheaply after `max-age`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

WIDGET_MEDIA_TYPE = "text/javascript; charset=utf-8"
DEMO_MEDIA_TYPE = "text/html; charset=utf-8"
# Short enough that a new widget reaches every page within minutes of a deploy.
WIDGET_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
DEMO_CACHE_CONTROL = "no-cache"

router = APIRouter(tags=["widget"])


@dataclass(frozen=True)
class StaticFile:
    content: bytes
    etag: str


@cache
def static_file(name: str) -> StaticFile:
    """The bytes of one file of `search_service/static/` and its strong ETag."""
    content = resources.files("search_service").joinpath("static", name).read_bytes()
    return StaticFile(content=content, etag='"' + hashlib.sha256(content).hexdigest()[:32] + '"')


def serve_static(request: Request, name: str, media_type: str, cache_control: str) -> Response:
    """A 200 with the file, or a 304 when the browser already holds this version."""
    file = static_file(name)
    headers = {"Cache-Control": cache_control, "ETag": file.etag}
    if file.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=file.content, media_type=media_type, headers=headers)


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
    return serve_static(request, "demo.html", DEMO_MEDIA_TYPE, DEMO_CACHE_CONTROL)
