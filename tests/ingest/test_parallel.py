"""The ingest spread over processes gives the one-process result, problem for problem."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from search_service.errors import IngestWorkerError
from search_service.index.build import build_index
from search_service.ingest import corpus as corpus_module
from search_service.ingest import parallel
from search_service.ingest.corpus import IngestResult, ingest_paths
from search_service.ingest.vocabulary import Vocabulary
from tests.ingest.conftest import Write
from tests.ingest.html_site import article_page

AGREEMENT = "https://site.example/en/the-agreement/"


def ingested(corpus: Path, vocabulary: Vocabulary, processes: int, **options: Any) -> IngestResult:
    """The corpus ingested by `processes` processes, forked whatever its size."""
    return ingest_paths(
        [corpus],
        corpus_root=corpus,
        vocabulary=vocabulary,
        processes=processes,
        parallel_bytes=0,
        **options,
    )


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the ingest read its files in processes (a run with 1 never does)."""
    calls: list[int] = []
    read_in_processes = parallel.read_in_processes

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return read_in_processes(*args, **kwargs)

    monkeypatch.setattr(parallel, "read_in_processes", counted)
    return calls


def jsonl(*records: dict[str, Any] | str) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def mixed_corpus(write: Write) -> None:
    """Every kind of file and of problem, spread so that a JSONL export is split."""
    body = (
        "Teachers met the National Federation of Rural Teachers (NFRT) in Lomé. "
        "NFRT asked for better pay for teachers in Benin and in France."
    )
    write("a-note.txt", f"Teachers meet in Benin\n\n{body}\n")
    write("b-post.md", f"---\ntitle: A post\ndate: 2023-02-01\n---\n\n{body} NFRT again.\n")
    write("a-note.meta.yaml", "date: not a date\n")  # a sidecar with a bad date
    write("orphan.meta.yaml", "date: 2020-01-01\n")  # no article beside it: not read
    write("c-bad.md", "---\ntitle: [unclosed\n---\nbody\n")
    write("d-empty.txt", "")
    write(
        "e-export.jsonl",
        jsonl(
            {"id": "x1", "title": "First", "body": f"{body} Written in English."},
            "{not json",
            {"id": "b-post", "title": "Same id as the post", "body": "Text of the duplicate."},
            "",
            {"id": "x2", "title": "Sans langue", "body": "Le NFRT et la CSQ au Québec."},
            {"id": "x3", "title": "Bad date", "body": body, "date": "2020-13-45"},
            {"id": "x1", "title": "Again x1", "body": "A second x1 in the same file."},
            {"id": "x4", "title": "Partners stated", "body": body, "partners": ["CSQ"]},
            "[1, 2]",
        ),
    )
    write(
        "site/site.example/index@p=123.html",
        article_page("en", canonical=AGREEMENT).render(),
    )
    write("site/site.example/index@p=123.html.fetch.json", json.dumps({"url": "https://x/?p=1"}))
    write(
        "site/site.example/en/the-agreement.html", article_page("en", canonical=AGREEMENT).render()
    )
    write("site/site.example/en/the-agreement.html.fetch.json", json.dumps({"url": AGREEMENT}))
    write("site/site.example/fr/page.html", article_page("fr").render())
    write("z-notes.pdf", b"%PDF-1.4 not an article")


