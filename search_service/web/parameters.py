"""What a request gives the API: its query parameters, and the body of `POST /clicks`.

The routes read their query parameters themselves (`read_parameters`), by one rule
for every route, and document them in the OpenAPI schema from the same models
(`query_parameters`): FastAPI's per-parameter resolution cost 0.2 ms per request, a
sixth of a whole search. The rule (docs/api.md, "How parameters are read"): unknown
parameters are ignored; an empty value counts as absent; a parameter that takes one
value, given several times, is refused with its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Final, Literal, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from search_service.analytics.ids import ID_PATTERN
from search_service.analytics.report import DEFAULT_DAYS
from search_service.errors import BodyTooLargeError, MediaTypeError
from search_service.search.engine import MAX_RESULT_DEPTH
from search_service.search.query import MAX_QUERY_BYTES
from search_service.search.results import SearchRequest

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


def body_doc(model: type[BaseModel], media_types: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads `model` as JSON itself."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": schema} for media_type in media_types},
        }
    }
