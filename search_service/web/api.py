"""The HTTP API: thin FastAPI routes over the search core, one error shape.

Settings are built in `create_app` (never at import); the engine lives in the
app's state. Every 4xx and 5xx leaves through `error_response`, so the shape
`{"error": {"code": …, "message": …}}` is defined in exactly one place.
Responses are pydantic models (documented in the OpenAPI schema at `/docs`),
serialised by pydantic-core without a second validation pass.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Mapping,
    MutableMapping,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Final, Literal, TypeVar
from urllib.parse import parse_qsl, unquote_to_bytes

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_service.analytics.ids import ID_PATTERN
from search_service.analytics.recorder import Recorder
from search_service.analytics.report import DEFAULT_DAYS
from search_service.errors import (
    ArticleNotFoundError,
    BodyTooLargeError,
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
    MediaTypeError,
    QueryError,
    SearchServiceError,
    UnauthorizedError,
)
from search_service.search.engine import (
    MAX_RESULT_DEPTH,
    SearchEngine,
    SearchRequest,
    SearchResult,
    Suggestion,
)
from search_service.search.query import MAX_QUERY_BYTES
from search_service.search.watch import GenerationWatcher
from search_service.settings import Settings
from search_service.web import admin, widget
from search_service.web.pages import article_page, not_found_page, reader_language, wants_html
from search_service.web.security import SecurityHeaders, page_policy

logger = logging.getLogger("search_service.web.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# ---- response models --------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable error code, e.g. `invalid_parameter`.")
    message: str = Field(description="What is wrong, for a human.")


class ErrorResponse(BaseModel):
    error: ErrorBody = Field(description="The error; every 4xx and 5xx has this shape.")


class FacetValueModel(BaseModel):
    value: str = Field(description="The facet value (a country, partner, year or language).")
    count: int = Field(description="Results with this value, counted with every other filter.")
    selected: bool = Field(description="Whether this value is one of the request's filters.")


class FacetsModel(BaseModel):
    country: list[FacetValueModel] = Field(description="Countries the results mention.")
    partner: list[FacetValueModel] = Field(description="Partner organisations in the results.")
    year: list[FacetValueModel] = Field(description="Publication years, newest first.")
    language: list[FacetValueModel] = Field(description="Languages of the results (en, fr, es).")


class HitModel(BaseModel):
    id: str = Field(description="Article id; `/articles/{id}` serves the article.")
    title: str = Field(description="Article title (plain text, not escaped).")
    url: str | None = Field(description="The article's own URL, or null (link to /articles/{id}).")
    date: str | None = Field(description="Publication date (ISO 8601), or null when unknown.")
    year: int | None = Field(description="Publication year, or null when unknown.")
    language: str = Field(description="Language of the article: en, fr or es.")
    countries: list[str] = Field(description="Countries the article is about (canonical names).")
    partners: list[str] = Field(description="Partner organisations it mentions (canonical names).")
    snippet: str = Field(
        description="HTML: a passage of the body, escaped, with matched words in `<mark>`."
    )
    score: float = Field(description="Relevance score (comparable within one response only).")


class NoticeModel(BaseModel):
    code: Literal["words_dropped", "no_searchable_words", "empty_year_range", "beyond_depth"] = (
        Field(
            description="`words_dropped`: the query had more words than the service searches "
            "(`SEARCH_MAX_QUERY_WORDS`), the first ones were searched; `no_searchable_words`: "
            "the query holds no word (only symbols, punctuation or emoji), nothing was "
            "searched; `empty_year_range`: `year_from` is after `year_to`, nothing matches; "
            "`beyond_depth`: the page is past the first 10,000 results, which alone are served."
        )
    )
    message: str = Field(description="The same, for a human.")


class SearchResponse(BaseModel):
    query: str = Field(description="The query as received.")
    total: int = Field(description="Number of matching articles (all pages).")
    page: int = Field(description="Page number, from 1.")
    per_page: int = Field(description="Results per page.")
    took_ms: float = Field(description="Time spent searching, in milliseconds.")
    hits: list[HitModel] = Field(description="The results of this page, best first.")
    facets: FacetsModel = Field(description="Multi-select facet counts.")
    suggestion: str | None = Field(description="A corrected query (did you mean…), or null.")
    notice: NoticeModel | None = Field(
        description="How the query was read when the visitor should know (words left out, "
        "nothing searchable), else null."
    )
    search_id: str | None = Field(
        description="The id of this search, for `POST /clicks` and for counting a search "
        "answered with `typing=true` later; null for a page beyond the first, a request with "
        "neither words nor filters, or with analytics off."
    )


class SuggestionModel(BaseModel):
    text: str = Field(description="The completed query (or an article title).")
    kind: Literal["title", "word"] = Field(description="`title` of an article, or a `word`.")
    id: str | None = Field(description="The article id for a title, else null.")


class SuggestResponse(BaseModel):
    query: str = Field(description="The text typed so far, as received.")
    suggestions: list[SuggestionModel] = Field(description="Completions, most useful first.")


def _whole_number(value: Any) -> Any:
    """JSON's integer as JSON Schema counts it: `2.0` is 2 (`2.5`, `"2"`, `true` are not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ClickReport(BaseModel):
    """`POST /clicks`: which result of a search the visitor opened, and nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    search_id: str = Field(
        pattern=ID_PATTERN, description="The `search_id` of the response the result was in."
    )
    position: Annotated[int, BeforeValidator(_whole_number)] = Field(
        ge=1, le=MAX_RESULT_DEPTH, description="Its position in the results, from 1 (all pages)."
    )
    article_id: str = Field(min_length=1, max_length=512, description="The opened article's `id`.")


#: The largest `POST /clicks` body read. A report is about 100 bytes; the longest one the
#: schema allows, every character escaped as JSON may (`\uXXXX`, 12 bytes for a character
#: beyond the BMP), about 6,400: valid reports are never refused for their size.
CLICK_BODY_LIMIT: Final = 8192
#: The body types `POST /clicks` reads: `text/plain` is what `navigator.sendBeacon`
#: sends for a string, and needs no CORS preflight.
CLICK_MEDIA_TYPES: Final = ("text/plain", "application/json")


class HealthResponse(BaseModel):
    status: Literal["ok", "no_index", "index_damaged", "index_unreadable"] = Field(
        description="`ok` when an index is being served; `no_index` before the first publish, "
        "`index_damaged` when the live pointer is damaged and nothing was being served, or a "
        "file of the live generation is damaged (`search-service index rollback` repairs both); "
        "`index_unreadable` when the service may not read its index folder (permissions)."
    )
    generation: str | None = Field(
        description="Name of the live index generation (the damaged one, if that is the case)."
    )
    articles: int = Field(description="Articles in the live generation.")


class ArticleModel(BaseModel):
    id: str = Field(description="Article id.")
    title: str = Field(description="Title.")
    date: str | None = Field(default=None, description="Publication date (ISO 8601) or null.")
    year: int | None = Field(default=None, description="Publication year or null.")
    language: str = Field(description="en, fr or es.")
    countries: list[str] = Field(default_factory=list, description="Countries (canonical names).")
    partners: list[str] = Field(default_factory=list, description="Partners (canonical names).")
    url: str | None = Field(default=None, description="The article's own URL, or null.")
    summary: str | None = Field(default=None, description="Summary, when the source gave one.")
    body: str = Field(description="Full text of the article.")
    source: str | None = Field(default=None, description="The corpus file it was read from.")


# ---- request parameters -------------------------------------------------------------
#
# The routes read their query parameters themselves (`read_parameters`), by one
# rule for every route, and document them in the OpenAPI schema from the same
# models (`query_parameters`): FastAPI's per-parameter resolution cost 0.2 ms
# per request, a sixth of a whole search. The rule (docs/api.md, "Parameters"):
# unknown parameters are ignored; an empty value counts as absent; a parameter
# that takes one value, given several times, is refused with its name.

#: A page number of more digits than this is beyond any depth served (read as 10**18).
_PAGE_DIGITS: Final = 18

#: An integer as the schema's `integer` is written in a URL: a sign, ASCII digits.
_WIRE_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


def _integer_as_written(value: Any) -> Any:
    """Refuse what pydantic would read as an integer but the schema does not call one
    (`5.0`, `1_000`, ` 5`, `٥`): the service takes exactly what its schema says."""
    if isinstance(value, str) and not _WIRE_INTEGER.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return value


#: An integer parameter (the last validator runs first).
WireInt = Annotated[int, BeforeValidator(_integer_as_written)]
#: Years, in filters and ranges alike.
Year = Annotated[int, Field(ge=1, le=9999), BeforeValidator(_integer_as_written)]


def _beyond_any_depth(value: Any) -> Any:
    """A page number too long to parse is still a page too deep, not a malformed one.

    Leading zeros are no depth: `0000000000000000000001` is page 1.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit():
        digits = value.lstrip("0") or "0"
        return 10**_PAGE_DIGITS if len(digits) > _PAGE_DIGITS else digits
    return value


