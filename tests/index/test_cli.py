"""The real command in subprocesses: build the shipped corpus, survive SIGKILL,
refuse a concurrent build, show the status, roll back."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_service.cli import EXIT_CODES
from search_service.index import generations
from search_service.index.build import HOLD_ENV, PAUSE_ENV

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
def held_build(corpus: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A build of the corpus plus a 1,000-article export, waiting after each batch while
    the file it is given exists; the process and that file (the test removes it)."""
    add_export(corpus, 1_000)
    hold = tmp_path / "hold"
    hold.touch()
    with running_build(corpus, tmp_path / "ix", {HOLD_ENV: str(hold)}) as process:
        yield process, hold


@contextlib.contextmanager
def running_build(
    corpus: Path, index: Path, hook: dict[str, str]
) -> Iterator[subprocess.Popen[str]]:
    """A real `index build` with a test hook (`hook`: its environment), not awaited."""
    process = subprocess.Popen(
        _command("index", "build", "--corpus", str(corpus), "--index", str(index)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **hook},
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

    with running_build(corpus, index, {PAUSE_ENV: "1.5"}) as killed:
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
    corpus: Path, tmp_path: Path, held_build: tuple[subprocess.Popen[str], Path]
) -> None:
    index = tmp_path / "ix"
    slow_build, hold = held_build
    wait_until_writing(slow_build)
    before = sorted(path.name for path in index.iterdir())

    second = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert second.returncode == 3
    assert f"another build is running (pid {slow_build.pid})" in second.stderr
    assert sorted(path.name for path in index.iterdir()) == before
    assert run_cli("index", "rollback", "--index", str(index)).returncode == 3
    assert generations.lock_holder(index) == slow_build.pid
    hold.unlink()
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

    assert done.returncode == EXIT_CODES["build_failed"].code
    assert "no articles" in done.stderr
    assert generations.read_pointer(index) is None


def test_cli_status_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli("index", "status", "--index", str(tmp_path / "none"))

    assert done.returncode == 4
    assert "no index" in done.stderr


def add_broken_file(corpus: Path) -> None:
    """A Markdown file whose front matter is not YAML: the ingest skips it."""
    (corpus / "articles" / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")


def test_cli_strict_build_with_a_skipped_file_fails_and_publishes_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    add_broken_file(corpus)

    strict = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index), "--strict")

    assert strict.returncode == EXIT_CODES["build_failed"].code
    assert "--strict: 1 file skipped, nothing was published" in strict.stderr
    assert "articles/broken.md: error:" in strict.stderr
    assert not index.exists()  # the failed first build removed the folder it made

    lenient = run_cli("index", "build", "--corpus", str(corpus), "--index", str(index))

    assert lenient.returncode == 0, lenient.stderr
    assert "skipped 1" in lenient.stdout and "skipped articles/broken.md" in lenient.stdout


