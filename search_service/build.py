"""`search-service index build|status|rollback`: build a generation, check it, publish it.

A build never touches the live generation: it writes a new folder beside it
(a copy of the live one updated with only the new, changed and deleted
articles, or a fresh index with `--full`), checks it (article count, schema,
a smoke query), and only then switches the live pointer (see `generations`).
Any failure before the switch removes the new folder and raises
`BuildFailedError`; the live generation keeps serving exactly as before.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from whoosh import index as whoosh_index
from whoosh.query import Term

from search_service import generations as gens
from search_service.analysis import analyze_neutral
from search_service.articles import Article, Problem
from search_service.errors import (
    BuildFailedError,
    IndexNotFoundError,
    RollbackError,
    SearchServiceError,
)
from search_service.index import (
    FACET_FIELDS,
    SCHEMA_VERSION,
    FastCodec,
    article_document,
    make_schema,
    schema_fingerprint,
)
from search_service.settings import Settings

#: Documents handed to the writer between two progress reports.
BATCH_SIZE: Final = 250
#: Full builds of at least this many articles use Whoosh's two-process writer.
PARALLEL_THRESHOLD: Final = 2_000
#: Posting pool of each writer process, sized to the job so it does not spill to
#: temporary files (spilling re-pickles every posting: 50,000 articles took 327 s
#: of CPU with 1 GB pools, 200 s with 2.5 GB). Whoosh's own estimate of a pooled
#: article is about 80 KB (0.1 MB leaves a margin); the cap bounds a build's memory.
POOL_MB_PER_ARTICLE: Final = 0.1
POOL_MB_MIN: Final = 128
POOL_MB_MAX = 2560
#: Test hook (documented in docs/index.md): seconds to sleep after each batch, so
#: a test can kill a real build mid-write deterministically.
PAUSE_ENV: Final = "SEARCH_TEST_BUILD_PAUSE"

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phases are "read" (files) and "index" (articles)."""


