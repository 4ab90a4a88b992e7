"""Output piped into a reader that has left (`search … --json | head -3`) ends quietly:
no traceback, no "Exception ignored", the table's broken-pipe code. Real processes on a
real pipe whose reading end is closed, so every write fails as it does after `head` exits."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service import cli
from search_service.index import generations

from .conftest import COMMAND, run_process

pytestmark = pytest.mark.slow

CASES: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "search --json": lambda corpus, index: ["search", "teachers", "--index", index, "--json"],
    "search": lambda corpus, index: ["search", "teachers", "--index", index],
    "index status": lambda corpus, index: ["index", "status", "--index", index],
    "index status --json": lambda corpus, index: ["index", "status", "--index", index, "--json"],
    "index rollback": lambda corpus, index: ["index", "rollback", "--index", index],
    "index build": lambda corpus, index: ["index", "build", "--corpus", corpus, "--index", index],
    "corpus check": lambda corpus, index: ["corpus", "check", "--corpus", corpus],
    "corpus check --json": lambda corpus, index: ["corpus", "check", "--corpus", corpus, "--json"],
}


def run_into_a_closed_pipe(*args: str | Path) -> subprocess.CompletedProcess[str]:
    reading, writing = os.pipe()
    os.close(reading)  # the reader has left
    try:
        return run_process(*args, stdout=writing)
    finally:
        os.close(writing)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_reader_that_left_ends_the_command_quietly(case: str, corpus: Path, index: Path) -> None:
    live = generations.read_pointer(index)
    (corpus / "articles" / "more.md").write_text("---\ntitle: More teachers\n---\nTeachers.\n")

    done = run_into_a_closed_pipe(*CASES[case](corpus, index))

    assert done.returncode == cli.EXIT_CODES["broken_pipe"].code
    assert done.stderr == ""
    if case == "index build":  # stopped before publishing, nothing left half-built
        assert generations.read_pointer(index) == live
        assert not [p for p in index.iterdir() if p.name.startswith("building-")]


def test_search_piped_into_head_prints_its_first_lines(index: Path) -> None:
    done = subprocess.run(
        f"'{COMMAND}' search teachers --index '{index}' --json | head -3",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.stdout.splitlines() == ["{", '  "query": "teachers",', '  "total": 2,']
    assert done.stderr == ""
