"""Generations on disk: publish, prune, rollback, the build lock and crash debris."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh.query import Term

from search_service.articles import Article
from search_service.errors import (
    BuildFailedError,
    BuildInProgressError,
    DamagedPointerError,
    IndexNotFoundError,
    RollbackError,
)
from search_service.index import generations
from search_service.index.build import build_from_articles

from ..conftest import build_lock_held
from .conftest import MakeArticle, live_ids


def _versions(make_article: MakeArticle, count: int) -> list[list[Article]]:
    """`count` successive corpora: version n holds articles v0..vn."""
    return [
        [make_article(f"v{i}", f"Version {i}", f"Body number{i}.", "en") for i in range(n + 1)]
        for n in range(count)
    ]


def test_nothing_published_yet_is_a_clear_error(index_root: Path) -> None:
    assert generations.read_pointer(index_root) is None
    assert generations.live_generation(index_root) is None
    with pytest.raises(IndexNotFoundError):
        generations.open_live_index(index_root)


def test_builds_keep_the_configured_number_of_generations(
    index_root: Path, make_article: MakeArticle
) -> None:
    reports = [
        build_from_articles(corpus, index_root, keep=2) for corpus in _versions(make_article, 4)
    ]

    folders = sorted(p.name for p in index_root.iterdir() if p.name.startswith("gen-"))
    assert folders == sorted(str(report.generation) for report in reports[-2:])
    assert reports[-1].pruned == [reports[-3].generation]
    assert [g.name for g in generations.previous_generations(index_root)] == [
        reports[-2].generation
    ]


def test_a_searcher_keeps_answering_after_its_generation_is_pruned(
    index_root: Path, make_article: MakeArticle
) -> None:
    corpora = _versions(make_article, 3)
    build_from_articles(corpora[0], index_root, keep=1)
    old_generation, index = generations.open_live_index(index_root)
    searcher = index.searcher()
    try:
        build_from_articles(corpora[1], index_root, keep=1)
        build_from_articles(corpora[2], index_root, keep=1)
        assert not old_generation.path.exists()  # pruned from disk

        hits = searcher.search(Term("body_exact", "number0"))
        assert [hit["id"] for hit in hits] == ["v0"]
        assert searcher.doc_count() == 1
    finally:
        searcher.close()
    assert live_ids(index_root) == {"v0", "v1", "v2"}


def test_rollback_republishes_the_previous_generation(
    index_root: Path, make_article: MakeArticle
) -> None:
    first, second, third = (
        build_from_articles(corpus, index_root) for corpus in _versions(make_article, 3)
    )

    done = generations.rollback(index_root)

    assert (done.target.name, done.left) == (second.generation, third.generation)
    assert generations.read_pointer(index_root) == second.generation
    assert live_ids(index_root) == {"v0", "v1"}
    assert generations.rollback(index_root).target.name == first.generation
    assert live_ids(index_root) == {"v0"}
    with pytest.raises(RollbackError, match="nothing to roll back"):
        generations.rollback(index_root)


def test_rollback_without_any_index_is_refused(index_root: Path) -> None:
    with pytest.raises(RollbackError):
        generations.rollback(index_root)


def test_a_build_after_a_rollback_starts_from_the_rolled_back_generation(
    index_root: Path, make_article: MakeArticle
) -> None:
    corpora = _versions(make_article, 2)
    build_from_articles(corpora[0], index_root)
    abandoned = build_from_articles(corpora[1], index_root)
    generations.rollback(index_root)

    report = build_from_articles(corpora[1], index_root, full=False)

    assert report.added == ["v1"]  # compared with the rolled-back generation
    assert abandoned.generation in report.pruned  # no longer referenced: removed
    assert live_ids(index_root) == {"v0", "v1"}


def test_debris_of_crashed_builds_is_removed_by_the_next_build(
    small_corpus: list[Article], index_root: Path
) -> None:
    first = build_from_articles(small_corpus, index_root)
    half_built = generations.building_path(index_root, generations.new_generation_name())
    half_built.mkdir()
    (half_built / "MAIN_x.seg").write_bytes(b"partial")
    orphan = index_root / generations.new_generation_name()  # renamed, never published
    orphan.mkdir()

    report = build_from_articles(small_corpus[:2], index_root, full=False)

    assert not half_built.exists()
    assert not orphan.exists()
    assert (index_root / str(first.generation)).is_dir()  # still a rollback target
    assert generations.read_pointer(index_root) == report.generation


def test_a_stale_lock_of_a_dead_build_is_cleared(
    small_corpus: list[Article], index_root: Path
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    index_root.mkdir()
    (index_root / generations.LOCK_FILE).write_text(f"{dead_pid}\n")

    report = build_from_articles(small_corpus, index_root)

    assert report.generation is not None
    assert report.stale_lock_pid == dead_pid
    assert any(str(dead_pid) in line for line in report.summary_lines())


def test_a_build_while_another_holds_the_lock_is_refused_touching_nothing(
    small_corpus: list[Article], index_root: Path, make_article: MakeArticle
) -> None:
    first = build_from_articles(small_corpus, index_root)
    with build_lock_held(index_root) as holder_pid:
        before = sorted(p.name for p in index_root.iterdir())

        with pytest.raises(BuildInProgressError) as refused:
            build_from_articles([make_article("x", "X", "x", "en")], index_root)

        assert refused.value.pid == holder_pid
        assert str(holder_pid) in str(refused.value)
        assert sorted(p.name for p in index_root.iterdir()) == before
        assert generations.read_pointer(index_root) == first.generation
        assert generations.lock_holder(index_root) == holder_pid
    deadline = time.monotonic() + 10
    while generations.lock_holder(index_root) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert build_from_articles(small_corpus[:2], index_root, full=False).generation is not None


def test_the_pointer_names_the_live_and_previous_generations(
    index_root: Path, make_article: MakeArticle
) -> None:
    first, second = (
        build_from_articles(corpus, index_root) for corpus in _versions(make_article, 2)
    )

    pointer = generations.read_pointer_file(index_root)

    assert pointer == generations.Pointer(str(second.generation), (str(first.generation),))
    assert not [p for p in index_root.iterdir() if p.name.endswith(".tmp")]


def test_an_unusable_index_folder_is_a_clear_build_failure(
    small_corpus: list[Article], tmp_path: Path
) -> None:
    in_the_way = tmp_path / "indexes"
    in_the_way.write_text("not a folder")

    with pytest.raises(BuildFailedError, match="is a file, not an index folder"):
        build_from_articles(small_corpus, in_the_way)


PARALLEL_BUILD = """
import multiprocessing, sys
from pathlib import Path
from search_service.index import build
from search_service.articles import Article, SourceRef