@dataclass
class BuildReport:
    """What a build did: the changes, the skips, and what it published."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files_read: int = 0
    articles: int = 0
    full: bool = False
    full_reason: str | None = None
    generation: str | None = None
    previous: str | None = None
    pruned: list[str] = field(default_factory=list)
    """Generation folders removed: beyond `keep`, unreferenced, or left by a dead build."""
    stale_lock_pid: int | None = None
    seconds: float = 0.0

    @property
    def published(self) -> bool:
        return self.generation is not None

    @property
    def up_to_date(self) -> bool:
        """An incremental build found nothing to change: no new generation was needed."""
        return self.generation is None and self.previous is not None and self.changed == 0

    @property
    def changed(self) -> int:
        return len(self.added) + len(self.updated) + len(self.deleted)

    def summary_lines(self) -> list[str]:
        """The report printed at the end of `index build`."""
        mode = f"full ({self.full_reason})" if self.full else "incremental"
        lines = [
            f"build: {mode}, {self.files_read} files read, {self.articles} articles",
            f"  added {len(self.added)}, updated {len(self.updated)}, "
            f"deleted {len(self.deleted)}, unchanged {self.unchanged}, "
            f"skipped {len(self.skipped)}",
        ]
        lines += [f"  skipped {problem}" for problem in self.skipped]
        lines += [f"  warning {problem}" for problem in self.warnings]
        if self.stale_lock_pid is not None:
            lines.append(f"  cleared the lock of a dead build (pid {self.stale_lock_pid})")
        if self.generation:
            lines.append(f"  published {self.generation} in {self.seconds:.1f}s")
        elif self.up_to_date:
            lines.append(f"  nothing changed: {self.previous} stays live ({self.seconds:.1f}s)")
        else:
            lines.append(f"  nothing published ({self.seconds:.1f}s)")
        if self.pruned:
            lines.append(f"  removed {', '.join(self.pruned)}")
        return lines


class _IngestResult(Protocol):
    articles: list[Article]
    problems: list[Problem]
    files_read: int


@dataclass(frozen=True)
class _Plan:
    """Which articles go into the new generation, and how."""

    full: bool
    full_reason: str | None
    to_add: list[Article]
    to_update: list[Article]
    to_delete: list[str]
    unchanged: int


# --- entry points ------------------------------------------------------------------


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    *,
    full: bool = False,
    keep: int = 3,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Read the corpus and build (incrementally unless `full`) and publish a generation.

    The lock is taken before the corpus is read, so a second build is refused at
    once (`BuildInProgressError` with the running build's pid), touching nothing.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    with gens.build_lock(root) as lock:
        result = _ingest(corpus_dir, progress)
        report = _report_for(result.articles, result.problems, result.files_read, lock)
        return _build_locked(
            result.articles,
            report,
            root,
            full=full,
            keep=keep,
            strict=strict,
            progress=progress,
            started=started,
        )


def build_from_articles(
    articles: Iterable[Article],
    index_dir: Path,
    *,
    problems: Sequence[Problem] = (),
    full: bool = True,
    keep: int = 3,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build and publish a generation from ready-made articles (tests, benchmarks).

    The same code path as `build_index` after the ingest.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    articles = list(articles)
    with gens.build_lock(root) as lock:
        report = _report_for(articles, list(problems), len(articles), lock)
        return _build_locked(
            articles,
            report,
            root,
            full=full,
            keep=keep,
            strict=strict,
            progress=progress,
            started=started,
        )


def _ingest(corpus_dir: Path, progress: Progress | None) -> _IngestResult:
    from search_service.ingest import ingest_corpus

    def on_progress(files: int) -> None:
        if progress is not None:
            progress("read", files, 0)

    result: _IngestResult = ingest_corpus(Path(corpus_dir), on_progress=on_progress)
    return result


# --- the build ---------------------------------------------------------------------


def _report_for(
    articles: list[Article], problems: list[Problem], files_read: int, lock: gens.BuildLock
) -> BuildReport:
    duplicates = _duplicate_problems(articles)
    problems = [*problems, *duplicates]
    return BuildReport(
        skipped=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity != "error"],
        files_read=files_read,
        stale_lock_pid=lock.stale_pid,
    )


def _build_locked(
    articles: list[Article],
    report: BuildReport,
    root: Path,
    *,
    full: bool,
    keep: int,
    strict: bool,
    progress: Progress | None,
    started: float,
) -> BuildReport:
    """The build proper, while holding the lock: plan, write, check, publish, prune."""
    articles = _first_of_each_id(articles)
    report.articles = len(articles)
    if not articles:
        raise BuildFailedError(
            f"the corpus yielded no articles ({report.files_read} files read, "
            f"{len(report.skipped)} skipped); nothing was published"
            + _first_problems(report.skipped)
        )
    if strict and report.skipped:
        raise BuildFailedError(
            f"--strict: {len(report.skipped)} file(s) skipped, nothing was published"
            + _first_problems(report.skipped)
        )
    cleaned = gens.remove_unreferenced(root)
    live = gens.live_generation(root)
    plan = _plan(articles, live, full)
    report.full, report.full_reason = plan.full, plan.full_reason
    report.added = [article.id for article in plan.to_add]
    report.updated = [article.id for article in plan.to_update]
    report.deleted = list(plan.to_delete)
    report.unchanged = plan.unchanged
    report.previous = live.name if live else None
    report.pruned = cleaned
    if live is not None and not plan.full and report.changed == 0:
        report.seconds = time.perf_counter() - started
        return report  # up to date: the live generation stays, no copy is made
    name = gens.new_generation_name()
    try:
        _write_generation(root, name, live, plan, progress)
        _check_generation(gens.building_path(root, name), articles)
        _write_manifest(gens.building_path(root, name), name, articles, report)
        gens.finish_generation(root, name)
    except BaseException as error:  # Ctrl-C too: never leave a half-built folder behind
        shutil.rmtree(gens.building_path(root, name), ignore_errors=True)
        shutil.rmtree(root / name, ignore_errors=True)
        if isinstance(error, SearchServiceError) or not isinstance(error, Exception):
            raise
        hint = "" if plan.full else " (`index build --full` does not reuse it)"
        raise BuildFailedError(
            f"the build failed ({type(error).__name__}: {error}); "
            f"nothing was published, {report.previous or 'no generation'} is still live{hint}"
        ) from error
    try:
        report.pruned += gens.publish(root, name, keep)
    except OSError as error:
        shutil.rmtree(root / name, ignore_errors=True)
        raise BuildFailedError(
            f"the new generation could not be published ({error}); "
            f"{report.previous or 'no generation'} is still live"
        ) from error
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report


def _first_problems(problems: list[Problem], shown: int = 5) -> str:
    """The first skips, for an error message: the admin sees what to fix."""
    if not problems:
        return ""
    more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
    return ": " + "; ".join(str(problem) for problem in problems[:shown]) + more


def _first_of_each_id(articles: list[Article]) -> list[Article]:
    """The articles in order, without the later ones of a repeated id (reported as skips)."""
    first: dict[str, Article] = {}
    for article in articles:
        first.setdefault(article.id, article)
    return list(first.values())


def _duplicate_problems(articles: list[Article]) -> list[Problem]:
    """A skip (with its reason) for every article whose id an earlier one already has."""
    seen: dict[str, Article] = {}
    problems: list[Problem] = []
    for article in articles:
        first = seen.setdefault(article.id, article)
        if first is article:
            continue
        problems.append(
            Problem(
                path=article.source.path,
                line=article.source.line,
                code="duplicate_id",
                message=f"article id {article.id!r} already used by {first.source}; skipped",
                article_id=article.id,
            )
        )
    return problems


def _plan(articles: list[Article], live: gens.Generation | None, full: bool) -> _Plan:
    reason, indexed = _full_reason(live, full)
    if reason is not None:
        return _Plan(True, reason, list(articles), [], [], 0)
    to_add = [article for article in articles if article.id not in indexed]
    to_update = [
        article
        for article in articles
        if article.id in indexed and indexed[article.id] != article.checksum
    ]
    current = {article.id for article in articles}
    to_delete = sorted(set(indexed) - current)
    unchanged = len(articles) - len(to_add) - len(to_update)
    return _Plan(False, None, to_add, to_update, to_delete, unchanged)


def _full_reason(live: gens.Generation | None, full: bool) -> tuple[str | None, dict[str, str]]:
    """Why this build must index everything afresh (None: incremental), and the
    live generation's checksums an incremental build compares with."""
    if full:
        return "--full", {}
    if live is None:
        return "no live generation", {}
    if live.manifest.get("schema_fingerprint") != schema_fingerprint():
        return "the schema changed", {}
    try:
        return None, live.checksums()
    except (OSError, ValueError, AttributeError):
        return "the live generation's checksums are missing or unreadable", {}


