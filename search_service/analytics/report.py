"""The figures editors read: `search-service report` and the page at `/admin/report`.

Over the last `days` days (today, UTC, included): searches per day, the top
queries, those that found nothing, those whose results nobody opened, the
click-through rate and mean position of opened results, the top filters. One
model (`Report`), printed as a table on a terminal (rich), as JSON for scripts
(`--json`), or drawn as HTML (`page`).

The click-through rate is the share of searches with results from which at
least one result was opened; a click counts with the day of its search.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Final

from pydantic import BaseModel, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from search_service.analytics.store import AnalyticsStore, store_path, utc_today
from search_service.errors import VocabularyError
from search_service.ingest.corpus_root import SHIPPED_VOCABULARY, VOCABULARY_DIR, vocabulary_of
from search_service.ingest.synonyms import SYNONYMS_FILE
from search_service.settings import Settings

#: Rows of each "top" list.
TOP: Final = 20
#: Days covered when none are asked for.
DEFAULT_DAYS: Final = 30
#: How a search without words (filters only) is shown.
FILTERS_ONLY: Final = "(no words: filters only)"


class DayFigures(BaseModel):
    day: dt.date = Field(description="The day (UTC).")
    searches: int = Field(description="Searches counted that day.")
    no_result: int = Field(description="Of those, searches that found nothing.")


class QueryFigures(BaseModel):
    query: str = Field(description="The normalised query (folded, spaces collapsed); '' = none.")
    searches: int = Field(description="Times it was searched.")
    no_result: int = Field(description="Times it found nothing.")
    opened: int = Field(description="Searches of it from which a result was opened.")


class FilterFigures(BaseModel):
    filter: str = Field(description="country, partner, year, language, year_from or year_to.")
    value: str = Field(description="The value filtered on.")
    searches: int = Field(description="Searches that used it.")


class Help(BaseModel):
    """What an editor can do about a query that finds nothing."""

    synonyms_file: str = Field(description="The synonyms file of the corpus (full path).")
    vocabulary_note: str | None = Field(
        description="What to do first when the corpus has no vocabulary folder of its own."
    )
    synonyms_line: str = Field(description="The line to add to it, for the top no-result query.")
    rebuild_command: str = Field(description="The command that makes a synonym count.")
    organisations_command: str = Field(
        description="The command listing the organisations discovered in the corpus and "
        "proposed for its vocabulary (`--accept NAME` adds one)."
    )


class Report(BaseModel):
    store: str = Field(description="The analytics store read (full path).")
    recorded: bool = Field(description="Whether the store exists (false: nothing recorded yet).")
    first_day: dt.date = Field(description="First day covered (UTC).")
    last_day: dt.date = Field(description="Last day covered: today (UTC).")
    days: int = Field(description="Days covered.")
    retention_days: int = Field(description="Days the store keeps (`SEARCH_ANALYTICS_DAYS`).")
    searches: int = Field(description="Searches counted.")
    with_results: int = Field(description="Searches that found something.")
    no_result: int = Field(description="Searches that found nothing.")
    no_result_rate: float | None = Field(description="no_result / searches (null: none).")
    opened_searches: int = Field(description="Searches with results from which one was opened.")
    click_through_rate: float | None = Field(
        description="opened_searches / with_results (null: no search found anything)."
    )
    opened_results: int = Field(description="Results opened (a result counts once per search).")
    mean_position: float | None = Field(
        description="Mean position of the opened results, from 1 (null: none opened)."
    )
    per_day: list[DayFigures] = Field(description="Every day covered, oldest first.")
    top_queries: list[QueryFigures] = Field(description="Most searched queries.")
    no_result_queries: list[QueryFigures] = Field(description="Most searched with no result.")
    unopened_queries: list[QueryFigures] = Field(
        description="Most searched queries that found something, none of it ever opened."
    )
    top_filters: list[FilterFigures] = Field(description="Most used filter values.")
    help: Help = Field(description="What to do about queries that find nothing.")


def build_report(
    settings: Settings, days: int = DEFAULT_DAYS, today: dt.date | None = None
) -> Report:
    """The figures of the store of `settings` (rows past the retention deleted first)."""
    today = today or utc_today()
    first = today - dt.timedelta(days=days - 1)
    path = store_path(settings.data_dir)
    report = Report(
        store=str(path.resolve()),
        recorded=path.exists(),
        first_day=first,
        last_day=today,
        days=days,
        retention_days=settings.analytics_days,
        searches=0,
        with_results=0,
        no_result=0,
        no_result_rate=None,
        opened_searches=0,
        click_through_rate=None,
        opened_results=0,
        mean_position=None,
        per_day=[],
        top_queries=[],
        no_result_queries=[],
        unopened_queries=[],
        top_filters=[],
        help=_help(settings, None),
    )
    if report.recorded:
        with AnalyticsStore.open(path) as store:
            store.prune(today, settings.analytics_days)
            _fill(report, store, (first.isoformat(), today.isoformat()))
    report.per_day = _every_day(report.per_day, first, today)
    top_missing = report.no_result_queries[0].query if report.no_result_queries else None
    report.help = _help(settings, top_missing)
    return report


#: Searches of the window, each with whether a result of it was opened.
_WINDOW: Final = """
    WITH recent AS (
        SELECT s.id, s.day, s.query, s.results,
               EXISTS (SELECT 1 FROM clicks c WHERE c.search_id = s.id) AS opened
        FROM searches s WHERE s.day BETWEEN ? AND ?
    )