def _lowercase(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


#: A language code in any case (`EN` is `en`), as the schema says it: a pattern.
Language = Annotated[
    Literal["en", "fr", "es"],
    BeforeValidator(_lowercase),
    WithJsonSchema({"type": "string", "pattern": "^(?:[eE][nN]|[fF][rR]|[eE][sS])$"}),
]


class SearchQuery(BaseModel):
    """The parameters of `/search`, validated in one pass by pydantic-core."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(
        default="",
        description="The query (empty: browse, newest first), at most "
        f"{MAX_QUERY_BYTES:,} bytes of UTF-8 (`query_too_long` beyond). Words past "
        "`SEARCH_MAX_QUERY_WORDS` are left out and the response's `notice` says so.",
    )
    country: list[str] = Field(
        default=[],
        description="Filter by country (repeatable, OR). Any name the vocabulary knows, in any "
        "case and with or without accents (`benin`, `Ivory Coast`), selects the canonical "
        "value (`Benin`, `Côte d'Ivoire`); a name of nothing known selects nothing.",
    )
    partner: list[str] = Field(
        default=[],
        description="Filter by partner (repeatable, OR); names and acronyms are read as for "
        "`country` (`iam` selects `AIM`).",
    )
    year: list[Year] = Field(default=[], description="Filter by year, 1–9999 (repeatable, OR).")
    language: list[Language] = Field(
        default=[], description="Filter by language (repeatable, OR), in any case (`EN` is `en`)."
    )
    year_from: Year | None = Field(default=None, description="Only articles from this year on.")
    year_to: Year | None = Field(default=None, description="Only articles up to this year.")
    sort: Literal["relevance", "newest", "oldest"] = Field(
        default="relevance", description="Order of the results."
    )
    page: Annotated[
        int, BeforeValidator(_beyond_any_depth), BeforeValidator(_integer_as_written)
    ] = Field(
        default=1,
        ge=1,
        description="Page number, from 1. Only the first 10,000 results are served: a page "
        "with `page × per_page` beyond 10,000 is empty (`hits: []`), however large the number.",
    )
    per_page: WireInt = Field(default=10, ge=1, le=100, description="Results per page.")
    typing: bool = Field(
        default=False,
        description="`true`: the visitor is still typing; answered, not counted in the "
        "search analytics (docs/analytics.md).",
    )
    search_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="The `search_id` of an earlier response for the same search: the search "
        "is counted under it (once, however often it is sent that day). Ids are drawn by the "
        "service, each for its day (UTC): one it did not draw, or drew on an earlier day, is "
        "not used (the search is counted under a new one).",
    )

    def request(self) -> SearchRequest:
        return SearchRequest(
            q=self.q,
            country=tuple(self.country),
            partner=tuple(self.partner),
            year=tuple(str(value) for value in self.year),
            language=tuple(self.language),
            year_from=self.year_from,
            year_to=self.year_to,
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )


class SuggestQuery(BaseModel):
    """The parameters of `/suggest`."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(
        default="",
        description=f"The text typed so far, at most {MAX_QUERY_BYTES:,} bytes of UTF-8; "
        "the last word is completed.",
    )
    limit: WireInt = Field(default=8, ge=1, le=20, description="Most completions returned.")


