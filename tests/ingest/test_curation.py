"""`search-service corpus organisations`: the list, and decisions written into partners.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.cli import EXIT_CODES, main
from search_service.ingest.corpus import ingest_corpus

from .conftest import Write

DEFINED = "The Kayes Teachers Union (KTU) met the ministry in Bamako."
SINGLE = "Books came from the Teachers Solidarity Foundation."


@pytest.fixture
def two_articles(write: Write, corpus: Path) -> Path:
    write("a.md", f"---\nlanguage: en\n---\n{DEFINED}\n")
    write("b.md", f"---\nlanguage: en\n---\n{SINGLE} The KTU agreed.\n")
    return corpus


def organisations(corpus: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    status = main(["corpus", "organisations", "--corpus", str(corpus), *args])
    assert status == 0
    return capsys.readouterr().out


def test_the_list_shows_discovered_and_proposed_with_counts_and_an_example(
    two_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = organisations(two_articles, capsys)
    discovered, proposed = out.split("proposed (not indexed until accepted)")
    assert "discovered (in the partner facet): 1" in discovered
    assert "KTU = Kayes Teachers Union: 2 articles, definition" in discovered
    assert f"“{DEFINED}”" in discovered
    assert ": 1\n" in proposed
    assert "Teachers Solidarity Foundation: 1 article, single" in proposed


def test_the_list_as_json(two_articles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = json.loads(organisations(two_articles, capsys, "--json"))
    [ktu] = listing["discovered"]
    assert ktu["canonical"] == "KTU" and ktu["names"] == ["Kayes Teachers Union"]
    assert (ktu["articles"], ktu["article_ids"], ktu["status"]) == (2, ["a", "b"], "auto")
    assert [o["canonical"] for o in listing["proposed"]] == ["Teachers Solidarity Foundation"]


def test_accept_writes_a_partner_keeping_the_file_s_comments_and_order(
    two_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = two_articles / "vocabulary" / "partners.yaml"
    before = path.read_text(encoding="utf-8")
    out = organisations(two_articles, capsys, "--accept", "Teachers Solidarity Foundation")
    assert "accepted Teachers Solidarity Foundation as a partner" in out
    after = path.read_text(encoding="utf-8")
    added = "  - canonical: Teachers Solidarity Foundation\n"
    assert added in after
    # Every line of the editor's file is still there, in its order (comments included).
    assert after.replace(added, "", 1) == before
    articles = ingest_corpus(two_articles).articles
    assert [a.partners for a in articles] == [
        ("KTU",),
        ("Teachers Solidarity Foundation", "KTU"),
    ]


def test_accept_a_discovered_acronym_lists_its_names(
    two_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    organisations(two_articles, capsys, "--accept", "Kayes Teachers Union")
    text = (two_articles / "vocabulary" / "partners.yaml").read_text(encoding="utf-8")
    assert (
        "  - canonical: KTU\n    acronyms: [KTU]\n    names:\n      - Kayes Teachers Union\n"
        in text
    )
    assert ingest_corpus(two_articles).discovery.find("KTU") is None  # now the vocabulary's


def test_accept_new_names_of_a_listed_partner_adds_them_to_its_entry(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.md", "---\nlanguage: en\n---\nThe World Mutual Health Alliance (AIM) met.\n")
    organisations(corpus, capsys, "--accept", "AIM")
    text = (corpus / "vocabulary" / "partners.yaml").read_text(encoding="utf-8")
    entry = text[text.index("  - canonical: AIM\n") :].split("  - canonical:")[1]
    assert "      - World Mutual Health Alliance\n" in entry
    assert text.count("canonical: AIM\n") == 1


def test_reject_adds_every_name_to_not_organisations_and_it_is_never_shown_again(
    two_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = organisations(two_articles, capsys, "--reject", "KTU", "NOPE")
    assert "rejected KTU: added to not_organisations" in out
    text = (two_articles / "vocabulary" / "partners.yaml").read_text(encoding="utf-8")
    listed = text[text.index("not_organisations:") :]
    assert "  - KTU\n  - Kayes Teachers Union\n  - NOPE\n" in listed
    result = ingest_corpus(two_articles)
    assert result.discovery.find("KTU") is None
    assert all("KTU" not in a.partners for a in result.articles)


def test_accepting_a_name_the_corpus_does_not_show_writes_nothing_and_has_its_exit_code(
    two_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = two_articles / "vocabulary" / "partners.yaml"
    before = path.read_text(encoding="utf-8")
    status = main(
        [
            "corpus",
            "organisations",
            "--corpus",
            str(two_articles),
            "--reject",
            "X",
            "--accept",
            "Nobody",
        ]
    )
    assert status == EXIT_CODES["unknown_organisation"].code == 13
    assert "'Nobody' is neither discovered nor proposed" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == before


def test_a_corpus_on_the_shipped_default_gets_its_own_vocabulary_for_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], vocabulary_dir: Path
) -> None:
    (tmp_path / "a.md").write_text(f"---\nlanguage: en\n---\n{DEFINED}\n", encoding="utf-8")
    status = main(["corpus", "organisations", "--corpus", str(tmp_path), "--reject", "KTU"])
    assert status == 0
    assert "is now a copy of the shipped default" in capsys.readouterr().err
    written = (tmp_path / "vocabulary" / "partners.yaml").read_text(encoding="utf-8")
    shipped = (vocabulary_dir / "partners.yaml").read_text(encoding="utf-8")
    assert written.startswith(shipped.rstrip("\n"))
    assert written.endswith("  - KTU\n  - Kayes Teachers Union\n")
    assert (tmp_path / "vocabulary" / "countries.yaml").exists()
