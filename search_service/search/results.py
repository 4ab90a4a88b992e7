"""What the search core takes and gives: the request, and the results, hits, notices
and suggestions it answers with (no HTTP: `web.responses` writes them as JSON); and
what a hit shows of an article (`Shown`, read from the view's stored columns or the
segments' stored fields, whose facet values `stored_values` and `split_stored` split).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from search_service.index.compiled_view import FOLDED_BODY
from search_service.index.schema import VALUE_SEPARATOR
from search_service.search.facets import FacetValue

Sort = Literal["relevance", "newest", "oldest"]


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a visitor asks for; every filter is a tuple of values (OR within, AND across)."""

    q: str = ""
    country: tuple[str, ...] = ()
    partner: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 10
    snippets: bool = True

    def selections(self) -> dict[str, tuple[str, ...]]:
        return {
            "country": self.country,
            "partner": self.partner,
            "year": self.year,
            "language": self.language,
        }


#: Results (`SearchHit`, `Notice`, `Suggestion`) are dataclasses without `__slots__`:
#: orjson writes the `__dict__` of a dataclass (web.responses) five times faster than one
#: with slots. `SearchHit`, made a few times per search, is not frozen either: a frozen
#: dataclass of ten fields costs 1.5 µs to create, a plain one 0.6 µs. Each answer has
#: its own, cached or not (the cache keeps them packed: `engine._KeptResult`).
@dataclass
class SearchHit:
    id: str
    title: str
    url: str | None
    date: str | None
    year: int | None
    language: str
    countries: tuple[str, ...]
    partners: tuple[str, ...]
    snippet: str
    score: float


@dataclass(frozen=True)
class Notice:
    """Something the visitor should know about how the query was read."""

    code: Literal["words_dropped", "no_searchable_words", "empty_year_range", "beyond_depth"]
    message: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: tuple[SearchHit, ...]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    generation: str
    notice: Notice | None = None


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: Literal["title", "word"]
    id: str | None


@dataclass(slots=True)
class Shown:
    """What a result shows of an article, read once from its stored fields.

    Not frozen: one is made for each hit of each search from the compiled view's row,
    and a frozen dataclass of ten fields costs 1.5 µs to make against 0.6 µs (about 7 µs
    of a search's 540 on the 5k bench mix). Nothing changes one once made.
    """

    id: str
    title: str
    url: str | None
    date: str | None
    year: int | None
    language: str
    countries: tuple[str, ...]
    partners: tuple[str, ...]
    body: str
    #: The body as snippets search it (its first `HIGHLIGHTED_CHARS`, folded by
    #: `text.fold_to_words`), when the view keeps it.
    folded_body: str | None = None
    #: Whether that part of the body is `text.is_plain`, as the view knows (False: not known).
    plain_body: bool = False

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Shown:
        return cls(
            id=str(stored.get("id")),
            title=str(stored.get("title") or ""),
            url=stored.get("url") or None,
            date=stored.get("date") or None,
            year=int(stored["year"]) if stored.get("year") else None,
            language=str(stored.get("language") or ""),
            countries=split_stored(stored.get("country")),
            partners=split_stored(stored.get("partner")),
            body=str(stored.get("body") or ""),
            folded_body=stored.get(FOLDED_BODY),
        )

    @classmethod
    def of_row(cls, texts: Sequence[str | None], year: int, plain_body: bool) -> Shown:
        """From a compiled view's stored `row`: the same as `of` its `fields`."""
        ident, title, url, date, language, country, partner, body, folded_body = texts
        return cls(
            id=str(ident),
            title=title or "",
            url=url or None,
            date=date or None,
            year=year or None,
            language=language or "",
            countries=stored_values(country),
            partners=stored_values(partner),
            body=body or "",
            folded_body=folded_body or None,
            plain_body=plain_body,
        )


def stored_values(text: str | None) -> tuple[str, ...]:
    """A stored facet's values ("France, Senegal"); most hold one, which is not split.

    A hit's row gives text or nothing, so no type is told apart; without that check, and
    with a list rather than a generator, about 20,000 instructions a search less on the
    5k bench's list.
    """
    if not text:
        return ()
    if VALUE_SEPARATOR not in text:
        one = text.strip()
        return (one,) if one else ()
    return tuple([stripped for value in text.split(VALUE_SEPARATOR) if (stripped := value.strip())])


def split_stored(value: Any) -> tuple[str, ...]:
    """`stored_values` of Whoosh's stored fields, which may hold a list."""
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return stored_values(str(value) if value else None)