def test_environment_variables_set_the_folders_and_options_beat_them(
    corpus: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-corpus"
    shutil.copytree(corpus, other)
    add_export(other, 3)
    from_env, from_option = tmp_path / "env-ix", tmp_path / "option-ix"
    env = {"SEARCH_CORPUS_DIR": str(corpus), "SEARCH_INDEX_DIR": str(from_env)}

    by_env = run_cli("index", "build", env=env)
    assert by_env.returncode == 0, by_env.stderr
    assert "added 2" in by_env.stdout
    live = generations.read_pointer(from_env)
    assert live is not None

    by_option = run_cli(
        "index", "build", "--corpus", str(other), "--index", str(from_option), env=env
    )
    assert by_option.returncode == 0, by_option.stderr
    assert "added 5" in by_option.stdout
    assert generations.read_pointer(from_env) == live  # the option's folders, not the env's
    assert "export-2" in live_ids(from_option)

    status = run_cli("index", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert f"live generation: {live}" in status.stdout


def add_markdown_files(corpus: Path, count: int) -> None:
    for number in range(count):
        (corpus / "articles" / f"note-{number:02d}.md").write_text(
            f"---\ntitle: Note {number}\nlanguage: en\n---\nTeachers and schools {number}.\n"
        )


def test_build_prints_plain_progress_lines_when_stdout_is_not_a_terminal(
    corpus: Path, tmp_path: Path
) -> None:
    add_markdown_files(corpus, 40)  # 42 files with the two seeds

    done = run_cli("index", "build", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "\x1b" not in done.stdout
    reads = [line for line in lines if line.startswith("read: ")]
    assert 2 <= len(reads) <= 12  # about one per tenth of the 42 files, not one per file
    assert reads[-1] == "read: 42/42 files, 42 articles"
    phases = [line.split(":")[0] for line in lines if not line.startswith(("read:", "  "))]
    assert phases == ["index", "index", "commit", "view", "check", "publish", "build"]
    assert "index: 42/42 articles (" in done.stdout
    assert "commit: writing the index (commit)…" in lines
    assert re.search(r"published gen-\S+ in [\d.]+s \(42 articles indexed, [\d.]+/s", done.stdout)


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the command with its stdout and stderr on a pseudo-terminal (120 columns)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        _command(*args),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=REPO_ROOT,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"},
    )
    os.close(terminal)
    output = b""
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
        code = process.wait(timeout=240)
    return code, output.decode("utf-8", errors="replace")


def test_build_shows_rich_progress_bars_on_a_terminal(corpus: Path, tmp_path: Path) -> None:
    add_markdown_files(corpus, 3)

    code, output = run_on_a_terminal(
        "index", "build", "--corpus", str(corpus), "--index", str(tmp_path / "ix")
    )

    assert code == 0, output
    assert "\x1b[" in output and "━" in output  # drawn bars, not plain lines
    for label in (
        "reading files",
        "5/5 files, 5 articles",
        "indexing articles",
        "5/5 articles",
        "writing the index (commit)",
        "checking the new generation",
        "publishing",
    ):
        assert label in output
    assert "read: " not in output and "index: " not in output
    assert "published gen-" in output


#: A command whose `main` leaves unflushed output, a thread still running once it has
#: returned, an exit handler, and an object whose finalizer notes that it was freed.
_EXITING = """
import atexit, sys, threading, time
from pathlib import Path
from search_service import cli

marks = Path(sys.argv[1])
returned = threading.Event()


class Freed:
    def __del__(self):
        (marks / "freed").write_text("")


kept = Freed()
atexit.register(lambda: (marks / "exit handler").write_text(""))


def late():
    returned.wait()
    time.sleep(0.2)
    (marks / "thread").write_text("")


threading.Thread(target=late).start()
real_main = cli.main


def main():
    code = real_main(["index", "status", "--index", str(marks / "no-index")])
    sys.stdout.write("x" * 100_000)
    sys.stdout.write("the end")  # still in stdout's buffer
    returned.set()
    return code


cli.main = main
if sys.argv[2] == "entry":
    cli.entry()
else:
    sys.exit(cli.main())
"""


@pytest.mark.parametrize("ending", ["entry", "python's exit"])
def test_the_command_exits_without_freeing_its_heap_but_after_its_threads_and_exit_handlers(
    tmp_path: Path, ending: str
) -> None:
    """`cli.entry` ends the process with `os._exit`: objects left are not freed one by one
    (a build's caches took 0.2 s), but what a normal exit does besides still happens.
    Python's own exit is the control: it frees the object."""
    marks = tmp_path / "marks"
    marks.mkdir()

    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-c", _EXITING, str(marks), ending],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=buffered,
        timeout=60,
    )

    assert done.returncode == EXIT_CODES["no_index"].code
    assert "no index has been built" in done.stderr
    assert done.stdout == "x" * 100_000 + "the end"
    freed = [] if ending == "entry" else ["freed"]
    assert sorted(p.name for p in marks.iterdir()) == sorted(["exit handler", "thread", *freed])