def _write_generation(
    root: Path,
    name: str,
    live: gens.Generation | None,
    plan: _Plan,
    progress: Progress | None,
) -> None:
    path = gens.building_path(root, name)
    if plan.full:
        path.mkdir()
        index = whoosh_index.create_in(str(path), make_schema())
        procs = 2 if len(plan.to_add) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1 else 1
        limit = pool_limit_mb(len(plan.to_add), procs)
        writer = (
            index.writer(procs=procs, limitmb=limit, multisegment=True, codec=FastCodec())
            if procs > 1
            else index.writer(limitmb=limit, codec=FastCodec())
        )
    else:
        assert live is not None
        shutil.copytree(live.path, path)
        for stale in (gens.MANIFEST_FILE, gens.CHECKSUMS_FILE):
            (path / stale).unlink(missing_ok=True)
        index = whoosh_index.open_dir(str(path))
        limit = pool_limit_mb(len(plan.to_add) + len(plan.to_update), 1)
        writer = index.writer(limitmb=limit, codec=FastCodec())
    try:
        for article_id in plan.to_delete:
            writer.delete_by_term("id", article_id)
        for article in plan.to_update:
            writer.delete_by_term("id", article.id)
        _add_documents(writer, [*plan.to_add, *plan.to_update], progress)
        writer.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise
    finally:
        index.close()


