"""`synonyms.yaml`: its format, its errors (file and line), and how forms are found."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search_service.cli import main
from search_service.errors import VocabularyError
from search_service.ingest.synonyms import Synonyms
from search_service.ingest.vocabulary import Vocabulary

PATH = Path("vocabulary/synonyms.yaml")


def parse(text: str) -> Synonyms:
    return Synonyms.parse(PATH, text.encode("utf-8"))


def test_each_line_is_a_group_of_words_or_phrases_folded_as_the_search_folds() -> None:
    synonyms = parse(
        "synonyms:\n  - [Teacher, Enseignant, DOCENTE]\n  - [Health insurance, Assurance-maladie]\n"
    )

    assert synonyms.groups == (
        (("teacher",), ("enseignant",), ("docente",)),
        (("health", "insurance"), ("assurance", "maladie")),
    )


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "synonyms:\n", "synonyms: []\n"])
def test_an_empty_file_has_no_group(text: str) -> None:
    assert not parse(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- [teacher, enseignant]\n", ":1: expected `synonyms:` and a list of groups"),
        ("teacher: enseignant\n", ":1: unknown key 'teacher'"),
        ("synonyms: teacher\n", ":1: expected `synonyms:` and a list of groups"),
        ("synonyms:\n  - teacher, enseignant\n", ":2: a group is a list of words"),
        ("synonyms:\n  - [a, b]\n  - [teacher]\n", ":3: a group needs two or more different"),
        ("synonyms:\n  - [teacher, Teacher]\n", ":2: a group needs two or more different"),
        ("synonyms:\n  - [teacher, [enseignant]]\n", ":2: a group is a list of words"),
        ("synonyms:\n  - [teacher, '---']\n", ":2: '---' has no word to search"),
        (
            "synonyms:\n  - [teacher, enseignant]\n  - [docente, teacher]\n",
            ":3: 'teacher' is in the group of line 2",
        ),
        ("synonyms:\n  - [a, b]\nsynonyms:\n  - [c, d]\n", ":3: 'synonyms' is given twice"),
        ("synonyms:\n  - [teacher, enseignant\n", "cannot read the synonyms file"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_line(text: str, says: str) -> None:
    with pytest.raises(VocabularyError) as error:
        parse(text)

    assert str(error.value).startswith(str(PATH))
    assert says in str(error.value)


def test_forms_are_found_longest_first_and_as_any_inflection() -> None:
    synonyms = parse("synonyms:\n  - [health, santé]\n  - [health insurance, assurance maladie]\n")

    found = synonyms.find(["cheap", "health", "insurances", "and", "sante"])

    assert [(m.first, m.count, synonyms.groups[m.group][m.form]) for m in found] == [
        (1, 2, ("health", "insurance")),
        (4, 1, ("sante",)),
    ]
    assert synonyms.others(found[0]) == (("assurance", "maladie"),)


def test_a_part_that_takes_no_synonym_breaks_a_form() -> None:
    synonyms = parse("synonyms:\n  - [health insurance, assurance maladie]\n")

    assert synonyms.find(["health", None, "insurance"]) == []


def test_the_vocabulary_reads_the_synonyms_of_its_folder(
    tmp_path: Path, vocabulary_dir: Path
) -> None:
    folder = tmp_path / "vocabulary"
    shutil.copytree(vocabulary_dir, folder)
    (folder / "synonyms.yaml").write_text(
        "synonyms:\n  - [teacher, enseignant]\n", encoding="utf-8"
    )

    vocabulary = Vocabulary.load(folder)

    assert vocabulary.synonyms.groups == ((("teacher",), ("enseignant",)),)
    assert "synonyms.yaml" in vocabulary.files


def test_a_build_with_a_malformed_synonyms_file_fails_with_the_vocabulary_exit_code(
    tmp_path: Path, vocabulary_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    (corpus / "vocabulary" / "synonyms.yaml").write_text(
        "synonyms:\n  - [teacher]\n", encoding="utf-8"
    )
    (corpus / "a.md").write_text("---\ntitle: A\nlanguage: en\n---\nText.\n", encoding="utf-8")

    code = main(["index", "build", "--corpus", str(corpus), "--index", str(tmp_path / "idx")])

    assert code == 6
    assert "synonyms.yaml:2: a group needs two or more" in capsys.readouterr().err
    assert not (tmp_path / "idx" / "live.json").exists()
