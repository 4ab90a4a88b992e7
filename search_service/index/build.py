"""Build a generation, check it, publish it (run by `index build` and `corpus sync`).

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
import errno
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from whoosh import index as whoosh_index
from whoosh.query import Term

from search_service import collector
from search_service.analysis import analyze_neutral
from search_service.articles import Article, Problem
from search_service.errors import (
    BuildFailedError,
    CorpusError,
    DamagedPointerError,
    SearchServiceError,
)
from search_service.index import generations as gens
from search_service.index.compiled_view import VIEW_FOLDER, compile_view, outdated_view
from search_service.index.schema import (
    FACET_FIELDS,
    SCHEMA_VERSION,
    article_document,
    make_schema,
    schema_fingerprint,
)
from search_service.index.view_check import ViewCheck
from search_service.index.vocabulary_snapshot import (
    CompiledVocabularies,
    UsedVocabulary,
    recorded_digest,
    write_compiled,
    write_snapshot,
)
from search_service.index.writer import open_writer
from search_service.ingest.vocabulary import Vocabulary, words_of
from search_service.settings import build_processes
from search_service.wording import counted

#: Documents handed to the writer between two progress reports.
BATCH_SIZE: Final = 250
#: Full builds of at least this many articles use Whoosh's multi-process writer.
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
#: Test hook (docs/index.md): while the file it names exists, the build waits after each
#: batch, so a test can act beside a real build mid-write however slow its machine is.
HOLD_ENV: Final = "SEARCH_TEST_BUILD_HOLD"

Progress = Callable[[str, int, int, int], None]
"""progress(phase, done, total, articles), in this order of phases:

- "read": `done` of `total` article files read (or skipped), `articles` found so far;
- "index": `done` of `total` articles handed to the writer (`articles` = `total`);
- "commit", "view", "check", "publish" (no counts: `done` = `total` = 0): the
  writer commits (sorts, merges and writes the postings: most of a large build's
  time), the serving view is compiled from the segments, the new generation is
  checked and finished, then published and the old pruned.