def pool_limit_mb(articles: int, procs: int) -> int:
    """Posting-pool size (MB) of each of `procs` writer processes for `articles` articles."""
    wanted = int(articles / max(procs, 1) * POOL_MB_PER_ARTICLE) + 1
    return max(POOL_MB_MIN, min(POOL_MB_MAX, wanted))


def _add_documents(writer: Any, articles: list[Article], progress: Progress | None) -> None:
    pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
    total = len(articles)
    if progress is not None:
        progress("index", 0, total)
    for start in range(0, total, BATCH_SIZE):
        for article in articles[start : start + BATCH_SIZE]:
            writer.add_document(**article_document(article))
        if progress is not None:
            progress("index", min(start + BATCH_SIZE, total), total)
        if pause:
            time.sleep(pause)


def _check_generation(path: Path, articles: list[Article]) -> None:
    """Refuse to publish a generation that does not open, count or answer as it should."""
    index = whoosh_index.open_dir(str(path))
    try:
        missing = set(make_schema().names()) - set(index.schema.names())
        if missing:
            raise BuildFailedError(f"the new generation lacks fields: {sorted(missing)}")
        with index.searcher() as searcher:
            if searcher.doc_count() != len(articles):
                raise BuildFailedError(
                    f"the new generation holds {searcher.doc_count()} articles, "
                    f"the ingest produced {len(articles)}; nothing was published "
                    "(if the live generation is damaged, `index build --full` starts afresh)"
                )
            _smoke_query(searcher, articles[-1])
    finally:
        index.close()


def _smoke_query(searcher: Any, article: Article) -> None:
    """One article must be found by id, and by a word of its title in `title_exact`."""
    hits = searcher.search(Term("id", article.id), limit=1)
    if not hits or hits[0]["id"] != article.id:
        raise BuildFailedError(f"smoke query: article {article.id!r} not found by id")
    words = analyze_neutral(article.title)
    if words:
        found = searcher.search(Term("title_exact", words[0]), limit=None)
        if article.id not in {hit["id"] for hit in found}:
            raise BuildFailedError(
                f"smoke query: {words[0]!r} does not find article {article.id!r}"
            )


def _write_manifest(path: Path, name: str, articles: list[Article], report: BuildReport) -> None:
    facets = _facet_counts(articles)
    manifest = {
        "name": name,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "schema_fingerprint": schema_fingerprint(),
        "article_count": len(articles),
        "languages": facets.pop("language"),
        "facets": facets,
        "build": {
            "full": report.full,
            "added": len(report.added),
            "updated": len(report.updated),
            "deleted": len(report.deleted),
            "unchanged": report.unchanged,
            "skipped": len(report.skipped),
            "previous": report.previous,
        },
    }
    gens.write_json_durably(path / gens.MANIFEST_FILE, manifest)
    checksums = {article.id: article.checksum for article in articles}
    gens.write_json_durably(path / gens.CHECKSUMS_FILE, checksums)


def _facet_counts(articles: list[Article]) -> dict[str, dict[str, int]]:
    counters: dict[str, collections.Counter[str]] = {
        name: collections.Counter() for name in FACET_FIELDS
    }
    for article in articles:
        counters["language"][article.language] += 1
        counters["country"].update(article.countries)
        counters["partner"].update(article.partners)
        if article.year is not None:
            counters["year"][str(article.year)] += 1
    return {name: dict(counter.most_common()) for name, counter in counters.items()}


