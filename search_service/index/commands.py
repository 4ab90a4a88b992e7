"""`search-service index build|status|rollback`: what the admin runs and sees.

The build itself is `build.build_index`; here its progress while it runs (rich bars
on a terminal, plain lines when piped), its report at the end, the status of the
index folder (`index status`, also as JSON) and going back a generation.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Final

from search_service.errors import (
    DamagedGenerationError,
    DamagedPointerError,
    IndexNotFoundError,
    RollbackError,
)
from search_service.index import generations as gens
from search_service.index.build import build_index
from search_service.settings import Settings
from search_service.wording import counted


def run_build(settings: Settings, *, full: bool, strict: bool, allow_shrink: bool = False) -> int:
    """`index build`: progress while it runs, the report at the end.

    0 when published, and also when an incremental build found nothing to change
    (the report says the live generation is up to date): either way the live
    generation reflects the corpus. Failures raise (`BuildFailedError`, nothing
    published).
    """
    with progress_display() as progress:
        report = build_index(
            settings.corpus_dir,
            settings.index_dir,
            full=full,
            keep=settings.keep_generations,
            strict=strict,
            allow_shrink=allow_shrink,
            progress=progress,
            workers=settings.build_workers,
        )
    for line in report.summary_lines():
        print(line)
    return 0


#: Values of a facet `index status` shows without `--all`.
STATUS_TOP: Final = 10


def run_status(settings: Settings, *, all_values: bool = False, as_json: bool = False) -> int:
    """`index status`: the live generation, its contents, the previous ones, a running build.

    Without a published generation: `IndexNotFoundError` (`--json` prints the
    status saying so first). With a damaged pointer: what is on disk and how to
    recover, then `DamagedPointerError`; with a damaged live generation (its files
    checked against its manifest), the status, then `DamagedGenerationError`.
    `--json` prints `status_data`; the text is rendered from the same dict.
    """
    root = Path(settings.index_dir)
    problem: IndexNotFoundError | DamagedPointerError | None = None
    try:
        pointer = gens.read_pointer_file(root)
    except DamagedPointerError as error:
        pointer, problem = None, error
    if pointer is None and problem is None:
        problem = IndexNotFoundError(f"no index has been built in {root} yet")
    try:
        status = status_data(root, pointer, problem)
    except IndexNotFoundError as missing:  # the pointer names a generation that is gone
        problem, status = missing, status_data(root, None, missing)
    if as_json:
        print(json.dumps(status, ensure_ascii=False, indent=1))
    elif not isinstance(problem, IndexNotFoundError):
        for line in status_lines(status, None if all_values else STATUS_TOP):
            print(line)
    if problem is not None:
        raise problem
    live = status["live"]
    if live is not None and live["damage"] is not None:
        raise DamagedGenerationError(live["name"], live["damage"])
    return 0


def status_data(
    root: Path,
    pointer: gens.Pointer | None,
    problem: IndexNotFoundError | DamagedPointerError | None = None,
) -> dict[str, Any]:
    """`index status --json`: one shape whatever the pointer says (docs/index.md).

    `error` is null, or says (`code`, `message`, as the API's errors do) why there
    is no live generation: none published (`index_not_found`) or a damaged pointer
    (`index_damaged`, also in `pointer_error`); `live` is then null.
    `generations_on_disk` always lists the complete generations on disk, newest
    first. Facet values: all of them, years newest first, others by count.
    `IndexNotFoundError` when the pointer names a generation that is gone.
    """
    damaged = problem if isinstance(problem, DamagedPointerError) else None
    live = None
    previous: list[gens.Generation] = []
    if pointer is not None:
        live = gens.load_generation(root, pointer.live)
        if live is None:
            raise IndexNotFoundError(
                f"the live pointer names {pointer.live}, whose folder or manifest is missing "
                f"in {root}; `index rollback` republishes the previous generation"
            )
        found = (gens.load_generation(root, name) for name in pointer.previous)
        previous = [generation for generation in found if generation is not None]
    return {
        "index_dir": str(root),
        "error": {"code": problem.code, "message": str(problem)} if problem else None,
        "pointer_error": str(damaged) if damaged is not None else None,
        "live": _live_data(live) if live is not None else None,
        "previous": [_generation_data(generation) for generation in previous],
        "generations_on_disk": [
            _generation_data(generation) for generation in gens.complete_generations(root)
        ],
        "build_running_pid": gens.lock_holder(root),
    }


def _live_data(live: gens.Generation) -> dict[str, Any]:
    manifest = live.manifest
    return {
        **_generation_data(live),
        "damage": gens.damage(live, thorough=True),
        "schema_version": manifest.get("schema_version"),
        "languages": dict(_ordered("language", manifest.get("languages", {}))),
        "facets": {
            facet: dict(_ordered(facet, counts))
            for facet, counts in manifest.get("facets", {}).items()
        },
        "build": manifest.get("build"),
        "corpus": manifest.get("corpus"),
        "vocabulary": manifest.get("vocabulary"),
        "partners": manifest.get("partners"),
    }


def _generation_data(generation: gens.Generation) -> dict[str, Any]:
    return {
        "name": generation.name,
        "built_at": generation.manifest.get("built_at"),
        "article_count": generation.article_count,
    }


def status_lines(status: dict[str, Any], limit: int | None) -> list[str]:
    """`index status` as text, from `status_data`; at most `limit` values per facet."""
    live = status["live"]
    if live is None:
        lines = _damaged_lines(status)
    else:
        lines = [
            f"live generation: {live['name']}",
            f"  built at {live['built_at']}, {counted(live['article_count'], 'article')}, "
            f"schema version {live['schema_version']}",
            *_damage_lines(live, status["previous"]),
            _vocabulary_line(live),
            f"  languages: {_values(live['languages'], None)}",
        ]
        truncated = False
        for facet, counts in live["facets"].items():
            order = ", newest first" if facet == "year" else ""
            lines.append(
                f"  {facet} ({counted(len(counts), 'value')}{order}): {_values(counts, limit)}"
            )
            truncated = truncated or (limit is not None and len(counts) > limit)
        if truncated:
            lines.append(f"  (at most {limit} values each: `index status --all` shows every value)")
        partners = live.get("partners")
        if partners:
            lines.append(
                f"  partners: {partners['vocabulary']} from the vocabulary, "
                f"{partners['discovered']} discovered in the corpus, "
                f"{partners['proposed']} proposed"
            )
        lines.append(f"previous generations ({len(status['previous'])}):")
        lines += _generation_lines(status["previous"])
    if status["build_running_pid"] is not None:
        lines.append(f"a build is running (pid {status['build_running_pid']})")
    return lines


def _vocabulary_line(live: dict[str, Any]) -> str:
    """Which corpus and vocabulary the live generation was built with."""
    record = live.get("vocabulary")
    if not isinstance(record, dict):
        return (
            "  vocabulary: none kept in the generation (built before vocabulary snapshots, or "
            "from ready-made articles): the service uses the corpus's"
        )
    corpus = f" (corpus {live['corpus']})" if live.get("corpus") else ""
    return (
        f"  vocabulary: {record.get('source')}{corpus}, fingerprint {record.get('fingerprint')}, "
        f"copied into the generation"
    )


def _damage_lines(live: dict[str, Any], previous: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the live generation's files, and how to recover."""
    if live["damage"] is None:
        return []
    remedy = (
        f"`search-service index rollback` republishes {previous[0]['name']}"
        if previous
        else "`search-service index build --full` builds a new one"
    )
    return [f"  DAMAGED: {live['damage']}; the service answers 503 meanwhile; {remedy}"]


def _damaged_lines(status: dict[str, Any]) -> list[str]:
    pointer = Path(status["index_dir"]) / gens.POINTER_FILE
    on_disk = status["generations_on_disk"]
    lines = [
        f"live generation: unknown, {status['pointer_error']}",
        f"complete generations on disk, newest first ({len(on_disk)}):",
        *_generation_lines(on_disk),
    ]
    if on_disk:
        lines.append(
            f"to recover: `search-service index rollback` republishes {on_disk[0]['name']}; "
            f"builds refuse to run until then (removing {pointer} instead makes the "
            "next build a full one that deletes every generation folder)"
        )
    else:
        lines.append(f"to recover: remove {pointer} and run `search-service index build`")
    return lines


def _generation_lines(generations: list[dict[str, Any]]) -> list[str]:
    return [
        f"  {generation['name']}: built at {generation['built_at']}, "
        f"{counted(generation['article_count'], 'article')}"
        for generation in generations
    ]


def _ordered(facet: str, counts: dict[str, int]) -> list[tuple[str, int]]:
    """Years newest first; other values by count, most frequent first, then by name."""
    if facet == "year":
        return sorted(counts.items(), key=lambda item: _year_key(item[0]), reverse=True)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _year_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (-1, value)


def _values(ordered: dict[str, int], limit: int | None) -> str:
    """The first `limit` values of an ordered facet, `…` when there are more."""
    shown = list(ordered.items())[:limit]
    text = ", ".join(f"{value} {count}" for value, count in shown) or "none"
    return text + (", …" if len(shown) < len(ordered) else "")


def run_rollback(settings: Settings) -> int:
    """`index rollback`: republish the previous generation (`RollbackError` if none).

    With a damaged pointer, republishes the newest complete generation on disk.
    Creates nothing when the index folder does not exist.
    """
    root = Path(settings.index_dir)
    if not root.is_dir():
        raise RollbackError(f"there is no index folder {root}: nothing to roll back")
    with gens.build_lock(root):
        try:
            done = gens.rollback(root)
        except OSError as error:
            raise RollbackError(f"could not switch the live pointer: {error}") from error
    target = done.target
    if done.damaged is not None:
        print(
            f"repaired: {done.damaged}; the newest complete generation {target.name} "
            f"({counted(target.article_count, 'article')}) is live again"
        )
    else:
        print(
            f"rolled back: {target.name} is live again "
            f"({counted(target.article_count, 'article')}); "
            f"was {done.left}"
        )
    return 0


# --- progress display ------------------------------------------------------------------


def _files_and_articles(files: int, articles: int) -> str:
    return f"{counted(files, 'file')}, {counted(articles, 'article')}"


#: What the phases without counts are doing, as shown to the admin.
FINISHING: Final = {
    "commit": "writing the index (commit)",
    "view": "compiling the serving view",
    "check": "checking the new generation",
    "publish": "publishing",
}


class _PlainProgress:
    """Progress as plain lines (not a terminal): about one line per tenth of each
    counted phase, one line when each finishing phase starts."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._shown: dict[str, int] = {}
        self._started: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int, articles: int) -> None:
        started = self._started.setdefault(phase, time.perf_counter())
        if phase in FINISHING:
            if phase not in self._shown:
                self._shown[phase] = 0
                print(f"{phase}: {FINISHING[phase]}…", flush=True)
            return
        if self._shown.get(phase) == done or (done < self._next.get(phase, 0) and done != total):
            return
        self._next[phase] = done + max(total // 10, 1)
        self._shown[phase] = done
        if phase == "read":
            print(f"read: {done}/{_files_and_articles(total, articles)}", flush=True)
        else:
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"{phase}: {done}/{counted(total, 'article')} ({rate:.0f}/s)", flush=True)

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    """Rich progress bars, one per phase: counts, percentage, rate, elapsed time.

    The finishing phases have no counts: their bar pulses while they run.
    """

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._started = time.perf_counter()

    def __call__(self, phase: str, done: int, total: int, articles: int) -> None:
        labels = {"read": "reading files", "index": "indexing articles", **FINISHING}
        task = self._tasks.get(phase)
        if task is None:
            self._finish_tasks()
            task = self._tasks[phase] = self._progress.add_task(
                labels.get(phase, phase), total=total or None, counts="", rate=""
            )
            self._started = time.perf_counter()
        if phase in FINISHING:
            return
        if phase == "read":
            counts, rate = f"{done}/{_files_and_articles(total, articles)}", ""
        else:
            speed = done / max(time.perf_counter() - self._started, 1e-9)
            counts, rate = f"{done}/{counted(total, 'article')}", f"{speed:.0f}/s"
        self._progress.update(task, completed=done, total=total or None, counts=counts, rate=rate)

    def _finish_tasks(self) -> None:
        """A phase is over when the next starts: show its bar full (its total may be unknown)."""
        for task in self._progress.tasks:
            if task.total is None or task.completed < task.total:
                total = task.completed or 1
                self._progress.update(task.id, total=total, completed=total)

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, error: type[BaseException] | None, *exc: object) -> None:
        if error is None:
            self._finish_tasks()
        self._progress.stop()


def progress_display() -> _PlainProgress | _RichProgress:
    """The build's progress: rich bars on a terminal, plain lines when piped (also `sync`)."""
    return _RichProgress() if sys.stdout.isatty() else _PlainProgress()
