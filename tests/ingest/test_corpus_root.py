"""One rule for the corpus root and its vocabulary, from any working folder:
`corpus_root.open_corpus` (what `--corpus` names) and `corpus check PATH` walking up
to the corpus a file belongs to; files that are not articles listed with the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from search_service.cli import EXIT_CODES, main
from search_service.errors import CorpusError
from search_service.ingest.corpus_root import (
    SHIPPED_VOCABULARY,
    enclosing_corpus,
    open_corpus,
    vocabulary_of,
)

from .conftest import Write

PAGE = "Teachers of Togo met the AIM in Abidjan.\n"


def test_check_of_a_file_from_another_folder_uses_its_corpus_root_and_vocabulary(
    write: Write, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = write("articles/news/a.txt", PAGE)

    assert main(["corpus", "check", str(page), "--json"]) == 0

    record = json.loads(capsys.readouterr().out)
    assert record["id"] == "articles/news/a"  # relative to the root, not to the working folder
    assert record["partners"] == ["AIM"]  # the corpus's vocabulary was found


@pytest.mark.parametrize("inside", ["articles", "."])
def test_check_of_a_folder_of_a_corpus_names_the_root_and_its_vocabulary(
    inside: str,
    write: Write,
    corpus: Path,
    elsewhere: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write("articles/a.txt", PAGE)

    assert main(["corpus", "check", str(corpus / inside)]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"corpus {corpus}; vocabulary {corpus / 'vocabulary'}"
    assert "  articles/a\n" in out and "partners:  AIM" in out


def test_a_corpus_without_vocabulary_uses_the_shipped_default_and_says_so(
    tmp_path: Path, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "a.txt").write_text(PAGE, encoding="utf-8")

    assert main(["corpus", "check", "--corpus", str(bare)]) == 0
    out = capsys.readouterr().out
    notice = f"no vocabulary folder {bare / 'vocabulary'}: the shipped default vocabulary is used"
    assert out.splitlines()[0] == f"corpus {bare}; {notice}"
    assert "partners:  AIM" in out

    assert main(["corpus", "check", "--corpus", str(bare), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["partners"] == ["AIM"]
    assert captured.err.splitlines() == [notice]


def test_check_without_a_corpus_names_the_full_path_it_looked_for(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["corpus", "check"]) == EXIT_CODES["bad_corpus"].code
    assert capsys.readouterr().err == f"error: no corpus folder at {elsewhere / 'corpus'}\n"
    assert list(elsewhere.iterdir()) == []


def test_check_of_a_missing_file_names_its_full_path(
    corpus: Path, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = corpus / "articles" / "gone.txt"

    assert main(["corpus", "check", str(gone)]) == EXIT_CODES["bad_corpus"].code
    err = capsys.readouterr().err
    assert err == f"error: no such file or folder: {gone}; nothing was checked\n"


def test_check_of_a_path_missing_here_names_it_and_invents_no_corpus(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`./dev search-service corpus check corpus` from a folder without corpus/: the path
    is read from here and named in full, not checked as a corpus rooted here."""
    assert main(["corpus", "check", "corpus", "articles"]) == EXIT_CODES["bad_corpus"].code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: no such file or folder: {elsewhere / 'corpus'}, {elsewhere / 'articles'}; "
        "nothing was checked\n"
    )