class ReportQuery(BaseModel):
    """The parameters of `/admin/report`."""

    model_config = ConfigDict(extra="ignore")

    days: WireInt = Field(
        default=DEFAULT_DAYS, ge=1, le=3650, description="Days covered, today (UTC) included."
    )


_Parameters = TypeVar("_Parameters", bound=BaseModel)


def _repeatable(info: FieldInfo) -> bool:
    return isinstance(info.default, list)


@cache
def _free_text(model: type[BaseModel]) -> frozenset[str]:
    """Parameters taking any text but `q` (`country`, `partner`): blank ones count as absent."""
    properties = model.model_json_schema()["properties"]
    return frozenset(
        name
        for name in model.model_fields
        if name != "q" and not _empty_means_absent(_without_null(dict(properties[name])))
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    """How one parameter of a model is read from the query string."""

    repeatable: bool
    #: Free text (`country`): a blank value counts as absent.
    blank_is_absent: bool
    #: Any parameter but `q` (whose empty value means browse): an empty value is absent.
    empty_is_absent: bool

    def counts(self, value: str) -> bool:
        if self.blank_is_absent:
            return bool(value.strip())
        return bool(value) or not self.empty_is_absent


@cache
def _rules(model: type[BaseModel]) -> dict[str, _Rule]:
    """Each parameter's rule, in the model's field order, worked out once per model."""
    free_text = _free_text(model)
    return {
        name: _Rule(_repeatable(info), name in free_text, name != "q")
        for name, info in model.model_fields.items()
    }


def read_parameters(request: Request, model: type[_Parameters]) -> _Parameters:
    """A route's query parameters, by the API's rule (422 `invalid_parameter` if invalid)."""
    rules = _rules(model)
    given: dict[str, list[str]] = {}
    for name, value in _query_items(request):
        rule = rules.get(name)
        if rule is not None and rule.counts(value):
            given.setdefault(name, []).append(value)
    data: dict[str, Any] = {}
    for name, rule in rules.items():  # in field order: the first repeated one is named
        values = given.get(name)
        if rule.repeatable:
            # Given even when absent: pydantic deep-copies a default list for each model.
            data[name] = values or []
        elif values is None:
            continue
        elif len(values) == 1:
            data[name] = values[0]
        else:
            raise RequestValidationError(
                [
                    {
                        "type": "repeated_parameter",
                        "loc": ("query", name),
                        "msg": f"given {len(values)} times; this parameter takes one value",
                        "input": values,
                    }
                ]
            )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(
            [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
        ) from None


def _query_items(request: Request) -> list[tuple[str, str]]:
    """The query string's (name, value) pairs, in order, as `request.query_params` reads
    them, without the multi-dictionary it builds of them (a per-request cost)."""
    return parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`int | None` is an optional parameter, not one that can be sent as null."""
    variants = schema.pop("anyOf", None)
    if variants is not None:
        [kept] = [variant for variant in variants if variant.get("type") != "null"]
        schema = {**kept, **schema}
    return schema


def _empty_means_absent(schema: dict[str, Any]) -> bool:
    """Whether the schema must say that an empty value is accepted (as absent).

    By the API's rule, an empty value of any parameter but `q` is the same as
    leaving it out; a free text parameter (`q`, `country`) takes "" anyway.
    """
    values = schema.get("items", schema)
    constrained = {"enum", "pattern", "minLength", "format"} & set(values)
    return values.get("type") != "string" or bool(constrained)


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI descriptions of query parameters read from a model's fields."""
    properties = model.model_json_schema()["properties"]
    out = []
    for name, info in model.model_fields.items():
        schema = _without_null(dict(properties[name]))
        description = schema.pop("description", info.description)
        schema.pop("title", None)
        out.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": _one_or_several(schema) if _repeatable(info) else schema,
                **({"style": "form", "explode": True} if _repeatable(info) else {}),
                **({"allowEmptyValue": True} if _empty_means_absent(schema) else {}),
            }
        )
    return out


