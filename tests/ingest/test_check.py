"""`search-service corpus check`: per-article report, JSON lines, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.cli import main

from .conftest import Write

SITE = "Education and Solidarity Network"


def test_check_on_the_shipped_corpus_reports_both_seeds_and_exits_0(
    shipped_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["corpus", "check", "--corpus", str(shipped_corpus)])
    out = capsys.readouterr().out
    assert status == 0
    assert "Masmut programme: a controlled landing after 21.900 hours of flight" in out
    assert "2016-12-19" in out and "2016-09-22" in out
    assert "(inferred)" in out
    assert "Côte d'Ivoire" in out and "MUGEF-CI" in out
    assert "2 articles from 2 files; 0 skipped, 0 warnings." in out


def test_check_json_prints_one_object_per_article_and_nothing_else(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.txt", f"{SITE}\n31 septembre 2016\n\nTeachers of Togo met AIM.\n")
    write("b.md", "---\ntitle: B\nlanguage: fr\n---\nLes enseignants du Bénin.\n")
    status = main(["corpus", "check", "--corpus", str(corpus), "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["a", "b"]
    first = records[0]
    assert first["countries"] == ["Togo"] and first["partners"] == ["AIM"]
    assert first["date"] is None and first["language"] == "en"
    assert [(p["code"], p["severity"], p["line"]) for p in first["problems"]] == [
        ("bad_date", "warning", 2)
    ]
    assert records[1]["problems"] == [] and records[1]["title"] == "B"
    assert set(first) >= {"title", "title_inferred", "body", "source", "checksum", "url"}


def test_check_exits_1_and_names_the_problem_when_a_file_is_skipped(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("good.txt", "Teachers of Togo.\n")
    write("empty.txt", "")
    status = main(["corpus", "check", "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert status == 1
    assert "empty.txt" in out and "empty_file" in out and "the file is empty" in out
    assert "1 article from 1 file; 1 skipped, 0 warnings." in out


def test_check_exits_1_and_says_so_when_no_file_yields_an_article(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("notes.docx", "Teachers of Togo.\n")
    status = main(["corpus", "check", "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert status == 1
    assert "notes.docx: not read: unsupported extension .docx" in out
    assert out.rstrip().endswith("no article found: nothing checked would be indexed")


def test_check_json_says_on_stderr_that_no_article_was_found(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("notes.docx", "Teachers of Togo.\n")
    status = main(["corpus", "check", "--corpus", str(corpus), "--json"])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert "no article found: nothing checked would be indexed" in captured.err


def test_check_json_sends_skipped_files_to_stderr_only(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("e.jsonl", '{"id": "a", "title": "T", "body": "B."}\nnot json\n')
    status = main(["corpus", "check", "--corpus", str(corpus), "--json"])
    captured = capsys.readouterr()
    assert status == 1
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == ["a"]
    assert "e.jsonl:2: error: line is not valid JSON" in captured.err


def test_check_marks_discovered_partners_and_lists_the_proposed_ones_per_file(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.txt", "The CSMF and the Mutuelle des Enseignants de Dakar met AIM.\n")
    main(["corpus", "check", "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert "partners:  AIM, CSMF (discovered)" in out
    assert "not in the vocabulary: Mutuelle des Enseignants de Dakar" in out
    assert "organisations found in the corpus: 1 in the partner facet, 1 proposed" in out


def test_check_of_one_file_shows_the_partners_discovered_in_the_whole_corpus(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.txt", "The Kayes Teachers Union (KTU) met the ministry.\n")
    checked = write("b.txt", "The KTU signed.\n")
    main(["corpus", "check", str(checked), "--corpus", str(corpus), "--json"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["partners"]) for r in records] == [("b", ["KTU"])]


def test_check_reads_only_the_paths_given(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wanted = write("news/a.txt", "Teachers of Togo.\n")
    write("news/b.txt", "")
    status = main(["corpus", "check", str(wanted), "--corpus", str(corpus), "--json"])
    assert status == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["news/a"]


def test_check_with_a_broken_vocabulary_fails_with_the_vocabulary_exit_code(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "vocabulary" / "partners.yaml").write_text("partners: [\n", encoding="utf-8")
    assert main(["corpus", "check", "--corpus", str(corpus)]) == 6
    assert "partners.yaml" in capsys.readouterr().err


def test_check_json_lists_file_warnings_with_the_article(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("m.txt", "Les enseignants de QuĂ©bec.\n".encode())
    write("w.txt", "Les enseignants de Québec.\n".encode("cp1252"))
    assert main(["corpus", "check", "--corpus", str(corpus), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], [p["code"] for p in r["problems"]]) for r in records] == [
        ("m", ["mojibake"]),
        ("w", ["invalid_utf8"]),
    ]
    assert records[0]["body"] == "Les enseignants de Québec."


def test_check_proposes_no_organisation_for_a_shouted_line(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.txt", "WE AIM TO PASS\n\nThe Rural Teachers Mutual met teachers of Togo.\n")
    main(["corpus", "check", "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert "not in the vocabulary: Rural Teachers Mutual\n" in out


def test_check_never_prints_a_raw_control_character(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        "e.jsonl", '{"id":"e","title":"NUL \\u0000 \\u001b[31m","body":"Body \\u0007 of Togo."}\n'
    )
    assert main(["corpus", "check", "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "bad_characters" in out and "U+0000" in out
    assert not any(ch < " " and ch != "\n" for ch in out)
