"""What one search or one opened result becomes in the store, and nothing more.

A search is recorded as its normalised query (folded with `text.fold`, trimmed,
whitespace collapsed, capped at `MAX_QUERY_CHARS`), its filters, its number of
results and the day (UTC), under a random search id (`ids`). An opened result
as its search id, its position and the article id, and the day. No address,
no cookie, no user agent, no user id, no time finer than the day is ever
passed in: `Recorder` takes the core's `SearchRequest` and the click's three
fields, never the HTTP request.

`Recorder` is what the service calls on the request path: it checks or draws
the id and puts a record on the writer's queue (microseconds); the writer
thread does the SQLite work (`writer`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Final

from search_service.analytics.ids import SearchIds
from search_service.analytics.store import (
    AnalyticsStore,
    ClickRecord,
    Clock,
    SearchRecord,
    store_path,
    utc_today,
)
from search_service.analytics.writer import BatchWriter
from search_service.errors import AnalyticsStoreError
from search_service.search.results import SearchRequest
from search_service.settings import Settings
from search_service.text import fold

logger = logging.getLogger(__name__)

#: Characters of a normalised query kept: a pasted paragraph is not a query.
MAX_QUERY_CHARS: Final = 100
#: Characters of a filter value kept, and values kept per filter.
MAX_FILTER_CHARS: Final = 100
MAX_FILTER_VALUES: Final = 10


def normalise_query(q: str) -> str:
    """The query as the report groups it: "  Santé   Bénin " and "sante benin" are one."""
    return " ".join(fold(q).split())[:MAX_QUERY_CHARS].rstrip()


def used_filters(request: SearchRequest) -> tuple[tuple[str, str], ...]:
    """(name, value) of every filter of the request, values trimmed and capped."""
    if not _any_filter(request):
        return ()
    out: list[tuple[str, str]] = []
    for name, values in request.selections().items():
        kept = dict.fromkeys(value.strip()[:MAX_FILTER_CHARS] for value in values if value.strip())
        out.extend((name, value) for value in list(kept)[:MAX_FILTER_VALUES])
    for name, year in (("year_from", request.year_from), ("year_to", request.year_to)):
        if year is not None:
            out.append((name, str(year)))
    return tuple(out)


def _any_filter(request: SearchRequest) -> bool:
    return bool(
        request.country
        or request.partner
        or request.year
        or request.language
        or request.year_from is not None
        or request.year_to is not None
    )


def counts(request: SearchRequest) -> bool:
    """Whether a request is a search to count: page 1, with words or filters.

    Further pages are more of a search already counted; a bare `/search` (no
    words, no filters: the newest articles) is what monitors and crawlers send.
    """
    if request.page != 1:
        return False
    return bool(request.q.strip()) or bool(_any_filter(request) and used_filters(request))


class DayClock:
    """Today's UTC date, computed again only once the day is over (it is asked per search)."""

    def __init__(self) -> None:
        self._day = utc_today()
        self._until = _next_midnight(self._day)

    def __call__(self) -> dt.date:
        if time.time() >= self._until:
            self._day = utc_today()
            self._until = _next_midnight(self._day)
        return self._day


def _next_midnight(day: dt.date) -> float:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()


class Recorder:
    """The service's analytics on the request path: ids checked or drawn, records queued."""

    def __init__(self, ids: SearchIds, writer: BatchWriter, clock: Clock | None = None) -> None:
        self.ids = ids
        self.writer = writer
        self.clock = clock or DayClock()

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> Recorder | None:
        """The recorder of `settings`, its writer thread running; None when analytics are
        off or the store cannot be opened (logged: searching never depends on analytics)."""
        if not settings.analytics:
            return None
        path = store_path(settings.data_dir)
        try:
            with AnalyticsStore.open(path) as store:
                key = store.key()
        except AnalyticsStoreError as error:
            logger.warning("search analytics off: %s", error)
            return None
        writer = BatchWriter(path, retention_days=settings.analytics_days, clock=clock or utc_today)
        writer.start()
        return cls(SearchIds(key), writer, clock)

    def close(self) -> None:
        """Write what is queued and stop the writer (the app's shutdown)."""
        self.writer.close()

    def search_id(self, request: SearchRequest, given: str | None) -> str | None:
        """The id a search is answered with: `given` if this service drew it today, else a
        new one.

        None for a request that is never counted (`counts`). An id the service did not
        draw (forged, or from a store since replaced) is not used: a client cannot bring
        identifiers of its own into the store, and a widget holding a stale id still gets
        its search counted, under a new one. Nor is one drawn on an earlier day (a results
        page left open overnight): the search counts today, under a new id (`ids`).
        """
        if not counts(request):
            return None
        today = self.clock()
        if given is not None and self.ids.is_valid(given, today):
            return given
        return self.ids.draw(today)

    def takes_click(self, search_id: str) -> bool:
        """Whether a click reported with `search_id` is counted: an id drawn today, or
        yesterday (results opened just after midnight)."""
        today = self.clock()
        return self.ids.is_valid(search_id, today) or self.ids.is_valid(
            search_id, today - dt.timedelta(days=1)
        )

    def searched(self, request: SearchRequest, results: int, search_id: str) -> None:
        """Count a search (an id counts once: asked again, the first one stays)."""
        self.writer.put(
            SearchRecord(
                id=search_id,
                day=self.clock(),
                query=normalise_query(request.q),
                filters=used_filters(request),
                results=results,
            )
        )

    def opened(self, search_id: str, position: int, article_id: str) -> None:
        """Count an opened result (a position counts once per search)."""
        self.writer.put(
            ClickRecord(
                search_id=search_id, position=position, article_id=article_id, day=self.clock()
            )
        )