def _one_or_several(schema: dict[str, Any]) -> dict[str, Any]:
    """A repeatable parameter's schema: one value, or several (the parameter repeated).

    Given once, `country=Benin` is one value, not an array of one: the schema says
    both, so a client (or a contract checker) that sends a single value is right.
    Free text is `type: [array, string]` (a single value is any text); other values
    are `anyOf` the value and an array of them.
    """
    item = dict(schema["items"])
    if item == {"type": "string"}:
        return {"type": ["array", "string"], "items": item, "default": schema.get("default", [])}
    return {"anyOf": [item, {"type": "array", "items": item}], "default": schema.get("default", [])}


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
    Added to the app's own router (`add_direct_routes`), not an included one,
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


# ---- errors: the one place ----------------------------------------------------------

ERROR_STATUS: dict[type[SearchServiceError], int] = {
    QueryError: 422,
    ArticleNotFoundError: 404,
    IndexNotFoundError: 503,
    DamagedPointerError: 503,
    DamagedGenerationError: 503,
    IndexAccessError: 503,
    UnauthorizedError: 401,
    BodyTooLargeError: 413,
    MediaTypeError: 415,
}
#: Headers an error is answered with: a 401 asks a browser for the token (docs/analytics.md).
ERROR_HEADERS: dict[type[SearchServiceError], dict[str, str]] = {
    UnauthorizedError: {"WWW-Authenticate": admin.CHALLENGE},
}
#: What the visitor is told instead of the error's own message, which is for the
#: operator (the CLI prints it): it names the server's folders.
PUBLIC_MESSAGES: dict[type[SearchServiceError], str] = {
    IndexNotFoundError: "no index has been published yet; run `search-service index build`",
    DamagedPointerError: (
        "the index's live pointer is damaged; the administrator should run "
        "`search-service index rollback`"
    ),
    DamagedGenerationError: (
        "a file of the live index is damaged; the administrator should run "
        "`search-service index rollback`"
    ),
    IndexAccessError: (
        "the service may not read its index; the administrator should check the index "
        "folder's permissions"
    ),
}
INTERNAL_ERROR_MESSAGE: Final = "the service failed; try again later"
#: An article of the shipped corpus, the example of `/articles/{id}` (a test keeps it true).
SHIPPED_ARTICLE: Final = "articles/000_197affed672c23d7"
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}


