"""`search-service corpus fetch` and `search-service sync`: progress, report, exit status.

`corpus fetch` returns 0 when every source was read and every page fetched, 1
when some failed (listed in the report), and raises `FetchError` when nothing
was usable: a bad URL or sources file, or not one source could be read.

`sync` is the same fetch followed by an incremental build of the index, for a
timer: it returns 0 or 1 as the fetch did, raises `FetchError` too when no source
could be read (the index is then left as it is, not rebuilt), and lets the
build's errors through; every failure has its own exit code (`cli.EXIT_CODES`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from search_service.errors import FetchError
from search_service.fetch.report import FetchReport
from search_service.fetch.run import FetchOptions, fetch_site
from search_service.fetch.sources import Source, load_sources, sources_from_urls
from search_service.index.build import BuildReport, build_index
from search_service.index.commands import progress_display
from search_service.settings import Settings


def run_fetch(
    settings: Settings, urls: Sequence[str], options: FetchOptions, *, as_json: bool
) -> int:
    sources = _sources(settings, urls)
    report = _fetch(settings, sources, options, as_json=as_json)
    _print_report(report, as_json)
    if not report.usable:
        raise FetchError(_nothing_usable(report))
    return report.exit_status


def run_sync(
    settings: Settings, urls: Sequence[str], options: FetchOptions, *, as_json: bool
) -> int:
    try:
        sources = _sources(settings, urls)
    except FetchError as error:
        raise FetchError(f"{error}; the index was not rebuilt") from error
    report = _fetch(settings, sources, options, as_json=as_json)
    if not report.usable:
        _print_report(report, as_json)
        raise FetchError(f"{_nothing_usable(report)}; the index was not rebuilt")
    if not as_json:
        _print_report(report, as_json=False)
        with progress_display() as progress:
            build = _build(settings, progress)
        for line in build.summary_lines():
            print(line)
    else:
        build = _build(settings, None)
        print(json.dumps({"fetch": report.as_dict(), "build": build_data(build)}, indent=1))
    return report.exit_status


def _sources(settings: Settings, urls: Sequence[str]) -> list[Source]:
    return sources_from_urls(urls) if urls else load_sources(settings.corpus_dir)


def _fetch(
    settings: Settings, sources: list[Source], options: FetchOptions, *, as_json: bool
) -> FetchReport:
    if as_json:
        return fetch_site(settings.corpus_dir, sources, options)
    with fetch_progress_display() as progress:
        return fetch_site(settings.corpus_dir, sources, options, progress=progress)


def _build(settings: Settings, progress: Any) -> BuildReport:
    return build_index(
        settings.corpus_dir,
        settings.index_dir,
        keep=settings.keep_generations,
        progress=progress,
        workers=settings.build_workers,
    )


def _print_report(report: FetchReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        for line in report.lines():
            print(line)


def _nothing_usable(report: FetchReport) -> str:
    errors = report.source_errors
    shown = "; ".join(errors[:3]) + ("; …" if len(errors) > 3 else "")
    return f"nothing fetched: no source could be read ({shown})"


def build_data(report: BuildReport) -> dict[str, Any]:
    """The build half of `sync --json`."""
    return {
        "published": report.generation,
        "up_to_date": report.up_to_date,
        "previous": report.previous,
        "full": report.full,
        "articles": report.articles,
        "added": report.added,
        "updated": report.updated,
        "deleted": report.deleted,
        "unchanged": report.unchanged,
        "view_outdated": report.view_outdated,
        "skipped": [str(problem) for problem in report.skipped],
        "seconds": round(report.seconds, 3),
    }


# --- progress display ---------------------------------------------------------------


class _PlainProgress:
    """Plain lines when not on a terminal: each source read, then about every tenth of
    the pages."""

    def __init__(self) -> None:
        self._next = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "sources":
            if done:
                print(f"sources: {done}/{total} read", flush=True)
            return
        if done < self._next and done != total:
            return
        self._next = done + max(total // 10, 1)
        print(f"pages: {done}/{total}", flush=True)

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    """A rich bar per phase on a terminal: sources read, then pages fetched."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        self._tasks: dict[str, Any] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        task = self._tasks.get(phase)
        if task is None:
            label = "reading sources" if phase == "sources" else "fetching pages"
            task = self._tasks[phase] = self._progress.add_task(label, total=total)
        self._progress.update(task, completed=done, total=total)

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()


def fetch_progress_display() -> _PlainProgress | _RichProgress:
    return _RichProgress() if sys.stdout.isatty() else _PlainProgress()
