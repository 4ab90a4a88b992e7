"""Counts are worded in the singular for one: "1 result", "1 article", "1 value"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search_service.fetch.report import FetchReport, SourceSummary
from search_service.wording import counted

from .conftest import ARTICLES, RunMain, write_corpus


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 results"), (1, "1 result"), (2, "2 results"), (-1, "-1 results")],
)
def test_counted_is_singular_for_one_only(count: int, expected: str) -> None:
    assert counted(count, "result") == expected


def test_counted_takes_an_irregular_plural() -> None:
    assert counted(1, "match", "matches") == "1 match"
    assert counted(3, "match", "matches") == "3 matches"


@pytest.fixture
def one_article(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", {"togo.md": ARTICLES["togo.md"]})


def test_every_count_of_one_is_singular_in_what_the_commands_print(
    run_main: RunMain, one_article: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"

    _, check, _ = run_main("corpus", "check", "--corpus", one_article)
    _, build, _ = run_main("index", "build", "--corpus", one_article, "--index", index)
    _, status, _ = run_main("index", "status", "--index", index)
    _, search, _ = run_main("search", "togo", "--index", index)

    assert "1 article from 1 file; 0 skipped, 0 warnings." in check
    assert "read: 1/1 file, 1 article" in build
    assert "build: full (no live generation), 1 file read, 1 article" in build
    assert "(1 article indexed, " in build
    assert "  built at " in status and ", 1 article, schema version" in status
    assert "  country (1 value): Togo 1" in status
    assert "  year (1 value, newest first): 2020 1" in status
    assert search.startswith("1 result for 'togo'")
    for text in (check, build, status, search):
        assert not re.search(r"\b1 (results|articles|values|files|warnings)\b", text), text
        assert "(s)" not in text


def test_one_file_not_read_is_worded_in_the_singular(run_main: RunMain, one_article: Path) -> None:
    (one_article / "articles" / "notes.docx").write_bytes(b"PK\x03\x04")

    _, check, _ = run_main("corpus", "check", "--corpus", one_article)
    _, build, _ = run_main(
        "index", "build", "--corpus", one_article, "--index", one_article.parent / "ix"
    )

    assert "\n1 other file not read:\n  articles/notes.docx: not read: " in check
    assert "  not read: 1 file that is not an article file (articles/notes.docx; " in build
    for text in (check, build):
        assert "(s)" not in text


def test_a_fetch_of_one_page_is_worded_in_the_singular(tmp_path: Path) -> None:
    report = FetchReport(
        corpus=tmp_path,
        sources=[SourceSummary("https://esn.example/en/a/", "page", 1, 1, [])],
        not_requested=1,
        requests=1,
    )
    report.add("new", "https://esn.example/en/a/")

    text = "\n".join(report.lines())

    assert "  source https://esn.example/en/a/: page, 1 page\n" in text
    assert "  1 request, 0.0 KiB received, 0.0s; 1 unchanged page not asked for " in text
    assert not re.search(r"\b1 (pages|requests)\b", text), text