"""


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
    corpus: str | None = None
    """The corpus folder read (full path); None for ready-made articles."""
    vocabulary: str | None = None
    """Where the vocabulary came from (full path or "shipped default"), None if none given."""
    vocabulary_notice: str | None = None
    """The one line saying the shipped default vocabulary was used."""
    vocabulary_changed: bool = False
    """The vocabulary's files differ from the live generation's snapshot (or it had none)."""
    view_outdated: str | None = None
    """Why the live generation's serving view is not the one this code compiles ("is of
    version 1, …", "is missing", "cannot be read …"; None: it is): the build publishes a
    copy with a new one, even if nothing changed."""
    not_read: list[Problem] = field(default_factory=list)
    """Files of the corpus that are not article files (`corpus check` lists them)."""
    partners_vocabulary: int = 0
    """Partner values of the published articles that the vocabulary lists."""
    partners_discovered: int = 0
    """Partner values that the discovery of organisations added (`ingest.organisations`)."""
    partners_proposed: int = 0
    """Organisations discovered with too little evidence: shown to editors, not indexed."""
    new_partners: set[str] = field(default_factory=set, repr=False)
    """The discovered organisations that are partners of their own (not new names of one)."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of each phase: read, write (documents and commit), view, check, finish,
    publish."""

    @property
    def published(self) -> bool:
        return self.generation is not None

    @property
    def up_to_date(self) -> bool:
        """An incremental build found nothing to change: no new generation was needed."""
        return (
            self.generation is None
            and self.previous is not None
            and self.changed == 0
            and not self.vocabulary_changed
            and not self.view_outdated
        )

    @property
    def changed(self) -> int:
        return len(self.added) + len(self.updated) + len(self.deleted)

    @property
    def indexed(self) -> int:
        """Articles written into the new generation (added and updated)."""
        return len(self.added) + len(self.updated)

    def _rate(self) -> str:
        """Articles indexed per second over the whole build (reading, commit, checks
        and publish included), which is what a build of that size costs. Under 10/s (an
        update of a few articles) with a decimal: one article in 3 s is 0.3/s, not 0/s."""
        if not self.indexed or self.seconds <= 0:
            return ""
        rate = self.indexed / self.seconds
        shown = f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"
        return f" ({counted(self.indexed, 'article')} indexed, {shown}/s over the whole build)"

    def summary_lines(self) -> list[str]:
        """The report printed at the end of `index build`."""
        mode = f"full ({self.full_reason})" if self.full else "incremental"
        lines = [
            f"build: {mode}, {counted(self.files_read, 'file')} read, "
            f"{counted(self.articles, 'article')}",
            f"  added {len(self.added)}, updated {len(self.updated)}, "
            f"deleted {len(self.deleted)}, unchanged {self.unchanged}, "
            f"skipped {len(self.skipped)}",
        ]
        if self.corpus is not None:
            vocabulary = self.vocabulary_notice or f"vocabulary {self.vocabulary}"
            lines.append(f"  corpus {self.corpus}; {vocabulary}")
        if self.vocabulary_changed and self.previous is not None:
            lines.append(f"  the vocabulary differs from the one {self.previous} was built with")
        if self.view_outdated and self.previous is not None:
            lines.append(
                f"  the serving view of {self.previous} {self.view_outdated}: compiled again"
            )
        lines.append(
            f"  partners: {self.partners_vocabulary} from the vocabulary, "
            f"{self.partners_discovered} discovered in the corpus"
            + (
                f" ({self.partners_proposed} more proposed: `search-service corpus organisations`)"
                if self.partners_proposed
                else ""
            )
        )
        lines += [f"  skipped {problem}" for problem in self.skipped]
        lines += [f"  warning {problem}" for problem in self.warnings]
        if self.not_read:
            shown = ", ".join(problem.path for problem in self.not_read[:5])
            more = ", …" if len(self.not_read) > 5 else ""
            what = "is not an article file" if len(self.not_read) == 1 else "are not article files"
            lines.append(
                f"  not read: {counted(len(self.not_read), 'file')} that {what} "
                f"({shown}{more}; `corpus check` says why)"
            )
        if self.stale_lock_pid is not None:
            lines.append(f"  cleared the lock of a dead build (pid {self.stale_lock_pid})")
        if self.generation:
            lines.append(f"  published {self.generation} in {self.seconds:.1f}s{self._rate()}")
            lines.append(
                "  phases: "
                + ", ".join(f"{phase} {seconds:.1f}s" for phase, seconds in self.phases.items())
            )
        elif self.up_to_date:
            lines.append(
                f"  up to date: nothing changed, nothing published; the live generation "
                f"{self.previous} is unchanged ({self.seconds:.1f}s)"
            )
        else:
            lines.append(f"  nothing published ({self.seconds:.1f}s)")
        if self.pruned:
            lines.append(f"  removed {', '.join(self.pruned)}")
        return lines


class _IngestResult(Protocol):
    articles: list[Article]
    problems: list[Problem]
    files_read: int
    not_read: list[Problem]

    @property
    def discovery(self) -> Any: ...


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
    allow_shrink: bool = False,
    progress: Progress | None = None,
    workers: int = 0,
) -> BuildReport:
    """Read the corpus and build (incrementally unless `full`) and publish a generation.

    The corpus folder is checked first (`corpus_root.open_corpus`: it must be a
    corpus root), before anything is created: `CorpusError` when it is not one
    (its own exit code: the wrong folder was given, no build was attempted). The
    lock is taken before the corpus is read, so a second build is refused at once
    (`BuildInProgressError` with the running build's pid), touching nothing. The
    vocabulary used is copied into the new generation.
    """
    from search_service.ingest.corpus_root import open_corpus

    started = time.perf_counter()
    root = Path(index_dir)
    try:
        corpus = open_corpus(corpus_dir)
    except CorpusError as error:
        raise CorpusError(f"{error}; nothing was built") from error
    try:
        with gens.build_lock(root) as lock:
            _refuse_a_damaged_pointer(root)
            vocabularies = CompiledVocabularies(root)
            used = UsedVocabulary(vocabularies.load(corpus.vocabulary.directory), corpus.vocabulary)
            read_started = time.perf_counter()
            result = _ingest(corpus.path, used.vocabulary, progress, build_processes(workers))
            read_seconds = time.perf_counter() - read_started
            report = _report_for(result.articles, result.problems, result.files_read, lock)
            report.corpus = str(corpus.path)
            report.vocabulary = corpus.vocabulary.describe()
            report.vocabulary_notice = corpus.vocabulary.notice()
            report.not_read = list(result.not_read)
            discovery = result.discovery
            used = used.with_discovered(discovery)
            report.new_partners = {o.partner for o in discovery.auto if o.extends is None}
            report.partners_proposed = len(discovery.proposed)
            built = _build_locked(
                result.articles,
                report,
                root,
                full=full,
                keep=keep,
                strict=strict,
                allow_shrink=allow_shrink,
                vocabulary=used,
                progress=progress,
                started=started,
                workers=workers,
                phases={"read": read_seconds},
                vocabularies=vocabularies,
            )
            vocabularies.save()
            return built
    finally:
        # Only for the build's two matchers: a process that serves after building (`serve`
        # without an index) need not keep them (`ingest.vocabulary.NAME_WORDS_KEPT`).
        words_of.cache_clear()


def build_from_articles(
    articles: Iterable[Article],
    index_dir: Path,
    *,
    problems: Sequence[Problem] = (),
    full: bool = True,
    keep: int = 3,
    strict: bool = False,
    allow_shrink: bool = False,
    vocabulary: UsedVocabulary | None = None,
    progress: Progress | None = None,
    workers: int = 0,
) -> BuildReport:
    """Build and publish a generation from ready-made articles (tests, benchmarks).

    The same code path as `build_index` after the ingest. Without `vocabulary`, the
    generation keeps no vocabulary (the search falls back to the corpus's).
    """
    started = time.perf_counter()
    root = Path(index_dir)
    articles = list(articles)
    with gens.build_lock(root) as lock:
        _refuse_a_damaged_pointer(root)
        report = _report_for(articles, list(problems), len(articles), lock)
        if vocabulary is not None:
            report.vocabulary = vocabulary.source.describe()
        vocabularies = CompiledVocabularies(root)
        built = _build_locked(
            articles,
            report,
            root,
            full=full,
            keep=keep,
            strict=strict,
            allow_shrink=allow_shrink,
            vocabulary=vocabulary,
            progress=progress,
            started=started,
            workers=workers,
            vocabularies=vocabularies,
        )
        vocabularies.save()
        return built


def _ingest(
    corpus_root: Path, vocabulary: Vocabulary, progress: Progress | None, processes: int
) -> _IngestResult:
    """The corpus read by `processes` processes (when it is large enough to pay)."""
    from search_service.ingest.corpus import ingest_paths

    def on_files(done: int, total: int, articles: int) -> None:
        if progress is not None:
            progress("read", done, total, articles)

    result: _IngestResult = ingest_paths(
        [corpus_root],
        corpus_root=corpus_root,
        vocabulary=vocabulary,
        on_files=on_files,
        processes=processes,
    )
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


@collector.holding_frozen()  # the articles, alive until the end (`collector`)
def _build_locked(
    articles: list[Article],
    report: BuildReport,
    root: Path,
    *,
    full: bool,
    keep: int,
    strict: bool,
    allow_shrink: bool,
    vocabulary: UsedVocabulary | None,
    progress: Progress | None,
    started: float,
    vocabularies: CompiledVocabularies,
    workers: int = 0,
    phases: dict[str, float] | None = None,
) -> BuildReport:
    """The build proper, while holding the lock: plan, write, check, publish, prune.

    `workers` processes (0: the cores) write a full build's segments and compile
    the serving view; the seconds of each phase go to `report.phases`.
    """
    processes = build_processes(workers)
    report.phases = dict(phases or {})
    clock = _PhaseClock(report.phases)
    articles = _first_of_each_id(articles)
    report.articles = len(articles)
    _count_partners(report, articles)
    if not articles:
        raise BuildFailedError(_no_articles_message(report))
    if strict and report.skipped:
        raise BuildFailedError(
            f"--strict: {counted(len(report.skipped), 'file')} skipped, nothing was published"
            + _first_problems(report.skipped)
        )
    live = gens.live_generation(root)
    if live is not None and not allow_shrink:
        _refuse_to_shrink(report, live, articles)
    cleaned = gens.remove_unreferenced(root)
    plan = _plan(articles, live, full)
    report.full, report.full_reason = plan.full, plan.full_reason
    report.added = [article.id for article in plan.to_add]
    report.updated = [article.id for article in plan.to_update]
    report.deleted = list(plan.to_delete)
    report.unchanged = plan.unchanged
    report.previous = live.name if live else None
    report.pruned = cleaned
    report.vocabulary_changed = vocabulary is not None and (
        live is None or recorded_digest(live.manifest) != vocabulary.digest
    )
    report.view_outdated = outdated_view(live.path) if live is not None and not plan.full else None
    if not plan.full and report.up_to_date:
        report.seconds = time.perf_counter() - started
        return report  # the live generation stays, no copy is made
    name = gens.new_generation_name()
    try:
        with clock("write"):
            _write_generation(root, name, live, plan, progress, processes)
        _phase(progress, "view", report.indexed)
        with clock("view"):
            compile_view(gens.building_path(root, name), processes)
        _phase(progress, "check", report.indexed)
        building = gens.building_path(root, name)
        with ViewCheck(building, len(articles), processes) as view_check:
            with clock("check"):
                _check_generation(building, articles)
                view_check.start()
            with clock("finish"):
                write_snapshot(building, vocabulary.files if vocabulary else None)
                write_compiled(building, vocabularies)
                _write_manifest(building, name, articles, report, vocabulary)
            with clock("check"):  # what of the check the writes above did not cover
                view_check.wait()
        with clock("finish"):
            gens.record_verified(gens.finish_generation(root, name))
    except BaseException as error:  # Ctrl-C too: never leave a half-built folder behind
        shutil.rmtree(gens.building_path(root, name), ignore_errors=True)
        shutil.rmtree(root / name, ignore_errors=True)
        if isinstance(error, SearchServiceError | BrokenPipeError) or not isinstance(
            error, Exception
        ):
            raise  # BrokenPipeError: the reader of the progress left (`| head`), not a failure
        hint = "" if plan.full else " (`index build --full` does not reuse it)"
        raise BuildFailedError(
            f"the build failed ({_failure(error, root)}); "
            f"nothing was published, {report.previous or 'no generation'} is still live{hint}"
        ) from error
    _phase(progress, "publish", report.indexed)
    publishing = time.perf_counter()
    try:
        report.pruned += gens.publish(root, name, keep)
    except (OSError, DamagedPointerError) as error:
        shutil.rmtree(root / name, ignore_errors=True)
        raise BuildFailedError(
            f"the new generation could not be published ({_failure(error, root)}); "
            f"{report.previous or 'no generation'} is still live"
        ) from error
    report.phases["publish"] = time.perf_counter() - publishing
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report


class _PhaseClock:
    """`with clock("phase"):` adds the seconds the block took to `phases["phase"]`."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started


def _no_articles_message(report: BuildReport) -> str:
    where = f"the corpus {report.corpus}" if report.corpus else "the articles given"
    if report.corpus and report.files_read == 0 and not report.skipped:
        from search_service.ingest.corpus import EXTENSIONS

        kinds = ", ".join(EXTENSIONS)
        return (
            f"no articles: the corpus {report.corpus} holds no article files ({kinds}); "
            "nothing was published" + _first_problems(report.not_read)
        )
    return (
        f"{where} yielded no articles ({counted(report.files_read, 'file')} read, "
        f"{len(report.skipped)} skipped); nothing was published" + _first_problems(report.skipped)
    )


def _refuse_to_shrink(report: BuildReport, live: gens.Generation, articles: list[Article]) -> None:
    """A build that would delete more than half of the live generation's articles
    is most likely run on the wrong folder (a file, a sub-folder, another project's
    Markdown): publishing it would delete the real articles. Refused, unless the
    admin says the articles were removed on purpose (`--allow-shrink`).

    Counted on the articles the build would delete, not on how many it yields, so
    a wrong folder holding as many files as the real corpus is refused too.
    """
    live_ids = _live_article_ids(live)
    kept = len(live_ids & {article.id for article in articles})
    removed = len(live_ids) - kept
    if removed * 2 <= len(live_ids):
        return
    where = f"the corpus {report.corpus}" if report.corpus else "the articles given"
    raise BuildFailedError(
        f"{where} yields {counted(report.articles, 'article')} and keeps "
        f"{kept} of the {len(live_ids)} of the live generation {live.name}: it would delete "
        f"{counted(removed, 'article')}, over half of them. Nothing was published, "
        f"{live.name} is still live. If the corpus is right and the articles were removed "
        "on purpose, build again with --allow-shrink"
    )


def _live_article_ids(live: gens.Generation) -> set[str]:
    """The live generation's article ids: from its checksums, else from the index's
    stored ids; a generation whose ids cannot be read at all counts as holding
    `article_count` articles none of which is kept."""
    try:
        return set(live.checksums())
    except (OSError, ValueError):
        pass
    try:
        with whoosh_index.open_dir(str(live.path)).reader() as reader:
            return {str(fields["id"]) for fields in reader.all_stored_fields()}
    except Exception:  # a damaged index: fall back to the count
        return {f"\0unknown-{number}" for number in range(live.article_count)}


def _count_partners(report: BuildReport, articles: list[Article]) -> None:
    """How many partner values come from the vocabulary, how many from the discovery."""
    values = {partner for article in articles for partner in article.partners}
    report.partners_discovered = len(values & report.new_partners)
    report.partners_vocabulary = len(values) - report.partners_discovered


#: Errors of a full disk (or a full quota): the admin's remedy is space, not a fix.
_NO_SPACE: Final = (errno.ENOSPC, errno.EDQUOT)


def _failure(error: BaseException, root: Path) -> str:
    """What went wrong, for the admin: a full disk is said in words, with the remedy."""
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return (
            f"no space left on the disk of {root.resolve()}: {error.strerror}; free some "
            "space (a build needs room for one more generation) and build again"
        )
    return f"{type(error).__name__}: {error}"


def _refuse_a_damaged_pointer(root: Path) -> None:
    """A build must not go on when `live.json` is damaged: it would see every
    generation as unreferenced and delete them all, rollback targets included."""
    try:
        gens.read_pointer_file(root)
    except DamagedPointerError as damaged:
        raise BuildFailedError(
            f"{damaged}; nothing was built or deleted. To recover: `search-service index "
            "rollback` republishes the newest complete generation on disk (then build "
            f"again), or remove {damaged.path} and run `index build` (a full build, which "
            "deletes every generation folder it finds)"
        ) from damaged


def _phase(progress: Progress | None, phase: str, articles: int) -> None:
    """Report a phase without counts (commit, check, publish)."""
    if progress is not None:
        progress(phase, 0, 0, articles)


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


def written_with_current_schema(generation: gens.Generation) -> bool:
    """Whether `generation` was written with the code's schema (the fingerprint its
    manifest keeps): an incremental build reuses only such a generation."""
    return generation.manifest.get("schema_fingerprint") == schema_fingerprint()


def _full_reason(live: gens.Generation | None, full: bool) -> tuple[str | None, dict[str, str]]:
    """Why this build must index everything afresh (None: incremental), and the
    live generation's checksums an incremental build compares with."""
    if full:
        return "--full", {}
    if live is None:
        return "no live generation", {}
    if not written_with_current_schema(live):
        return "the schema changed", {}
    damaged = gens.damage(live, thorough=True)  # an incremental build copies it
    if damaged is not None:
        return f"the live generation is damaged: {damaged}", {}
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
    processes: int = 1,
) -> None:
    path = gens.building_path(root, name)
    if plan.full:
        path.mkdir()
        index = whoosh_index.create_in(str(path), make_schema())
        _write_full(index, plan.to_add, progress, processes)
        return
    assert live is not None
    shutil.copytree(live.path, path)
    for stale in (gens.MANIFEST_FILE, gens.CHECKSUMS_FILE, gens.VERIFIED_FILE):
        (path / stale).unlink(missing_ok=True)
    shutil.rmtree(path / VIEW_FOLDER, ignore_errors=True)  # compiled again below
    if not (plan.to_add or plan.to_update or plan.to_delete):
        return  # only the vocabulary or the view: the same documents, a new snapshot or view
    index = whoosh_index.open_dir(str(path))
    limit = pool_limit_mb(len(plan.to_add) + len(plan.to_update), 1)
    writer = open_writer(index, procs=1, limitmb=limit)
    try:
        with _cancelled_on_failure(writer):
            for article_id in plan.to_delete:
                writer.delete_by_term("id", article_id)
            for article in plan.to_update:
                writer.delete_by_term("id", article.id)
            _add_documents(writer, [*plan.to_add, *plan.to_update], progress)
            _phase(progress, "commit", len(plan.to_add) + len(plan.to_update))
            writer.commit()
    finally:
        index.close()


@contextlib.contextmanager
def _cancelled_on_failure(writer: Any) -> Iterator[None]:
    """Cancel `writer` (its lock and temporary files) when the block fails, then re-raise."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise


def _write_full(
    index: Any, articles: list[Article], progress: Progress | None, processes: int
) -> None:
    """Write every article into the new, empty `index`, batch after batch (`full_batches`).

    Each batch is committed without merging: its segments are kept beside the earlier
    ones, and the serving view is compiled from all of them.
    """
    procs = processes if len(articles) >= PARALLEL_THRESHOLD else 1
    batches = full_batches(articles, procs)
    done = 0
    try:
        for number, batch in enumerate(batches, start=1):
            limit = pool_limit_mb(len(batch), procs)
            writer = open_writer(index, procs=procs, limitmb=limit)
            with _cancelled_on_failure(writer):
                _add_documents(writer, batch, progress, done=done, total=len(articles))
                if number == len(batches):
                    _phase(progress, "commit", len(articles))
                writer.commit(merge=False)
            done += len(batch)
    finally:
        index.close()


def full_batches(articles: list[Article], procs: int) -> list[list[Article]]:
    """A full build's articles in as few equal batches as the writers' pools hold.

    A pool that overflows spills every posting to temporary files and merges them
    back, which doubles the writing (5,000 articles with 64 MB pools: write phase
    9.8 → 19.3 s); past `procs × POOL_MB_MAX` of postings (about 51,000 articles on 2
    processes) a build writes a batch at a time instead, each in pools that fit, so
    its memory stays bounded by the cap without paying for the spill.
    """
    most = max(1, int(procs * POOL_MB_MAX / POOL_MB_PER_ARTICLE))
    count = max(1, -(-len(articles) // most))
    size = max(1, -(-len(articles) // count))
    return [articles[start : start + size] for start in range(0, len(articles), size)] or [[]]


def pool_limit_mb(articles: int, procs: int) -> int:
    """Posting-pool size (MB) of each of `procs` writer processes for `articles` articles."""
    wanted = int(articles / max(procs, 1) * POOL_MB_PER_ARTICLE) + 1
    return max(POOL_MB_MIN, min(POOL_MB_MAX, wanted))


def _add_documents(
    writer: Any,
    articles: list[Article],
    progress: Progress | None,
    *,
    done: int = 0,
    total: int | None = None,
) -> None:
    """Hand `articles` to the writer; the progress counts from `done` of `total`
    articles (the build's whole count when it writes in batches)."""
    pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
    hold = os.environ.get(HOLD_ENV)
    total = len(articles) if total is None else total
    if progress is not None and not done:
        progress("index", 0, total, total)
    for start in range(0, len(articles), BATCH_SIZE):
        for article in articles[start : start + BATCH_SIZE]:
            writer.add_document(**article_document(article))
        if progress is not None:
            progress("index", done + min(start + BATCH_SIZE, len(articles)), total, total)
        if pause:
            time.sleep(pause)
        while hold and os.path.exists(hold):
            time.sleep(0.05)


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
                    f"the new generation holds {counted(searcher.doc_count(), 'article')}, "
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


def _write_manifest(
    path: Path,
    name: str,
    articles: list[Article],
    report: BuildReport,
    vocabulary: UsedVocabulary | None,
) -> None:
    facets = _facet_counts(articles)
    manifest = {
        "name": name,
        "corpus": report.corpus,
        "vocabulary": vocabulary.manifest_record() if vocabulary else None,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "schema_fingerprint": schema_fingerprint(),
        "article_count": len(articles),
        gens.FILES_KEY: gens.index_files(path),
        "languages": facets.pop("language"),
        "facets": facets,
        "partners": {
            "vocabulary": report.partners_vocabulary,
            "discovered": report.partners_discovered,
            "proposed": report.partners_proposed,
        },
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
