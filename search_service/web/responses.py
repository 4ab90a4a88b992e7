"""What the API answers: the response models, which the OpenAPI schema at `/docs`
documents, and the JSON of searches and completions.

The core's results are serialised straight to JSON (`search_json`, `suggest_json`):
building the response models first would cost ten times more (0.6 ms for a page with
facets). Their shape is `SearchResponse`/`SuggestResponse`, which a test checks. orjson
writes them in half the time pydantic-core took for a page with its facets (about 100
`FacetValue`s), byte for byte the same (tests/api/test_response_json.py).
"""

from __future__ import annotations

from typing import Literal

import orjson
from pydantic import BaseModel, Field

from search_service.search.results import SearchResult, Suggestion


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