def error_body(code: str, message: str) -> bytes:
    """The JSON of every error the service answers (the HTTP layer's own included)."""
    return ErrorResponse(error=ErrorBody(code=code, message=message)).model_dump_json().encode()


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Every error response of the API is built here."""
    return Response(
        error_body(code, message),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def uri_too_long(limit: int) -> tuple[int, str, str]:
    """Status, code and message of a request target beyond `SEARCH_MAX_URL_BYTES`."""
    message = f"the URL is longer than {limit:,} bytes; shorten the query or the filters"
    return 414, "uri_too_long", message


def headers_too_large(limit: int) -> tuple[int, str, str]:
    """Status, code and message of request headers beyond `SEARCH_MAX_HEADER_BYTES`."""
    return 431, "headers_too_large", f"the request headers take more than {limit:,} bytes"


def internal_error_response() -> Response:
    """The answer to a bug: no details leak (they are logged where it was caught)."""
    return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for detail in error.errors():
        location = [str(item) for item in detail.get("loc", ()) if item not in ("query", "path")]
        name = location[0] if location else "request"
        parts.append(f"{name}: {detail.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return error_response(422, "invalid_parameter", _validation_message(error))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        headers = dict(error.headers or {})
        if error.status_code == 405 and "Allow" in headers:
            headers["Allow"] = allowed_methods(headers["Allow"])
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail), headers)

    async def on_service(request: Request, error: Exception) -> Response:
        assert isinstance(error, SearchServiceError)
        if isinstance(error, ArticleNotFoundError):
            return article_not_found_response(request, error)
        status = next(
            (s for kind, s in ERROR_STATUS.items() if isinstance(error, kind)),
            500,
        )
        if status == 500:
            logger.exception("service error on %s", request.url.path, exc_info=error)
            return internal_error_response()
        message = next(
            (text for kind, text in PUBLIC_MESSAGES.items() if isinstance(error, kind)),
            str(error),
        )
        headers = next(
            (fields for kind, fields in ERROR_HEADERS.items() if isinstance(error, kind)), None
        )
        return error_response(status, str(error.code), message, headers)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(SearchServiceError, on_service)


def article_not_found_response(request: Request, error: ArticleNotFoundError) -> Response:
    """404 for an unknown article: a page for a browser following a link, else the error shape.

    HTML on the same rule as the article itself (`Accept`), in the reader's language.
    """
    if wants_html(request.headers.get("accept", "")):
        language = reader_language(request.headers.get("accept-language", ""))
        article_id = str(request.path_params.get("article_id", ""))
        response: Response = HTMLResponse(not_found_page(article_id, language), status_code=404)
        response.headers["Vary"] = "Accept, Accept-Language"
        return response
    response = error_response(404, str(error.code), str(error))
    response.headers["Vary"] = "Accept"
    return response


#: The order methods are listed in by `Allow`.
_METHOD_ORDER: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(allow: str) -> str:
    """The `Allow` header of a route (RFC 9110): its methods, HEAD with GET (`RequestGuard`
    answers it), and OPTIONS, which every route answers (204 with this header, or a CORS
    preflight)."""
    methods = {method.strip().upper() for method in allow.split(",") if method.strip()}
    methods |= {"HEAD", "OPTIONS"} if "GET" in methods else {"OPTIONS"}
    ordered = sorted(
        methods,
        key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER), m),
    )
    return ", ".join(ordered)


def _error_doc(description: str, code: str, message: str) -> dict[str, Any]:
    """The OpenAPI entry of an error response: the error model and an example."""
    example = {"error": {"code": code, "message": message}}
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


def _article_not_found_doc() -> dict[str, Any]:
    doc = _error_doc(
        "No article with this id (`article_not_found`); a page saying so, in the reader's "
        "language (`Accept-Language`: en, fr or es), when the client asks for HTML.",
        "article_not_found",
        "no article with id 'articles/nope'",
    )
    doc["content"]["text/html"] = {"schema": {"type": "string"}}
    return doc


#: Error responses in the OpenAPI schema, by what a route can answer.
ResponseDocs = dict[int | str, dict[str, Any]]
INVALID_DOC: Final[ResponseDocs] = {
    422: _error_doc(
        "A parameter is invalid (`invalid_parameter`, `query_too_long`) or the URL is not "
        "UTF-8 (`invalid_encoding`); the message names the parameter.",
        "invalid_parameter",
        "per_page: Input should be less than or equal to 100",
    )
}
NO_INDEX_DOC: Final[ResponseDocs] = {
    503: _error_doc(
        "No index has been published yet (`index_not_found`), the live index is damaged "
        "(`index_damaged`: `search-service index rollback` repairs it), or the worker is "
        "answering `SEARCH_LIMIT_CONCURRENCY` requests already (`overloaded`, with "
        "`Retry-After`).",
        "index_not_found",
        PUBLIC_MESSAGES[IndexNotFoundError],
    )
}
#: What any route can answer: the HTTP layer's refusals and a bug.
ANY_ROUTE_DOC: Final[ResponseDocs] = {
    400: _error_doc(
        "The request is not valid HTTP/1.1 (`bad_request`; answered by `serve`'s HTTP layer).",
        "bad_request",
        "the request is not valid HTTP/1.1",
    ),
    408: _error_doc(
        "The request was not received within `SEARCH_REQUEST_READ_TIMEOUT` seconds "
        "(`request_timeout`; the connection is closed).",
        "request_timeout",
        "the request was not sent within 10 s",
    ),
    414: _error_doc(
        "The URL (path and query, percent-encoded) is longer than `SEARCH_MAX_URL_BYTES` "
        "(`uri_too_long`).",
        *uri_too_long(16384)[1:],
    ),
    431: _error_doc(
        "The request headers are larger than `SEARCH_MAX_HEADER_BYTES` (`headers_too_large`).",
        *headers_too_large(32768)[1:],
    ),
    500: _error_doc(
        "A bug (`internal_error`); the details are logged, never sent.",
        "internal_error",
        INTERNAL_ERROR_MESSAGE,
    ),
}


# ---- middleware ---------------------------------------------------------------------
#
# Four pure ASGI layers (no per-request task or stream wrapping, so each costs
# microseconds), installed in `create_app` in this order, outermost first:
#
#   RequestLog       one line per request, CORS preflights and 500s included;
#   SecurityHeaders  nosniff, Referrer-Policy and a page CSP on every response (`security`);
#   CORSMiddleware   its headers on every response below it: errors, 500s, HEAD;
#   RequestGuard     HEAD answered as GET, over-long URLs and headers and non-UTF-8
#                    URLs refused, a bug made a JSON 500.
#
# Starlette's own 500 handler sits outside every middleware (its responses would
# carry no CORS headers), which is why the guard turns bugs into responses itself.


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
    # The last added runs first: RequestLog, SecurityHeaders, CORS, the guard ("middleware").
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
            404: _article_not_found_doc(),
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


async def read_body(request: Request, limit: int, media_types: tuple[str, ...]) -> bytes:
    """The request's body, refused (`MediaTypeError`, `BodyTooLargeError`) unless it is of
    one of `media_types` and at most `limit` bytes, read no further than that."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in media_types:
        raise MediaTypeError(
            f"the body must be {' or '.join(media_types)}, not {media_type or 'untyped'}"
        )
    too_large = BodyTooLargeError(f"the body is larger than {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return body


def _body_doc(model: type[BaseModel], media_types: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads `model` as JSON itself."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": schema} for media_type in media_types},
        }
    }


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
            413: _error_doc(
                f"The body is larger than {CLICK_BODY_LIMIT:,} bytes (`body_too_large`).",
                "body_too_large",
                f"the body is larger than {CLICK_BODY_LIMIT:,} bytes",
            ),
            415: _error_doc(
                "The body is not `text/plain` or `application/json` (`unsupported_media_type`).",
                "unsupported_media_type",
                "the body must be text/plain or application/json, not text/html",
            ),
            422: _error_doc(
                "The body is not the report's JSON (`invalid_parameter`: the message names the "
                "field).",
                "invalid_parameter",
                "position: Input should be greater than or equal to 1",
            ),
            **NO_INDEX_DOC,
        },
        tags=["analytics"],
        openapi_extra=_body_doc(ClickReport, CLICK_MEDIA_TYPES),
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
            401: _error_doc(
                "The token is missing or wrong (`unauthorized`; `WWW-Authenticate: Basic`).",
                "unauthorized",
                admin.UNAUTHORIZED_MESSAGE,
            ),
            404: _error_doc(
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


#: The core's results serialised straight to JSON: building the response models
#: first would cost ten times more (0.6 ms for a page with facets). Their shape is
#: `SearchResponse`/`SuggestResponse`, which a test checks. orjson writes them in
#: half the time pydantic-core took for a page with its facets (about 100
#: `FacetValue`s), byte for byte the same (tests/api/test_response_json.py).


def search_json(result: SearchResult, search_id: str | None = None) -> bytes:
    """A `SearchResponse` document for a core result (and its analytics id, if any).

    The id is given apart: the cached results carry no id of their own (each
    request draws one).
    """
    return orjson.dumps(
        {
            "query": result.query,
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "took_ms": result.took_ms,
            "hits": result.hits,
            "facets": result.facets,
            "suggestion": result.suggestion,
            "notice": result.notice,
            "search_id": search_id,
        }
    )


def suggest_json(query: str, found: list[Suggestion]) -> bytes:
    """A `SuggestResponse` document."""
    return orjson.dumps({"query": query, "suggestions": found})


def _article_fields(stored: dict[str, Any]) -> dict[str, Any]:
    fields = {name: stored.get(name) for name in ArticleModel.model_fields}
    fields["body"] = fields.get("body") or ""
    fields["countries"] = list(stored.get("countries") or [])
    fields["partners"] = list(stored.get("partners") or [])
    fields["source"] = str(stored["source"]) if stored.get("source") is not None else None
    return fields