# --- CLI handlers --------------------------------------------------------------------


def run_build(settings: Settings, *, full: bool, strict: bool) -> int:
    """`index build`: progress while it runs, the report at the end; 0 when published."""
    with _progress_display() as progress:
        report = build_index(
            settings.corpus_dir,
            settings.index_dir,
            full=full,
            keep=settings.keep_generations,
            strict=strict,
            progress=progress,
        )
    for line in report.summary_lines():
        print(line)
    return 0


def run_status(settings: Settings) -> int:
    """`index status`: the live generation, its contents, and the previous ones."""
    root = Path(settings.index_dir)
    live = gens.live_generation(root)
    if live is None:
        raise IndexNotFoundError(f"no index has been built in {root} yet")
    for line in _status_lines(root, live):
        print(line)
    return 0


def _status_lines(root: Path, live: gens.Generation) -> list[str]:
    manifest = live.manifest
    lines = [
        f"live generation: {live.name}",
        f"  built at {manifest.get('built_at')}, {live.article_count} articles, "
        f"schema version {manifest.get('schema_version')}",
        "  languages: " + _top(manifest.get("languages", {}), 3),
    ]
    for facet, counts in manifest.get("facets", {}).items():
        lines.append(f"  {facet} ({len(counts)} values): {_top(counts, 10)}")
    previous = gens.previous_generations(root)
    lines.append(f"previous generations ({len(previous)}):")
    lines += [
        f"  {generation.name}: built at {generation.manifest.get('built_at')}, "
        f"{generation.article_count} articles"
        for generation in previous
    ]
    holder = gens.lock_holder(root)
    if holder is not None:
        lines.append(f"a build is running (pid {holder})")
    return lines


def _top(counts: dict[str, int], limit: int) -> str:
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    text = ", ".join(f"{value} {count}" for value, count in top) or "none"
    return text + (", …" if len(counts) > limit else "")


def run_rollback(settings: Settings) -> int:
    """`index rollback`: republish the previous generation (`RollbackError` if none)."""
    root = Path(settings.index_dir)
    with gens.build_lock(root):
        try:
            target, left = gens.rollback(root)
        except OSError as error:
            raise RollbackError(f"could not switch the live pointer: {error}") from error
    print(f"rolled back: {target.name} is live again ({target.article_count} articles); was {left}")
    return 0


# --- progress display ------------------------------------------------------------------


class _PlainProgress:
    """Progress as plain lines (not a terminal): one line per tenth of the work."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._started: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        started = self._started.setdefault(phase, time.perf_counter())
        rate = done / max(time.perf_counter() - started, 1e-9)
        if total <= 0:
            print(f"{phase}: {done} files", flush=True)
            return
        if done < self._next.get(phase, 0) and done != total:
            return
        self._next[phase] = done + max(total // 10, 1)
        print(f"{phase}: {done}/{total} ({rate:.0f}/s)", flush=True)

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    """A rich progress bar with counts and rate, one task per phase."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._started = time.perf_counter()

    def __call__(self, phase: str, done: int, total: int) -> None:
        label = {"read": "reading files", "index": "indexing articles"}.get(phase, phase)
        task = self._tasks.get(phase)
        if task is None:
            self._finish_tasks()
            task = self._tasks[phase] = self._progress.add_task(label, total=total or None, rate="")
            self._started = time.perf_counter()
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        self._progress.update(task, completed=done, total=total or None, rate=f"{rate:.0f}/s")

    def _finish_tasks(self) -> None:
        """A phase is over when the next starts: show its bar full (its total may be unknown)."""
        for task in self._progress.tasks:
            if task.total is None or task.completed < task.total:
                self._progress.update(task.id, total=task.completed, completed=task.completed)

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()


def _progress_display() -> _PlainProgress | _RichProgress:
    return _RichProgress() if sys.stdout.isatty() else _PlainProgress()