build.PARALLEL_THRESHOLD = 2
articles = [
    Article(id=f"p{n}", title=f"Title {n}", body=f"Body {n} about pensions.", language="en",
            source=SourceRef(path=f"p{n}.txt"), checksum=str(n))
    for n in range(600)
]

def progress(phase, done, total, articles):
    if phase == "index" and done:
        pids = " ".join(str(child.pid) for child in multiprocessing.active_children())
        print("children", pids, flush=True)

build.build_from_articles(articles, Path(sys.argv[1]), progress=progress, allow_shrink=True)
"""


def test_writer_processes_of_a_killed_build_do_not_keep_its_lock(
    small_corpus: list[Article], index_root: Path
) -> None:
    build_from_articles(small_corpus, index_root)
    killed = subprocess.Popen(
        [sys.executable, "-c", PARALLEL_BUILD, str(index_root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SEARCH_TEST_BUILD_PAUSE": "30"},
    )
    children: list[int] = []
    try:
        assert killed.stdout is not None
        line = killed.stdout.readline()
        children = [int(pid) for pid in line.split()[1:]]
        assert children  # Whoosh's writer processes are running
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        # They die with the build instead of waiting forever; on a machine busy writing
        # other indexes a killed writer can take seconds to leave the disk queue.
        assert _survivors(children) == []

        report = build_from_articles(small_corpus[:2], index_root, full=False)

        assert report.generation is not None
        assert report.stale_lock_pid == killed.pid
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if killed.poll() is None:
            killed.kill()
            killed.wait()
        if killed.stdout is not None:
            killed.stdout.close()


def _survivors(pids: list[int], seconds: float = 30) -> list[str]:
    """The processes still running after `seconds` (pid and state; zombies count as exited)."""
    deadline = time.monotonic() + seconds
    while True:
        running = [pid for pid in pids if _running(pid)]
        if not running or time.monotonic() > deadline:
            return [f"{pid}: {_state(pid)}" for pid in running]
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return "gone"
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:80]
    return f"{fields.get('State')}, parent {fields.get('PPid')}, {command.decode(errors='replace')}"


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


DAMAGED_POINTERS = [
    b'{"live": "gen-x',  # truncated (our own writes are atomic: something else did it)
    b"",
    b"[]",
    b'{"live": 3}',
    b'{"live": "gen-a", "previous": "gen-b"}',
    b'{"live": "gen-\xff"}',
]


def _damage_pointer(root: Path, content: bytes = b'{"live": "gen-x') -> None:
    (root / generations.POINTER_FILE).write_bytes(content)


@pytest.mark.parametrize("content", DAMAGED_POINTERS)
def test_a_damaged_pointer_is_reported_not_read_as_no_pointer(
    index_root: Path, content: bytes
) -> None:
    index_root.mkdir()
    _damage_pointer(index_root, content)

    with pytest.raises(DamagedPointerError, match=r"live\.json is damaged"):
        generations.read_pointer_file(index_root)
    with pytest.raises(DamagedPointerError):
        generations.remove_unreferenced(index_root)


def test_a_build_refuses_a_damaged_pointer_and_deletes_nothing(
    index_root: Path, make_article: MakeArticle
) -> None:
    for corpus in _versions(make_article, 3):
        build_from_articles(corpus, index_root)
    debris = generations.building_path(index_root, generations.new_generation_name())
    debris.mkdir()
    _damage_pointer(index_root)
    before = sorted(p.name for p in index_root.iterdir())

    for full in (False, True):
        with pytest.raises(BuildFailedError) as refused:
            build_from_articles(_versions(make_article, 4)[-1], index_root, full=full)
        message = str(refused.value)
        assert f"{index_root / 'live.json'} is damaged (not valid JSON" in message
        assert "nothing was built or deleted" in message
        assert "index rollback" in message and "remove" in message

    assert sorted(p.name for p in index_root.iterdir()) == before
    assert (index_root / "live.json").read_text() == '{"live": "gen-x'


@pytest.mark.parametrize("content", DAMAGED_POINTERS)
def test_every_reader_reports_a_damaged_pointer_not_no_index(
    small_corpus: list[Article], index_root: Path, content: bytes
) -> None:
    build_from_articles(small_corpus, index_root)
    _damage_pointer(index_root, content)

    for read in (
        generations.read_pointer,
        generations.live_generation,
        generations.open_live_index,
    ):
        with pytest.raises(DamagedPointerError, match=r"live\.json is damaged"):
            read(index_root)


def test_a_serving_engine_keeps_its_generation_when_the_pointer_becomes_damaged(
    small_corpus: list[Article], index_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from search_service.search.engine import SearchEngine
    from search_service.search.results import SearchRequest
    from search_service.settings import Settings

    first = build_from_articles(small_corpus, index_root)
    engine = SearchEngine(Settings(index_dir=index_root, reload_interval=1e-6))
    assert engine.generation().name == first.generation
    _damage_pointer(index_root)

    with caplog.at_level(logging.WARNING, logger="search_service.search.engine"):
        for _ in range(5):  # every call re-reads the pointer (reload_interval ~ 0)
            assert engine.generation().name == first.generation  # keeps serving what it has
            time.sleep(0.001)
        found = engine.search(SearchRequest(q="teachers"))

    assert [hit.id for hit in found.hits] == ["en-insurance"]
    warnings = [record for record in caplog.records if "is damaged" in record.getMessage()]
    assert len(warnings) == 1  # once, not at every check
    assert "index rollback" in warnings[0].getMessage()
    with pytest.raises(DamagedPointerError):  # a fresh engine has nothing to keep serving
        SearchEngine(Settings(index_dir=index_root)).generation()


def test_rollback_of_a_damaged_pointer_republishes_the_newest_complete_generation(
    index_root: Path, make_article: MakeArticle
) -> None:
    reports = [build_from_articles(corpus, index_root) for corpus in _versions(make_article, 3)]
    unfinished = index_root / generations.new_generation_name()  # newer, but no manifest
    unfinished.mkdir()
    _damage_pointer(index_root)
    before = sorted(p.name for p in index_root.iterdir())

    done = generations.rollback(index_root)

    newest, second, first = (str(report.generation) for report in reversed(reports))
    assert done.target.name == newest and done.left is None
    assert done.damaged is not None and "not valid JSON" in str(done.damaged)
    assert generations.read_pointer_file(index_root) == generations.Pointer(newest, (second, first))
    assert sorted(p.name for p in index_root.iterdir()) == before  # nothing deleted
    assert live_ids(index_root) == {"v0", "v1", "v2"}
    after = build_from_articles(_versions(make_article, 4)[-1], index_root, full=False, keep=2)
    assert after.added == ["v3"]
    assert set(after.pruned) == {second, first, unfinished.name}


def test_rollback_of_a_damaged_pointer_without_generations_says_how_to_recover(
    index_root: Path,
) -> None:
    index_root.mkdir()
    _damage_pointer(index_root)

    with pytest.raises(RollbackError, match=r"no complete generation.*remove .*live\.json"):
        generations.rollback(index_root)
