"""The real command in subprocesses: build the shipped corpus, survive SIGKILL,
refuse a concurrent build, show the status, roll back."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_service import generations
from search_service.build import PAUSE_ENV

from .conftest import live_ids, live_stored, matching_ids, phrase_ids

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERIES = ("mutualist", "Masmut", "cote d'ivoire", "solidaris burundi", "universal health")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "search_service", *args]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(*args),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=240,
        check=False,
    )


@pytest.fixture
def corpus(tmp_path: Path, shipped_corpus: Path) -> Path:
    """A copy of the shipped corpus (the seeds and the vocabulary) that tests may edit."""
    copy = tmp_path / "corpus"
    shutil.copytree(shipped_corpus, copy)
    return copy


def add_export(corpus: Path, count: int, name: str = "export.jsonl") -> Path:
    """A JSON Lines export of `count` small English articles, added to the corpus."""
    path = corpus / "articles" / name
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(count):
            record = {
                "id": f"export-{number}",
                "title": f"Teachers meeting number {number}",
                "body": f"Report {number} on health insurance for teachers in Benin.",
                "language": "en",
                "date": "2020-01-15",
            }
            handle.write(json.dumps(record) + "\n")
    return path


def results_of(index: Path) -> dict[str, set[str]]:
    return {text: matching_ids(index, text) | phrase_ids(index, text) for text in QUERIES}


@pytest.fixture
def slow_build(corpus: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A build of the corpus plus a 1,000-article export, paused after each batch."""
    add_export(corpus, 1_000)
    with paused_build(corpus, tmp_path / "ix") as process:
        yield process


@contextlib.contextmanager
def paused_build(corpus: Path, index: Path) -> Iterator[subprocess.Popen[str]]:
    """A real `index build` that sleeps after each batch (the test hook), not awaited."""
    process = subprocess.Popen(
        _command("index", "build", "--corpus", str(corpus), "--index", str(index)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, PAUSE_ENV: "1.5"},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def wait_until_writing(process: subprocess.Popen[str]) -> str:
    """Read the build's progress lines until it has written a batch (and is pausing)."""
    assert process.stdout is not None
    seen = ""
    for line in process.stdout:
        seen += line
        if line.startswith("index: ") and not line.startswith("index: 0/"):
            return seen
    raise AssertionError(f"the build ended before writing: {seen}")


def article_id_of(index: Path, file_name: str) -> str:
    for article_id in live_ids(index):
        if live_stored(index, article_id)["source"].endswith(file_name):
            return article_id
    raise AssertionError(file_name)


def test_cli_build_of_the_shipped_corpus_finds_the_seeds(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"

    done = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert done.returncode == 0, done.stderr
    assert "added 2" in done.stdout and "published gen-" in done.stdout
    conference = article_id_of(index, "000_197affed672c23d7.txt")
    masmut = article_id_of(index, "001_119e6c8c953a1bce.txt")
    assert matching_ids(index, "Guinea-Conakry mutualist") == {conference}
    assert matching_ids(index, "Versailles landing") == {masmut}
    assert phrase_ids(index, "cote d'ivoire") == {conference}
    assert matching_ids(index, "mutual societies") == {conference, masmut}


def test_cli_incremental_build_after_editing_adding_and_deleting_files(
    corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    assert run_cli("index", "build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    conference = article_id_of(index, "000_197affed672c23d7.txt")
    masmut = article_id_of(index, "001_119e6c8c953a1bce.txt")
    seed = corpus / "articles" / "000_197affed672c23d7.txt"
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text.replace("in Abidjan", "in Quetzaltenango"), encoding="utf-8")
    (corpus / "articles" / "001_119e6c8c953a1bce.txt").unlink()
    add_export(corpus, 2)

    done = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert done.returncode == 0, done.stderr
    assert "added 2, updated 1, deleted 1, unchanged 0" in done.stdout
    assert live_ids(index) == {conference, "export-0", "export-1"}
    assert matching_ids(index, "Quetzaltenango") == {conference}
    assert matching_ids(index, "controlled landing") == set()
    assert masmut not in live_ids(index)


def test_build_killed_with_sigkill_leaves_the_live_generation_answering(
    corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    first = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))
    assert first.returncode == 0, first.stderr
    live = generations.read_pointer(index)
    before = results_of(index)
    add_export(corpus, 1_000)

    with paused_build(corpus, index) as killed:
        wait_until_writing(killed)
        assert [p for p in index.iterdir() if p.name.startswith("building-")]  # mid-write
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()

    assert killed.returncode == -signal.SIGKILL
    assert generations.read_pointer(index) == live
    assert results_of(index) == before
    assert (index / generations.LOCK_FILE).read_text().strip() == str(killed.pid)

    again = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert again.returncode == 0, again.stderr
    assert f"dead build (pid {killed.pid})" in again.stdout
    assert "added 1000" in again.stdout
    assert not [p for p in index.iterdir() if p.name.startswith("building-")]
    assert generations.read_pointer(index) != live
    assert "export-999" in live_ids(index)


def test_two_concurrent_builds_one_succeeds_the_other_is_refused_with_the_pid(
    corpus: Path, tmp_path: Path, slow_build: subprocess.Popen[str]
) -> None:
    index = tmp_path / "ix"
    wait_until_writing(slow_build)
    before = sorted(path.name for path in index.iterdir())

    second = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert second.returncode == 3
    assert f"another build is running (pid {slow_build.pid})" in second.stderr
    assert sorted(path.name for path in index.iterdir()) == before
    assert run_cli("index", "rollback", "--index", str(index)).returncode == 3
    assert generations.lock_holder(index) == slow_build.pid
    out, err = slow_build.communicate(timeout=240)
    assert slow_build.returncode == 0, err
    assert "published gen-" in out
    assert "export-999" in live_ids(index)


def test_cli_status_and_rollback(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    assert run_cli("index", "build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    first = generations.read_pointer(index)
    add_export(corpus, 3)
    assert run_cli("index", "build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    second = generations.read_pointer(index)

    status = run_cli("index", "status", "--index", str(index))
    assert status.returncode == 0, status.stderr
    assert f"live generation: {second}" in status.stdout
    assert "5 articles" in status.stdout
    assert "languages: en 5" in status.stdout
    assert "Benin" in status.stdout
    assert f"previous generations (1):\n  {first}" in status.stdout

    rolled = run_cli("index", "rollback", "--index", str(index))
    assert rolled.returncode == 0, rolled.stderr
    assert generations.read_pointer(index) == first
    assert "export-0" not in live_ids(index)

    refused = run_cli("index", "rollback", "--index", str(index))
    assert refused.returncode == 5
    assert "nothing to roll back" in refused.stderr


def test_cli_build_of_a_corpus_without_articles_fails_publishing_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    for article in (corpus / "articles").iterdir():
        article.unlink()
    index = tmp_path / "ix"

    done = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert done.returncode == 2
    assert "no articles" in done.stderr
    assert generations.read_pointer(index) is None


def test_cli_status_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli("index", "status", "--index", str(tmp_path / "none"))

    assert done.returncode == 4
    assert "no index" in done.stderr
