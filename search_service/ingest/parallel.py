"""The ingest's files read by several processes, with the result of one process.

What a file gives on its own (decoding, parsing, a page's main text, its date and
language, the names it mentions, the checksum: `_Run.prepare`) is a pure function of
the file and the vocabulary, and costs milliseconds a page. Worker processes forked
from the ingest (they inherit the vocabulary) each read whole files, or a range of the
lines of a large JSONL export, and send back what the one-process run would have done,
as events in the order it would have done them: problems, prepared drafts, progress.
This process replays them in file order through what depends on other files: ids
already used (the first in file order wins), copies of a page, progress, the counts.
So the result is the one-process result, problem for problem.

A JSONL export is decoded here, once (its file-level problems: encoding, mojibake,
characters that are not text, are about the whole file), and its lines are sent in
ranges of `JSONL_CHUNK_LINES`, numbered as in the file.

The workers ignore Ctrl-C (the ingest stops them at once, whatever they are reading)
and are killed with the process that forked them (`child_processes.die_with_parent`).
A worker that dies, or an error that escapes its per-file guard, fails the ingest
with `IngestWorkerError` rather than hanging it or costing a file silently.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from search_service import collector
from search_service.articles import Article, Problem
from search_service.child_processes import die_with_parent
from search_service.errors import IngestWorkerError, SearchServiceError
from search_service.ingest.corpus import _Prepared, _Run
from search_service.ingest.html import HTML_EXTENSIONS, import_parsers
from search_service.ingest.language import load_models
from search_service.ingest.organisations import ArticleEvidence, evidence_reader
from search_service.ingest.vocabulary import Vocabulary

#: Bytes of article files from which a build's ingest is spread over its processes:
#: below it (a few hundred articles), starting the processes costs more than it saves.
PARALLEL_BYTES: Final = 2_000_000
#: Lines of a JSONL export read by one worker at a time.
JSONL_CHUNK_LINES = 500

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Progress:
    """The one-process run reported progress here (every `PROGRESS_EVERY` JSONL lines)."""


_Event = Problem | _Prepared | _Progress


@dataclass
class _Done:
    """What reading a file (or a range of its lines) gave, as the events to replay."""

    events: list[_Event] = field(default_factory=list)
    files_read: int = 0


@dataclass
class _Recorder(_Run):
    """A `_Run` that records what it would do to the ingest's state instead of doing it."""

    events: list[_Event] = field(default_factory=list)
    read_evidence: Callable[[Article], ArticleEvidence] | None = None

    def emit(self, problem: Problem) -> None:
        self.events.append(problem)

    def accept(self, prepared: _Prepared) -> None:
        if self.read_evidence is not None and prepared.article is not None:
            prepared.evidence = self.read_evidence(prepared.article)
        self.events.append(prepared)

    def report_progress(self) -> None:
        self.events.append(_Progress())

    def done(self) -> _Done:
        return _Done(self.events, self.files_read)


class _WorkerFailed(Exception):
    """An error that escaped a worker's per-file guard, named (its traceback is logged there)."""


def should_fork(files: Sequence[Path], processes: int, parallel_bytes: int) -> bool:
    """Whether these files are worth `processes` processes (`PARALLEL_BYTES`)."""
    if processes <= 1 or len(files) == 0:
        return False
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # reading it will say why
        if total >= parallel_bytes:
            return True
    return total >= parallel_bytes