"""


def _fill(report: Report, store: AnalyticsStore, window: tuple[str, str]) -> None:
    [(searches, no_result, with_results, opened)] = store.rows(
        _WINDOW + "SELECT COUNT(*), COALESCE(SUM(results = 0), 0), COALESCE(SUM(results > 0), 0), "
        "COALESCE(SUM(opened AND results > 0), 0) FROM recent",
        window,
    )
    report.searches, report.no_result = searches, no_result
    report.with_results, report.opened_searches = with_results, opened
    report.no_result_rate = _ratio(no_result, searches)
    report.click_through_rate = _ratio(opened, with_results)
    [(clicks, mean_position)] = store.rows(
        "SELECT COUNT(*), AVG(c.position) FROM clicks c JOIN searches s ON s.id = c.search_id "
        "WHERE s.day BETWEEN ? AND ?",
        window,
    )
    report.opened_results = clicks
    report.mean_position = round(mean_position, 2) if mean_position is not None else None
    report.per_day = [
        DayFigures(day=dt.date.fromisoformat(day), searches=n, no_result=none)
        for day, n, none in store.rows(
            _WINDOW + "SELECT day, COUNT(*), SUM(results = 0) FROM recent GROUP BY day", window
        )
    ]
    by_query = (
        _WINDOW
        + "SELECT query, COUNT(*) AS n, SUM(results = 0) AS n_none, SUM(opened) AS n_opened "
        "FROM recent GROUP BY query {having} ORDER BY {order} n DESC, query LIMIT ?"
    )
    report.top_queries = _queries(store, by_query.format(having="", order=""), window)
    report.no_result_queries = _queries(
        store, by_query.format(having="HAVING n_none > 0", order="n_none DESC,"), window
    )
    report.unopened_queries = _queries(
        store, by_query.format(having="HAVING n_none < n AND n_opened = 0", order=""), window
    )
    report.top_filters = [
        FilterFigures(filter=name, value=value, searches=n)
        for name, value, n in store.rows(
            "SELECT name, value, COUNT(*) AS n FROM search_filters WHERE day BETWEEN ? AND ? "
            "GROUP BY name, value ORDER BY n DESC, name, value LIMIT ?",
            (*window, TOP),
        )
    ]


def _queries(store: AnalyticsStore, sql: str, window: tuple[str, str]) -> list[QueryFigures]:
    return [
        QueryFigures(query=query, searches=n, no_result=none, opened=opened)
        for query, n, none, opened in store.rows(sql, (*window, TOP))
    ]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _every_day(found: list[DayFigures], first: dt.date, last: dt.date) -> list[DayFigures]:
    """One entry per day of the window, with zeros for days without searches."""
    by_day = {figures.day: figures for figures in found}
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [by_day.get(day) or DayFigures(day=day, searches=0, no_result=0) for day in days]


def _help(settings: Settings, query: str | None) -> Help:
    corpus = Path(settings.corpus_dir)
    folder = corpus / VOCABULARY_DIR
    note = None
    try:
        if vocabulary_of(corpus).shipped_default:
            note = (
                f"the corpus has no vocabulary folder ({folder.resolve()}): copy the shipped "
                f"one ({SHIPPED_VOCABULARY.resolve()}) there first, or its countries and "
                "partners are lost"
            )
    except VocabularyError as error:
        note = str(error)
    words = query or "a word visitors use"
    return Help(
        synonyms_file=str((folder / SYNONYMS_FILE).resolve()),
        vocabulary_note=note,
        synonyms_line=f"- [{words}, a word the articles use]",
        rebuild_command="search-service index build",
        organisations_command=f"search-service corpus organisations --corpus {corpus.resolve()}",
    )


def shown(query: str) -> str:
    return query or FILTERS_ONLY


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


# ---- the command ------------------------------------------------------------------------


def run_report(settings: Settings, *, days: int, as_json: bool) -> int:
    """`search-service report`: the figures as tables, or as JSON with `--json`."""
    report = build_report(settings, days)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=1) + "\n")
    else:
        print_report(report, Console(highlight=False, soft_wrap=True, emoji=False))
    return 0


def print_report(report: Report, console: Console) -> None:
    console.print(
        f"[bold]Search analytics[/bold], {report.first_day} to {report.last_day} "
        f"({report.days} days, UTC) from {escape(report.store)}"
    )
    if not report.recorded:
        console.print("Nothing recorded yet: the store is made by the service's first search.")
        return
    console.print(
        f"{report.searches:,} searches, {report.no_result:,} with no result "
        f"({percent(report.no_result_rate)}); results opened from "
        f"{report.opened_searches:,} of the {report.with_results:,} searches with results "
        f"(click-through {percent(report.click_through_rate)}), mean position of an opened "
        f"result: {report.mean_position if report.mean_position is not None else '–'}"
    )
    console.print(_days_table(report))
    for title, rows in (
        ("Top queries", report.top_queries),
        ("Queries with no result", report.no_result_queries),
        ("Queries with results never opened", report.unopened_queries),
    ):
        console.print(_queries_table(title, rows))
    filters = Table(title="Top filters", title_justify="left")
    for column, justify in (("filter", "left"), ("value", "left"), ("searches", "right")):
        filters.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report.top_filters:
        filters.add_row(row.filter, escape(row.value), f"{row.searches:,}")
    console.print(filters)
    if report.no_result_queries:
        _print_help(report.help, console)


def _days_table(report: Report) -> Table:
    table = Table(title="Searches per day", title_justify="left")
    table.add_column("day")
    table.add_column("searches", justify="right")
    table.add_column("no result", justify="right")
    table.add_column("")
    most = max((day.searches for day in report.per_day), default=0) or 1
    for day in report.per_day:
        bar = "█" * round(20 * day.searches / most)
        table.add_row(day.day.isoformat(), f"{day.searches:,}", f"{day.no_result:,}", bar)
    return table


def _queries_table(title: str, rows: list[QueryFigures]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("query")
    for column in ("searches", "no result", "opened"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            escape(shown(row.query)), f"{row.searches:,}", f"{row.no_result:,}", f"{row.opened:,}"
        )
    return table


def _print_help(help: Help, console: Console) -> None:
    console.print("[bold]What helps a query that finds nothing[/bold]")
    if help.vocabulary_note:
        console.print(f"(first: {escape(help.vocabulary_note)})")
    console.print(
        "- a word the articles write differently: add a line under `synonyms:` in "
        f"{escape(help.synonyms_file)}:\n    {escape(help.synonyms_line)}\n"
        f"  then run `{help.rebuild_command}`"
    )
    console.print(
        f"- an organisation the vocabulary lacks: `{escape(help.organisations_command)}` "
        "lists the ones the articles name and proposes some; `--accept NAME` adds one"
    )
    console.print("- a subject the site has no article on: one to write")