def test_a_mixed_corpus_read_by_two_processes_gives_the_one_process_result(
    corpus: Path,
    write: Write,
    vocabulary: Vocabulary,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mixed_corpus(write)
    monkeypatch.setattr(parallel, "JSONL_CHUNK_LINES", 2)
    calls: dict[int, list[tuple[int, int, int]]] = {1: [], 2: [], 3: []}

    results = {
        n: ingested(corpus, vocabulary, n, on_files=lambda *a, n=n: calls[n].append(a))
        for n in (1, 2, 3)
    }

    assert forks == [2, 3]
    one = results[1]
    codes = [(p.path, p.line, p.code) for p in one.problems]
    assert ("e-export.jsonl", 2, "bad_json") in codes  # the ingest met every kind of case
    assert ("e-export.jsonl", 3, "duplicate_id") in codes  # the .md file came first
    assert ("e-export.jsonl", 7, "duplicate_id") in codes  # x1 of line 1 came first
    assert ("e-export.jsonl", 9, "bad_record") in codes
    assert ("c-bad.md", None, "bad_front_matter") in codes
    assert ("d-empty.txt", None, "empty_file") in codes
    assert ("a-note.txt", None, "bad_date") in codes
    assert ("site/site.example/en/the-agreement.html", None, "duplicate_page") in codes
    assert [p.path for p in one.not_read] == ["orphan.meta.yaml", "z-notes.pdf"]
    assert one.discovery.find("NFRT") is not None
    for n in (2, 3):
        assert results[n].articles == one.articles
        assert results[n].problems == one.problems
        assert results[n].files_read == one.files_read
        assert results[n].not_read == one.not_read
        assert results[n].discovery == one.discovery
        assert results[n] == one
        assert calls[n] == calls[1]


def test_a_jsonl_export_split_between_processes_keeps_its_line_numbers(
    corpus: Path,
    write: Write,
    vocabulary: Vocabulary,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records: list[dict[str, Any] | str] = [
        {"id": f"a{n}", "title": f"Article {n}", "body": f"Teachers of Benin, article {n}."}
        for n in range(1, 41)
    ]
    for number in (3, 17, 18, 40):
        records[number - 1] = "{broken"
    write("export.jsonl", jsonl(*records))
    monkeypatch.setattr(parallel, "JSONL_CHUNK_LINES", 5)
    monkeypatch.setattr(corpus_module, "PROGRESS_EVERY", 10)
    progress: dict[int, list[tuple[int, int, int]]] = {1: [], 2: []}

    one, two = (
        ingested(corpus, vocabulary, n, on_files=lambda *a, n=n: progress[n].append(a))
        for n in (1, 2)
    )

    assert forks == [2]
    assert [(p.line, p.code) for p in two.problems] == [
        (3, "bad_json"),
        (17, "bad_json"),
        (18, "bad_json"),
        (40, "bad_json"),
    ]
    assert [a.source.line for a in two.articles] == [a.source.line for a in one.articles]
    assert two == one
    # Progress every 10 lines, then once for the file, as with one process.
    assert (
        progress[2]
        == progress[1]
        == [
            (0, 1, 9),
            (0, 1, 17),
            (0, 1, 27),
            (0, 1, 36),
            (1, 1, 36),
        ]
    )


def _escapes_the_per_file_guard(*args: Any) -> Any:
    raise SystemExit("not caught per file")


def _kills_its_process(*args: Any) -> Any:
    os._exit(3)


@pytest.mark.parametrize(
    ("failure", "said"),
    [(_escapes_the_per_file_guard, "failed on"), (_kills_its_process, "died while reading")],
)
def test_a_worker_that_fails_past_its_file_fails_the_ingest_instead_of_hanging_it(
    corpus: Path,
    write: Write,
    vocabulary: Vocabulary,
    monkeypatch: pytest.MonkeyPatch,
    failure: Any,
    said: str,
) -> None:
    write("a.md", "# A title\n\nTeachers of Benin.\n")
    write("b.txt", "A page\n\nTeachers of France.\n")
    monkeypatch.setattr(corpus_module._Run, "read_page", failure)  # the forked workers have it

    with pytest.raises(IngestWorkerError) as raised:
        ingested(corpus, vocabulary, 2)

    assert said in str(raised.value)
    assert "b.txt" in str(raised.value)


def test_a_small_corpus_is_read_in_this_process(
    corpus: Path, write: Write, vocabulary: Vocabulary, forks: list[int]
) -> None:
    write("a.md", "# A title\n\nTeachers of Benin.\n")

    result = ingest_paths([corpus], corpus_root=corpus, vocabulary=vocabulary, processes=2)

    assert forks == []
    assert len(result.articles) == 1


KILLED_INGEST = """
import os, signal, sys, time
from pathlib import Path
# Ctrl-C as a terminal delivers it, even when the suite runs with SIGINT ignored (a
# background job of a shell without job control), which this process would inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)
from search_service.ingest import corpus
from search_service.ingest.corpus import ingest_paths, load_vocabulary

def read_page(self, path, text):
    (Path(sys.argv[2]) / str(os.getpid())).write_text("reading")
    time.sleep(600)

corpus._Run.read_page = read_page
root = Path(sys.argv[1])
ingest_paths([root], corpus_root=root, vocabulary=load_vocabulary(root), processes=2,
             parallel_bytes=0)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie left to a container's init that does not reap is dead


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_the_workers_of_a_stopped_ingest_end_with_it_whatever_they_are_reading(
    corpus: Path, write: Write, tmp_path: Path, stop: signal.Signals
) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        write(name, "A page\n\nTeachers of France.\n")
    started = tmp_path / "started"
    started.mkdir()
    command = [sys.executable, "-c", KILLED_INGEST, str(corpus), str(started)]
    ingest = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list(started.iterdir())) < 2 and time.monotonic() < deadline:
            assert ingest.poll() is None, "the ingest ended before its workers read a page"
            time.sleep(0.05)
        workers = [int(path.name) for path in started.iterdir()]
        assert len(workers) == 2 and all(map(_alive, workers))
        ingest.send_signal(stop)
        ingest.wait(timeout=60)  # not a timing assertion: a hang fails here, not forever
    finally:
        ingest.kill()
        ingest.wait()

    deadline = time.monotonic() + 30
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, workers))


def test_a_build_reads_a_large_corpus_with_its_workers(
    corpus: Path, write: Write, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        "export.jsonl",
        jsonl(*({"id": f"a{n}", "title": f"A{n}", "body": "Benin."} for n in range(9))),
    )
    write("page.txt", "A page\n\nTeachers of France.\n")
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)  # this corpus counts as large

    report = build_index(corpus, tmp_path / "indexes", workers=2)

    assert forks == [2]
    assert report.articles == 10
    assert report.files_read == 2
    assert "read" in report.phases


def test_the_articles_arriving_from_the_processes_and_their_discovery_are_not_collected(
    corpus: Path, write: Write, vocabulary: Vocabulary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector's passes over articles that all stay alive cost a 100,000-article
    build 6.6 s of its read (`collector`): it is paused while they arrive and while
    their organisations are discovered, and on again after."""
    mixed_corpus(write)
    seen: list[tuple[str, bool]] = []
    from search_service.ingest.organisations import discover

    replay = parallel._replay

    def replaying(*args: Any) -> None:
        seen.append(("replay", gc.isenabled()))
        replay(*args)

    def discovering(*args: Any) -> Any:
        seen.append(("discover", gc.isenabled()))
        return discover(*args)

    monkeypatch.setattr(parallel, "_replay", replaying)
    monkeypatch.setattr(corpus_module, "discover", discovering)
    assert gc.isenabled()
    ingested(corpus, vocabulary, 2)
    assert {kind for kind, _ in seen} == {"replay", "discover"}
    assert [kind for kind, on in seen if on] == []
    assert gc.isenabled()
