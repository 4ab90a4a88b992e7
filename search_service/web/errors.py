"""The HTTP face of the service's errors: the one error shape, built in one place.

The shape `{"error": {"code": …, "message": …}}` is made here only: the app's errors
by `error_response`, the refusals of `serve`'s HTTP layer by `error_body`.
`install_error_handlers` maps the errors of `search_service.errors` to their status,
and the `*_DOC` entries document them in the OpenAPI schema. The exceptions:
`/health`'s 503 is its own `HealthResponse`, an unknown article asked for by a browser
gets an HTML page, and a CORS preflight that Starlette's middleware refuses gets its
plain-text 400.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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
from search_service.web import admin
from search_service.web.pages import not_found_page, reader_language, wants_html
from search_service.web.responses import ErrorBody, ErrorResponse

#: The API's log, the name operators filter by: the request lines
#: (`middleware.RequestLog`), the errors, and the app's own messages (`api`).
API_LOG: Final = "search_service.web.api"
logger = logging.getLogger(API_LOG)


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
    """The `Allow` header of a route (RFC 9110): its methods, HEAD with GET
    (`middleware.RequestGuard` answers it), and OPTIONS, which every route answers
    (204 with this header, or a CORS preflight)."""
    methods = {method.strip().upper() for method in allow.split(",") if method.strip()}
    methods |= {"HEAD", "OPTIONS"} if "GET" in methods else {"OPTIONS"}
    ordered = sorted(
        methods,
        key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER), m),
    )
    return ", ".join(ordered)


def error_doc(description: str, code: str, message: str) -> dict[str, Any]:
    """The OpenAPI entry of an error response: the error model and an example."""
    example = {"error": {"code": code, "message": message}}
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


def article_not_found_doc() -> dict[str, Any]:
    doc = error_doc(
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
    422: error_doc(
        "A parameter is invalid (`invalid_parameter`, `query_too_long`) or the URL is not "
        "UTF-8 (`invalid_encoding`); the message names the parameter.",
        "invalid_parameter",
        "per_page: Input should be less than or equal to 100",
    )
}
NO_INDEX_DOC: Final[ResponseDocs] = {
    503: error_doc(
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
    400: error_doc(
        "The request is not valid HTTP/1.1 (`bad_request`; answered by `serve`'s HTTP layer).",
        "bad_request",
        "the request is not valid HTTP/1.1",
    ),
    408: error_doc(
        "The request was not received within `SEARCH_REQUEST_READ_TIMEOUT` seconds "
        "(`request_timeout`; the connection is closed).",
        "request_timeout",
        "the request was not sent within 10 s",
    ),
    414: error_doc(
        "The URL (path and query, percent-encoded) is longer than `SEARCH_MAX_URL_BYTES` "
        "(`uri_too_long`).",
        *uri_too_long(16384)[1:],
    ),
    431: error_doc(
        "The request headers are larger than `SEARCH_MAX_HEADER_BYTES` (`headers_too_large`).",
        *headers_too_large(32768)[1:],
    ),
    500: error_doc(
        "A bug (`internal_error`); the details are logged, never sent.",
        "internal_error",
        INTERNAL_ERROR_MESSAGE,
    ),
}
