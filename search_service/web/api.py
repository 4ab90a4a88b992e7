"""The HTTP API: thin FastAPI routes over the search core.

Settings are built in `create_app` (never at import); the engine lives in the
app's state. What the routes read is in `parameters`, what they answer in
`responses`, every error's shape in `errors` (`{"error": {"code": …, "message": …}}`,
built in one place) and the layers around them in `middleware`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from search_service.analytics.recorder import Recorder
from search_service.errors import (
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
)
from search_service.search.engine import SearchEngine
from search_service.search.watch import GenerationWatcher
from search_service.settings import Settings
from search_service.web import admin, widget
from search_service.web.errors import (
    ANY_ROUTE_DOC,
    API_LOG,
    INVALID_DOC,
    NO_INDEX_DOC,
    article_not_found_doc,
    error_doc,
    install_error_handlers,
)
from search_service.web.middleware import RequestGuard, RequestLog
from search_service.web.pages import article_page, wants_html
from search_service.web.parameters import (
    CLICK_BODY_LIMIT,
    CLICK_MEDIA_TYPES,
    ClickReport,
    ReportQuery,
    SearchQuery,
    SuggestQuery,
    body_doc,
    query_parameters,
    read_body,
    read_parameters,
)
from search_service.web.responses import (
    ArticleModel,
    HealthResponse,
    SearchResponse,
    SuggestResponse,
    search_json,
    suggest_json,
)
from search_service.web.security import SecurityHeaders, page_policy

logger = logging.getLogger(API_LOG)


async def get_engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.engine
    return engine


async def get_recorder(request: Request) -> Recorder | None:
    """The search analytics of this worker; None when off (or before start-up)."""
    recorder: Recorder | None = getattr(request.app.state, "recorder", None)
    return recorder


Engine = Annotated[SearchEngine, Depends(get_engine)]
Analytics = Annotated[Recorder | None, Depends(get_recorder)]


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(APIRoute):
    """A route whose endpoint takes the `Request` and returns its `Response` itself.

    For the routes called on every keystroke: FastAPI's per-request dependency
    resolution and response handling cost more CPU than a small search. Their
    endpoints read the engine from the app's state and the parameters with
    `read_parameters`. Its ASGI app only calls the endpoint and sends what it
    returns: FastAPI's wrapper around an endpoint (two `AsyncExitStack`s for
    dependencies with `yield`, which it has none of, and a second exception
    handling layer) cost about 4 % of a search's instructions. Errors still reach
    the app's handlers, through Starlette's `ExceptionMiddleware` around the
    router, and the OpenAPI schema still comes from the route's declaration.
    Added to the app's own router (`_DirectRoutes`), not an included one,
    whose matching costs more per request in FastAPI.
    """

    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.app = _direct_app(endpoint)

    def get_route_handler(self) -> Endpoint:
        endpoint: Endpoint = self.endpoint
        return endpoint


def _direct_app(endpoint: Endpoint) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


#: An article of the shipped corpus, the example of `/articles/{id}` (a test keeps it true).
SHIPPED_ARTICLE: Final = "articles/000_197affed672c23d7"


# ---- the app ------------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service: settings built here (from `SEARCH_*` variables unless given)."""
    settings = settings or Settings()
    _configure_logging(settings)
    engine = SearchEngine(settings)
    watcher = GenerationWatcher(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            engine.generation()  # open the live generation before the first request
        except IndexNotFoundError:
            logger.warning("no index published in %s yet", settings.index_dir)
        except DamagedPointerError as damaged:
            logger.warning("%s: answering 503 until `index rollback` repairs it", damaged)
        except DamagedGenerationError:
            pass  # the engine logged it; the service starts and answers 503 `index_damaged`
        except IndexAccessError as refused:
            logger.warning("%s: answering 503 `index_unreadable` until it can", refused)
        watcher.start()  # one per worker process: each runs the lifespan
        # In each worker process: the writer thread is its own, the store file is shared.
        app.state.recorder = Recorder.start(settings)
        try:
            yield
        finally:
            watcher.stop()
            if app.state.recorder is not None:
                app.state.recorder.close()  # what is queued is written
            app.state.recorder = None

    app = FastAPI(
        title="ESN site search",
        description="Search the news of the Education and Solidarity Network.",
        version="0.1.0",
        lifespan=lifespan,
        responses=ANY_ROUTE_DOC,
        docs_url=None,  # served by `_add_docs`, with a Content-Security-Policy of its own
        redoc_url=None,
        **_without_telemetry(),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.watcher = watcher
    app.state.recorder = None
    install_error_handlers(app)
    # The last added runs first: RequestLog, SecurityHeaders, CORS, the guard (`middleware`).
    app.add_middleware(
        RequestGuard,
        max_url_bytes=settings.max_url_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)
    # The routes a visitor calls first: a request is matched against each route in
    # turn (the widget's router, included, costs most to pass).
    _add_routes(app)
    _add_analytics_routes(app)
    _add_docs(app)
    # The widget's files and demo page are not part of the API reference at /docs.
    app.include_router(widget.router, include_in_schema=False)
    return app


#: Where the API reference (Swagger UI) loads its script and stylesheet from.
_DOCS_ASSETS: Final = "https://cdn.jsdelivr.net"
_DOCS_FAVICON: Final = "https://fastapi.tiangolo.com"


def _add_docs(app: FastAPI) -> None:
    """`/docs`, the API reference, with a CSP allowing its assets and its one inline script."""
    page_bytes = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API reference",
        swagger_js_url=f"{_DOCS_ASSETS}/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
        swagger_css_url=f"{_DOCS_ASSETS}/npm/swagger-ui-dist@5/swagger-ui.css",
        swagger_favicon_url=f"{_DOCS_FAVICON}/img/favicon.png",
    ).body
    page = bytes(page_bytes).decode("utf-8")
    policy = page_policy(
        page,
        script_src=_DOCS_ASSETS,
        style_src=f"{_DOCS_ASSETS} 'unsafe-inline'",
        img_src=f"'self' data: {_DOCS_FAVICON}",
        connect_src="'self'",
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def _without_telemetry() -> dict[str, Any]:
    """FastAPI's native OpenTelemetry off, where the installed FastAPI has it.

    It looks for configured providers on every request (about a tenth of the
    app's own CPU per search); the service reports to none.
    """
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def _configure_logging(settings: Settings) -> None:
    """The request log at the configured level, also in worker processes of `serve`."""
    logging.getLogger("search_service").setLevel(settings.log_level.upper())
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")


def _raw_json(content: bytes) -> Response:
    return Response(content, media_type="application/json")


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


class _DirectRoutes:
    """`@direct.get(...)`: a `DirectRoute` on the app's own router."""

    def __init__(self, app: FastAPI) -> None:
        self.router = app.router

    def get(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        def add(endpoint: Endpoint) -> Endpoint:
            self.router.add_api_route(
                path, endpoint, methods=["GET"], route_class_override=DirectRoute, **options
            )
            return endpoint

        return add


def _add_routes(app: FastAPI) -> None:
    direct = _DirectRoutes(app)

    @direct.get(
        "/search",
        response_model=SearchResponse,
        summary="Search the articles",
        description="Ranked results with multi-select facets, highlighted snippets and a "
        "spelling suggestion. The last word of `q` also matches as a prefix.",
        responses={**INVALID_DOC, **NO_INDEX_DOC},
        tags=["search"],
        openapi_extra={"parameters": query_parameters(SearchQuery)},
    )
    async def search(request: Request) -> Response:
        engine: SearchEngine = request.app.state.engine
        analytics: Recorder | None = getattr(request.app.state, "recorder", None)
        params = read_parameters(request, SearchQuery)
        query = params.request()
        search_id = analytics.search_id(query, params.search_id) if analytics else None
        result = engine.search(query)
        if analytics and search_id and not params.typing:
            analytics.searched(query, result.total, search_id)
        return _raw_json(search_json(result, search_id))

    @direct.get(
        "/suggest",
        response_model=SuggestResponse,
        summary="Completions as the visitor types",
        description="For the search box, on every keystroke: the last word of `q` is a prefix. "
        "Titles of articles holding every earlier word and a word beginning with the last one "
        "come first (newest first, about half of `limit`), then the earlier words followed by "
        "the most frequent words beginning with the last one. Accents and case never matter.",
        responses={**INVALID_DOC, **NO_INDEX_DOC},
        tags=["search"],
        openapi_extra={"parameters": query_parameters(SuggestQuery)},
    )
    async def suggest(request: Request) -> Response:
        engine: SearchEngine = request.app.state.engine
        params = read_parameters(request, SuggestQuery)
        return _raw_json(suggest_json(params.q, engine.suggest(params.q, params.limit)))

    @app.get(
        "/articles/{article_id:path}",
        response_model=ArticleModel,
        summary="One article",
        description="The stored article as JSON, or as a readable HTML page when the client "
        "asks for HTML (a browser following a result link).",
        responses={
            200: {"content": {"text/html": {}}},
            404: article_not_found_doc(),
            **INVALID_DOC,
            **NO_INDEX_DOC,
        },
        tags=["articles"],
    )
    async def article(
        engine: Engine,
        request: Request,
        article_id: Annotated[
            str,
            PathParam(
                description="The article id (ids hold slashes: the rest of the path).",
                examples=[SHIPPED_ARTICLE],
            ),
        ],
    ) -> Response:
        model = ArticleModel.model_validate(_article_fields(engine.article(article_id)))
        if wants_html(request.headers.get("accept", "")):
            page: Response = HTMLResponse(article_page(model))
        else:
            page = _json(model)
        page.headers["Vary"] = "Accept"  # one URL, two representations: caches keep both
        return page

    @app.get(
        "/health",
        response_model=HealthResponse,
        summary="Service status",
        description="Whether an index is served, its generation and article count; `503` "
        'with `"status": "no_index"` before anything is published, `"index_damaged"` when '
        "the live pointer is damaged and no generation was being served, or when a file of "
        "the live generation is damaged. For uptime monitors (`HEAD /health` answers the same "
        "status without a body).",
        responses={
            503: {
                "model": HealthResponse,
                "description": "No index published yet, or the live index is damaged.",
            }
        },
        tags=["service"],
    )
    async def health(engine: Engine) -> Response:
        try:
            generation = engine.generation()
        except IndexNotFoundError:
            return _json(HealthResponse(status="no_index", generation=None, articles=0), 503)
        except DamagedPointerError:
            return _json(HealthResponse(status="index_damaged", generation=None, articles=0), 503)
        except IndexAccessError:
            unreadable = HealthResponse(status="index_unreadable", generation=None, articles=0)
            return _json(unreadable, 503)
        except DamagedGenerationError as damaged:
            damaged_health = HealthResponse(
                status="index_damaged", generation=damaged.generation, articles=0
            )
            return _json(damaged_health, 503)
        return _json(
            HealthResponse(
                status="ok", generation=generation.name, articles=generation.view.live_count
            )
        )


def _add_analytics_routes(app: FastAPI) -> None:
    @app.post(
        "/clicks",
        status_code=204,
        response_class=Response,
        summary="Report an opened result",
        description="Sent by the widget with `navigator.sendBeacon` when a visitor opens a "
        "result: the `search_id` of the response, the result's position and its article id, "
        "as JSON in a `text/plain` body (no CORS preflight) or `application/json`, at most "
        f"{CLICK_BODY_LIMIT:,} bytes. Answered 204 when accepted; a `search_id` this service "
        "did not draw and an article the live index does not hold are ignored, and nothing "
        "is recorded with analytics off. Nothing about the visitor is kept "
        "(docs/analytics.md).",
        responses={
            204: {
                "description": "Accepted (or ignored: an id the service did not draw, an "
                "unknown article, analytics off)."
            },
            413: error_doc(
                f"The body is larger than {CLICK_BODY_LIMIT:,} bytes (`body_too_large`).",
                "body_too_large",
                f"the body is larger than {CLICK_BODY_LIMIT:,} bytes",
            ),
            415: error_doc(
                "The body is not `text/plain` or `application/json` (`unsupported_media_type`).",
                "unsupported_media_type",
                "the body must be text/plain or application/json, not text/html",
            ),
            422: error_doc(
                "The body is not the report's JSON (`invalid_parameter`: the message names the "
                "field).",
                "invalid_parameter",
                "position: Input should be greater than or equal to 1",
            ),
            **NO_INDEX_DOC,
        },
        tags=["analytics"],
        openapi_extra=body_doc(ClickReport, CLICK_MEDIA_TYPES),
    )
    async def clicks(request: Request, engine: Engine, analytics: Analytics) -> Response:
        body = await read_body(request, CLICK_BODY_LIMIT, CLICK_MEDIA_TYPES)
        try:
            click = ClickReport.model_validate_json(body)
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from None
        if (
            analytics is not None
            and analytics.takes_click(click.search_id)
            and engine.has_article(click.article_id)
        ):
            analytics.opened(click.search_id, click.position, click.article_id)
        return Response(status_code=204)

    @app.get(
        "/admin/report",
        response_class=HTMLResponse,
        summary="Search analytics for editors",
        description="The figures of `search-service report` as a page, with charts. Off (404) "
        "unless `SEARCH_ADMIN_TOKEN` is set; the token is required, as `Authorization: Bearer "
        "TOKEN`, or as the password of HTTP Basic authentication (any user name: a browser "
        "asks for it). `days`: days covered, today (UTC) included, 1–3650, default 30.",
        responses={
            200: {"content": {"text/html": {}}, "description": "The report page."},
            401: error_doc(
                "The token is missing or wrong (`unauthorized`; `WWW-Authenticate: Basic`).",
                "unauthorized",
                admin.UNAUTHORIZED_MESSAGE,
            ),
            404: error_doc(
                "The report is off: `SEARCH_ADMIN_TOKEN` is not set (`not_found`).",
                "not_found",
                "Not Found",
            ),
            **INVALID_DOC,
        },
        tags=["analytics"],
        openapi_extra={"parameters": query_parameters(ReportQuery)},
    )
    async def admin_report(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        admin.authorise(settings, request.headers.get("authorization"))
        params = read_parameters(request, ReportQuery)
        # SQLite reads: on a thread, not on the event loop that answers searches.
        return await run_in_threadpool(admin.report_response, settings, params.days)


def _article_fields(stored: dict[str, Any]) -> dict[str, Any]:
    fields = {name: stored.get(name) for name in ArticleModel.model_fields}
    fields["body"] = fields.get("body") or ""
    fields["countries"] = list(stored.get("countries") or [])
    fields["partners"] = list(stored.get("partners") or [])
    fields["source"] = str(stored["source"]) if stored.get("source") is not None else None
    return fields