def test_a_missing_path_beside_others_is_a_line_of_the_report(
    corpus: Path, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    there = write("articles/a.txt", PAGE)
    gone = corpus / "articles" / "gone.txt"

    assert main(["corpus", "check", str(there), str(gone)]) == 1
    out = capsys.readouterr().out
    assert f"no such file or folder: {gone}" in out
    assert "1 article from 1 file; 1 skipped" in out


def test_check_refuses_paths_of_two_corpora(
    corpus: Path, tmp_path: Path, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write("a.txt", PAGE)
    other = tmp_path / "other"
    shutil.copytree(corpus, other)

    assert main(["corpus", "check", str(first), str(other / "a.txt")]) == (
        EXIT_CODES["bad_corpus"].code
    )
    assert "belong to different corpora" in capsys.readouterr().err


def test_check_lists_the_files_it_did_not_read_and_why(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("articles/a.txt", PAGE)
    write("articles/a.meta.yaml", "title: A\n")  # the page's metadata sidecar
    write("articles/orphan.meta.yaml", "title: B\n")
    write("articles/notes.docx", b"PK\x03\x04")
    write("articles/page.html.fetch.json", "{}")  # a fetched page's sidecar
    write("sources.yaml", "sources: []\n")  # fetch sources, at the corpus root
    write("articles/sources.yaml", "x: 1\n")  # not at the root: not known
    write("README", "about this corpus\n")
    write(".hidden.docx", "x")
    kinds = "(article files are .txt, .md, .jsonl, .html, .htm)"
    listed = [
        f"README: not read: no extension {kinds}",
        f"articles/notes.docx: not read: unsupported extension .docx {kinds}",
        "articles/orphan.meta.yaml: not read: metadata sidecar with no article file of "
        "the same name beside it",
        f"articles/sources.yaml: not read: unsupported extension .yaml {kinds}",
    ]

    assert main(["corpus", "check", "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    summary = out[out.index("1 article from 1 file") :].splitlines()
    assert summary == [
        "1 article from 1 file; 0 skipped, 0 warnings.",
        "4 other files not read:",
        *(f"  {line}" for line in listed),
    ]

    assert main(["corpus", "check", "--corpus", str(corpus), "--json"]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == ["articles/a"]
    assert captured.err.splitlines() == listed


def test_open_corpus_refuses_what_is_not_a_corpus_root_naming_full_paths(
    corpus: Path, elsewhere: Path
) -> None:
    (corpus / "articles").mkdir()
    (corpus / "articles" / "a.txt").write_text(PAGE, encoding="utf-8")

    with pytest.raises(CorpusError) as missing:
        open_corpus("nowhere")
    assert str(missing.value) == f"no corpus folder at {elsewhere / 'nowhere'}"
    with pytest.raises(CorpusError) as a_file:
        open_corpus(corpus / "articles" / "a.txt")
    assert str(a_file.value).startswith(f"{corpus / 'articles' / 'a.txt'} is a file, not a corpus")
    with pytest.raises(CorpusError) as inside:
        open_corpus(corpus / "articles")
    assert f"inside the corpus {corpus} " in str(inside.value)
    assert f"--corpus {corpus}" in str(inside.value)

    root = open_corpus(corpus)
    assert root.path == corpus and root.vocabulary.directory == corpus / "vocabulary"
    assert not root.vocabulary.shipped_default and root.vocabulary.notice() is None


def test_a_nested_corpus_with_its_own_vocabulary_is_a_root(corpus: Path) -> None:
    inner = corpus / "archive"
    shutil.copytree(corpus / "vocabulary", inner / "vocabulary")

    assert open_corpus(inner).path == inner
    assert enclosing_corpus(inner / "old" / "a.txt").path == inner


def test_enclosing_corpus_without_any_vocabulary_is_the_folder_with_the_default(
    tmp_path: Path,
) -> None:
    found = enclosing_corpus(tmp_path / "loose" / "a.txt")
    assert found.path == tmp_path / "loose"
    assert found.vocabulary.shipped_default
    assert found.vocabulary.directory == SHIPPED_VOCABULARY


def test_the_shipped_default_vocabulary_is_the_shipped_corpus_vocabulary(
    vocabulary_dir: Path, tmp_path: Path
) -> None:
    """One copy of the data: the package's default is a link to corpus/vocabulary."""
    assert SHIPPED_VOCABULARY.resolve() == vocabulary_dir.resolve()
    assert vocabulary_of(tmp_path).describe() == "shipped default"