def read_in_processes(
    run: _Run, files: Sequence[Path], processes: int, *, read_evidence: bool
) -> dict[str, ArticleEvidence]:
    """`run.read_file` of each file, the work done by `processes` forked processes; with
    `read_evidence`, what `organisations.discover` reads in each article kept (by id)."""
    _prepare_readers(run.vocabulary, files)
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), run.corpus_root, run.vocabulary, read_evidence),
    )
    evidence: dict[str, ArticleEvidence] = {}
    try:
        with collector.paused():  # what arrives here stays alive (`collector`)
            planned = [_submit(pool, run, path) for path in files]
            for path, parts in zip(files, planned, strict=True):
                for part in parts:
                    done = part if isinstance(part, _Done) else _result(run, path, part)
                    _replay(run, done, evidence)
                run.file_done()
    except BaseException:
        _stop_now(pool)
        raise
    pool.shutdown(wait=True)
    return evidence


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Stop the workers without waiting for the files they are reading (Ctrl-C, a
    failure): a page that takes minutes must not hold the build back."""
    # No public handle on the processes before Python 3.14's `terminate_workers`.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join()


def _prepare_readers(vocabulary: Vocabulary, files: Sequence[Path]) -> None:
    """What reading builds or loads on first use, done once here so that the workers
    forked next share it: the vocabulary's name matching, and when there are files other
    than JSONL exports (whose language is usually detected or checked) lingua's models,
    and the HTML parsers for HTML pages."""
    vocabulary.prepare_matching()
    suffixes = {path.suffix.lower() for path in files}
    if suffixes - {".jsonl"}:
        load_models()
    if suffixes & set(HTML_EXTENSIONS):
        import_parsers()


def _submit(pool: ProcessPoolExecutor, run: _Run, path: Path) -> list[_Done | Future[_Done]]:
    if path.suffix.lower() != ".jsonl":
        return [pool.submit(_read_file, path)]
    recorder = _Recorder(run.corpus_root, run.vocabulary)
    lines: list[str] = []
    with recorder.costs_one_file(path):  # as `_Run.read_contents` does
        text = recorder.decode(path)
        recorder.files_read += 1
        lines = text.split("\n")
    parts: list[_Done | Future[_Done]] = [recorder.done()]
    for start in range(0, len(lines), JSONL_CHUNK_LINES):
        chunk = lines[start : start + JSONL_CHUNK_LINES]
        parts.append(pool.submit(_read_lines, path, chunk, start + 1))
    return parts


def _result(run: _Run, path: Path, future: Future[_Done]) -> _Done:
    try:
        return future.result()
    except SearchServiceError:
        raise
    except BrokenProcessPool as error:
        raise IngestWorkerError(
            f"a process of the ingest died while reading {run.display(path)} "
            f"({error}); nothing was read"
        ) from error
    except Exception as error:
        raise IngestWorkerError(
            f"a process of the ingest failed on {run.display(path)} "
            f"({type(error).__name__}: {error}); nothing was read"
        ) from error


def _replay(run: _Run, done: _Done, evidence: dict[str, ArticleEvidence]) -> None:
    run.files_read += done.files_read
    for event in done.events:
        if isinstance(event, Problem):
            run.emit(event)
        elif isinstance(event, _Prepared):
            run.accept(event)
            kept = run.articles and run.articles[-1] is event.article
            if kept and event.evidence is not None:
                evidence[event.id] = event.evidence
        else:
            run.report_progress()


# ---- in a worker process ---------------------------------------------------------------


@dataclass(frozen=True)
class _Worker:
    corpus_root: Path
    vocabulary: Vocabulary
    read_evidence: Callable[[Article], ArticleEvidence] | None


_worker: _Worker | None = None


def _start_worker(
    parent: int, corpus_root: Path, vocabulary: Vocabulary, read_evidence: bool
) -> None:
    """Killed with the ingest; Ctrl-C is for the ingest, which stops its workers; fork
    gave us the vocabulary."""
    global _worker
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reader = evidence_reader(vocabulary) if read_evidence else None
    _worker = _Worker(corpus_root, vocabulary, reader)


def _recorder() -> _Recorder:
    if _worker is None:
        raise _WorkerFailed(f"process {os.getpid()} is not an ingest worker")
    return _Recorder(_worker.corpus_root, _worker.vocabulary, read_evidence=_worker.read_evidence)


def _read_file(path: Path) -> _Done:
    return _recorded(lambda recorder: recorder.read_contents(path), str(path))


def _read_lines(path: Path, lines: list[str], first: int) -> _Done:
    return _recorded(
        lambda recorder: recorder.read_lines(path, lines, first), f"{path} line {first}"
    )


def _recorded(read: Callable[[_Recorder], None], what: str) -> _Done:
    """What `read` records; an error past the per-file guard fails the ingest, named."""
    recorder = _recorder()
    try:
        read(recorder)
    except SearchServiceError:
        raise
    except BaseException as error:
        logger.exception("ingest worker failed on %s", what)
        raise _WorkerFailed(f"{type(error).__name__}: {error}") from None
    return recorder.done()
