"""Files under the corpus -> articles and problems: seeds, formats, metadata, bad input."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.ingest.corpus import IngestResult, ingest_corpus, ingest_paths, load_vocabulary
from search_service.ingest.vocabulary import Vocabulary

from .conftest import Write

Ingest = Callable[[], IngestResult]
SITE = "Education and Solidarity Network"
BOILERPLATE = (
    SITE,
    "Latest news",
    "Les dernières actualités",
    "Join online ESN",
    "Últimas noticias",
    "Please login or register",
)


def only(result: IngestResult) -> Article:
    assert len(result.articles) == 1, result.problems
    return result.articles[0]


def codes(result: IngestResult) -> list[tuple[str, str]]:
    return [(p.code, p.severity) for p in result.problems]


# ---- the seeds -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(shipped_corpus: Path) -> dict[str, Article]:
    result = ingest_corpus(shipped_corpus)
    assert result.problems == []
    return {article.id: article for article in result.articles}


def test_seed_001_has_its_title_date_and_language(seeds: dict[str, Article]) -> None:
    article = seeds["articles/001_119e6c8c953a1bce"]
    assert article.title == "Masmut programme: a controlled landing after 21.900 hours of flight"
    assert article.title_inferred is False
    assert article.date == dt.date(2016, 12, 19) and article.year == 2016
    assert article.language == "en"


def test_seed_000_has_an_inferred_title_and_the_french_date(seeds: dict[str, Article]) -> None:
    article = seeds["articles/000_197affed672c23d7"]
    assert article.title_inferred is True
    assert article.title.startswith("From 2 to 3 March 2016, AIM organised")
    assert article.date == dt.date(2016, 9, 22) and article.year == 2016
    assert article.language == "en"


def test_seed_000_countries_and_partners(seeds: dict[str, Article]) -> None:
    article = seeds["articles/000_197affed672c23d7"]
    assert {
        "Côte d'Ivoire",
        "Burkina Faso",
        "Guinea",
        "Burundi",
        "Benin",
        "Senegal",
        "Belgium",
        "France",
    } <= set(article.countries)
    assert {
        "AIM",
        "PASS",
        "Solidaris",
        "MUGEF-CI",
        "Asmade",
        "Essential",
        "UAM-AFRO",
        "Masmut",
        "CIESS",
    } <= set(article.partners)
    assert len(set(article.countries)) == len(article.countries)


def test_seed_001_countries_and_partners(seeds: dict[str, Article]) -> None:
    article = seeds["articles/001_119e6c8c953a1bce"]
    assert {
        "Burundi",
        "Democratic Republic of the Congo",
        "Burkina Faso",
        "Senegal",
        "Mali",
        "Togo",
        "Benin",
        "Belgium",
    } <= set(article.countries)
    assert {
        "Masmut",
        "Mutualité Chrétienne",
        "Solidaris",
        "Mutualités Libres",
        "AIM",
        "Solidarité Mondiale",
        "Solidarité Socialiste",
        "Louvain Coopération",
    } <= set(article.partners)


def test_no_boilerplate_line_is_left_in_the_seed_bodies(seeds: dict[str, Article]) -> None:
    for article in seeds.values():
        for line in article.body.splitlines():
            assert not any(line.startswith(b) for b in BOILERPLATE), line
            assert line.strip() not in ("December 19, 2016", "22 septembre 2016", article.title)
        assert "\n\n\n" not in article.body
        assert article.body.endswith(("in these.", "by the CIESS."))


def test_ids_come_from_the_path_and_sources_name_the_file(seeds: dict[str, Article]) -> None:
    article = seeds["articles/001_119e6c8c953a1bce"]
    assert str(article.source) == "articles/001_119e6c8c953a1bce.txt"
    assert len(article.checksum) == 64


# ---- languages and formats -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "language"),
    [
        ("The union of teachers met the health mutual to discuss social protection.", "en"),
        ("Le syndicat des enseignants a rencontré la mutuelle pour parler de santé.", "fr"),
        ("El sindicato de docentes se reunió con la mutualidad para hablar de salud.", "es"),
    ],
)
def test_language_is_detected_from_the_text(
    write: Write, ingest: Ingest, body: str, language: str
) -> None:
    write("a.txt", f"{SITE}\n9 agosto 2014\n\n{body}\n")
    assert only(ingest()).language == language


def test_markdown_front_matter_gives_the_facts(write: Write, ingest: Ingest) -> None:
    write(
        "news/assembly.md",
        "---\ntitle: Assemblée générale\ndate: 2020-07-08\nlanguage: fr\n"
        "url: https://example.org/ag\nsummary: Le résumé\n---\n\n"
        "L'assemblée du Réseau s'est tenue au Sénégal avec la MGEN.\n",
    )
    article = only(ingest())
    assert article.id == "news/assembly"
    assert (article.title, article.date, article.language) == (
        "Assemblée générale",
        dt.date(2020, 7, 8),
        "fr",
    )
    assert (article.url, article.summary) == ("https://example.org/ag", "Le résumé")
    assert article.countries == ("Senegal",) and article.partners == ("MGEN",)


def test_markdown_without_title_takes_its_first_heading(write: Write, ingest: Ingest) -> None:
    write("a.md", "# Teachers in Togo\n\nThe union met in Lomé with Togolese teachers.\n")
    article = only(ingest())
    assert article.title == "Teachers in Togo" and not article.title_inferred
    assert article.body == "The union met in Lomé with Togolese teachers."


def test_jsonl_lines_become_articles_with_their_line_numbers(write: Write, ingest: Ingest) -> None:
    lines = [
        {"id": "x1", "title": "One", "body": "Teachers of Mali met the ILO.", "date": "2019-05-01"},
        {"id": "x2", "title": "Deux", "body": "Les enseignants du Bénin.", "language": "fr"},
    ]
    write("export.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    first, second = ingest().articles
    assert (first.id, first.source.line, first.date, first.year) == (
        "x1",
        1,
        dt.date(2019, 5, 1),
        2019,
    )
    assert first.countries == ("Mali",) and first.partners == ("ILO",)
    assert str(first.source) == "export.jsonl:1"
    assert (second.id, second.source.line, second.language) == ("x2", 2, "fr")
    assert second.countries == ("Benin",)


def test_files_are_found_recursively_and_the_vocabulary_folder_is_skipped(
    write: Write, ingest: Ingest
) -> None:
    write("a/b/c/deep.txt", "Deep text about Senegal.\n")
    write("vocabulary/notes.md", "# Not an article\n\nEditors' notes.\n")
    write("a/.hidden/x.txt", "Hidden.\n")
    write("a/readme.rst", "Not an article either.\n")
    result = ingest()
    assert [a.id for a in result.articles] == ["a/b/c/deep"]
    assert result.files_read == 1 and result.problems == []


def test_progress_reports_files_done_files_in_all_and_articles(write: Write, corpus: Path) -> None:
    write("a.txt", "Text one.\n")
    write("b.txt", "Text two.\n")
    seen: list[tuple[int, int, int]] = []
    ingest_corpus(
        corpus, on_files=lambda done, total, articles: seen.append((done, total, articles))
    )
    assert seen == [(1, 2, 1), (2, 2, 2)]


# ---- metadata wins -----------------------------------------------------------------------


def test_sidecar_metadata_overrides_what_the_page_says(write: Write, ingest: Ingest) -> None:
    write(
        "articles/p.txt",
        f"Old title\n{SITE}\n22 septembre 2016\n\nTeachers of Senegal met AIM in Dakar.\n",
    )
    write(
        "articles/p.meta.yaml",
        "id: custom-id\ntitle: New title\ndate: 2017-01-02\nlanguage: es\n"
        "url: https://example.org/p\ncountries: [Ivory Coast, Bukina Faso]\npartners: [OIT]\n",
    )
    article = only(ingest())
    assert (article.id, article.title, article.date, article.language, article.url) == (
        "custom-id",
        "New title",
        dt.date(2017, 1, 2),
        "es",
        "https://example.org/p",
    )
    assert article.countries == ("Côte d'Ivoire", "Burkina Faso")  # replaced, canonicalised
    assert article.partners == ("ILO",)


def test_sidecar_supplies_a_missing_title(write: Write, ingest: Ingest) -> None:
    write("p.txt", f"{SITE}\n22 septembre 2016\n\nFrom 2 to 3 March, AIM met.\n")
    write("p.meta.yaml", "title: The AIM conference\n")
    article = only(ingest())
    assert article.title == "The AIM conference" and not article.title_inferred
    assert article.date == dt.date(2016, 9, 22)


def test_jsonl_countries_and_partners_replace_detection(write: Write, ingest: Ingest) -> None:
    record = {
        "id": "j",
        "title": "T",
        "body": "Teachers of Mali met the ILO.",
        "countries": ["Sénégal"],
        "partners": "MGEN, Internationale de l'Education",
    }
    write("e.jsonl", json.dumps(record))
    article = only(ingest())
    assert article.countries == ("Senegal",)
    assert article.partners == ("MGEN", "Education International")


def test_unknown_metadata_names_are_kept_as_written_with_a_warning(
    write: Write, ingest: Ingest
) -> None:
    write("e.jsonl", json.dumps({"id": "j", "title": "T", "body": "Text.", "partners": ["Acme"]}))
    result = ingest()
    assert only(result).partners == ("Acme",)
    assert codes(result) == [("unknown_partner", "warning")]


# ---- bad input ---------------------------------------------------------------------------


def test_an_empty_file_is_skipped_with_a_problem(write: Write, ingest: Ingest) -> None:
    write("empty.txt", "  \n\n")
    write("good.txt", "Teachers of Mali.\n")
    result = ingest()
    assert [a.id for a in result.articles] == ["good"]
    [problem] = result.problems
    assert (problem.path, problem.code, problem.severity) == ("empty.txt", "empty_file", "error")
    assert result.skipped == [problem]


def test_a_binary_file_is_skipped_with_a_problem(write: Write, ingest: Ingest) -> None:
    write("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = ingest()
    assert result.articles == [] and codes(result) == [("binary_file", "error")]


def test_invalid_utf8_is_decoded_as_windows_1252_with_a_warning(
    write: Write, ingest: Ingest
) -> None:
    write("old.txt", "Les enseignants de Québec et de Côte d’Ivoire.\n".encode("cp1252"))
    result = ingest()
    article = only(result)
    assert article.body == "Les enseignants de Québec et de Côte d’Ivoire."
    assert article.countries == ("Côte d'Ivoire",)
    assert codes(result) == [("invalid_utf8", "warning")]


def test_utf16_text_with_a_byte_order_mark_is_read(write: Write, ingest: Ingest) -> None:
    write("w.txt", "Les enseignants de Côte d’Ivoire.\n".encode("utf-16"))
    result = ingest()
    assert only(result).body == "Les enseignants de Côte d’Ivoire."
    assert result.problems == []


def test_a_file_mixing_utf8_and_windows_1252_is_repaired(write: Write, ingest: Ingest) -> None:
    data = "Teachers of Côte d’Ivoire and Québec.".encode() + " Fin de la réunion.".encode("cp1252")
    write("mixed.txt", data)
    result = ingest()
    assert only(result).body == "Teachers of Côte d’Ivoire and Québec. Fin de la réunion."
    assert [p.code for p in result.problems] == ["invalid_utf8", "mojibake"]


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("QuĂ©bec", "Québec"),
        ("QuÃ©bec", "Québec"),
        ("MedellĂn", "Medellín"),
        ("MedellÃ\u00adn", "Medellín"),
        ("Côte dâ€™Ivoire", "Côte d’Ivoire"),
    ],
)
def test_mojibake_is_repaired_with_a_warning(
    write: Write, ingest: Ingest, broken: str, fixed: str
) -> None:
    write("m.txt", f"The teachers of {broken} met on Monday.\n")
    result = ingest()
    assert only(result).body == f"The teachers of {fixed} met on Monday."
    assert codes(result) == [("mojibake", "warning")]


def test_an_unparseable_metadata_date_is_a_warning_and_the_date_is_null(
    write: Write, ingest: Ingest
) -> None:
    write("e.jsonl", json.dumps({"id": "j", "title": "T", "body": "Text.", "date": "soon"}))
    result = ingest()
    article = only(result)
    assert article.date is None and article.year is None
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.line) == ("bad_date", "warning", 1)
    assert "soon" in problem.message


def test_an_invalid_date_line_is_a_warning_with_its_line(write: Write, ingest: Ingest) -> None:
    write("p.txt", f"{SITE}\n30 février 2016\n\nTexte.\n")
    result = ingest()
    assert only(result).date is None
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.line) == ("bad_date", "warning", 2)


def test_an_unknown_language_is_a_warning_and_the_language_is_detected(
    write: Write, ingest: Ingest
) -> None:
    body = "Le syndicat des enseignants a rencontré la mutuelle pour parler de santé."
    write("a.md", f"---\nlanguage: de\n---\n{body}\n")
    result = ingest()
    assert only(result).language == "fr"
    assert codes(result) == [("unknown_language", "warning")]


@pytest.mark.parametrize(
    ("line", "code", "words"),
    [
        ("{not json", "bad_json", "not valid JSON"),
        ('["a", "list"]', "bad_record", "JSON object"),
        ('{"id": "a", "title": "T"}', "missing_field", "'body'"),
        ('{"title": "T", "body": "B"}', "missing_field", "'id'"),
        ('{"id": "a", "body": "B"}', "missing_field", "'title'"),
        ('{"id": "a", "title": "T", "body": 3}', "bad_field", "'body'"),
        ('{"id": "a", "title": "T", "body": "  "}', "missing_field", "empty"),
    ],
)
def test_a_bad_jsonl_line_is_skipped_and_the_others_kept(
    write: Write, ingest: Ingest, line: str, code: str, words: str
) -> None:
    good = json.dumps({"id": "ok", "title": "T", "body": "Teachers."})
    write("e.jsonl", f"{good}\n{line}\n{good.replace('ok', 'ok2')}\n")
    result = ingest()
    assert [a.id for a in result.articles] == ["ok", "ok2"]
    [problem] = result.problems
    assert (problem.path, problem.line, problem.code, problem.severity) == (
        "e.jsonl",
        2,
        code,
        "error",
    )
    assert words in problem.message


def test_a_duplicate_id_keeps_the_first_article(write: Write, ingest: Ingest) -> None:
    write("a.txt", "First text.\n")
    write("a.md", "---\nid: a\n---\nSecond text.\n")
    write("e.jsonl", json.dumps({"id": "a", "title": "T", "body": "Third."}))
    result = ingest()
    [article] = result.articles
    assert article.body == "Second text." and article.source.path == "a.md"
    assert [(p.path, p.code) for p in result.problems] == [
        ("a.txt", "duplicate_id"),
        ("e.jsonl", "duplicate_id"),
    ]
    assert "a.md" in result.problems[0].message


def test_missing_and_unsupported_paths_are_problems(corpus: Path, vocabulary: Vocabulary) -> None:
    (corpus / "notes.rst").write_text("x", encoding="utf-8")
    result = ingest_paths(
        [corpus / "missing.txt", corpus / "notes.rst"], corpus_root=corpus, vocabulary=vocabulary
    )
    assert result.articles == [] and result.files_read == 0
    assert [(p.path, p.code) for p in result.problems] == [
        ("missing.txt", "unreadable_file"),
        ("notes.rst", "unsupported_file"),
    ]


def test_an_unreadable_file_is_a_problem_and_the_others_are_read(
    write: Write, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions cannot deny root, so the read itself is made to fail for one file."""
    locked = write("locked.txt", "Secret.\n")
    write("open.txt", "Teachers of Togo.\n")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = ingest()
    assert [a.id for a in result.articles] == ["open"]
    [problem] = result.problems
    assert (problem.path, problem.code, problem.severity) == (
        "locked.txt",
        "unreadable_file",
        "error",
    )
    assert "Permission denied" in problem.message


def test_bad_front_matter_skips_the_file(write: Write, ingest: Ingest) -> None:
    write("a.md", "---\ntitle: [unclosed\n---\nBody.\n")
    result = ingest()
    assert result.articles == [] and codes(result) == [("bad_front_matter", "error")]


def test_a_page_of_furniture_only_is_skipped(write: Write, ingest: Ingest) -> None:
    write("p.txt", f"🌎 Join online ESN’s International Meeting\n{SITE}\nLatest news\nteaser\n")
    result = ingest()
    assert result.articles == [] and codes(result) == [("no_text", "error")]


def test_a_broken_sidecar_is_ignored_with_a_warning(write: Write, ingest: Ingest) -> None:
    write("p.txt", "Teachers of Togo.\n")
    write("p.meta.yaml", "title: [broken\n")
    result = ingest()
    assert only(result).title == "Teachers of Togo"
    assert [(p.path, p.code, p.severity) for p in result.problems] == [
        ("p.meta.yaml", "bad_metadata", "warning")
    ]


# ---- checksums ---------------------------------------------------------------------------


def test_checksum_is_stable_and_follows_the_text_and_the_vocabulary(
    write: Write, corpus: Path
) -> None:
    write("a.txt", "Teachers of Togo.\n")
    first = only(ingest_corpus(corpus)).checksum
    assert only(ingest_corpus(corpus)).checksum == first
    write("a.txt", "Teachers of Benin.\n")
    second = only(ingest_corpus(corpus)).checksum
    assert second != first
    partners = corpus / "vocabulary" / "partners.yaml"
    partners.write_text(partners.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert only(ingest_corpus(corpus)).checksum != second


def test_load_vocabulary_reads_the_corpus_vocabulary_folder(corpus: Path) -> None:
    shutil.rmtree(corpus / "vocabulary")
    (corpus / "vocabulary").mkdir()
    (corpus / "vocabulary" / "partners.yaml").write_text(
        "partners:\n  - canonical: Acme Mutual\n", encoding="utf-8"
    )
    vocabulary = load_vocabulary(corpus)
    assert vocabulary.find_partners("the acme mutual") == ["Acme Mutual"]


def test_symlinked_folders_are_not_followed_and_broken_links_are_problems(
    write: Write, ingest: Ingest, corpus: Path, tmp_path: Path
) -> None:
    write("a/real.txt", "Teachers of Togo.\n")
    (corpus / "a" / "loop").symlink_to(corpus / "a", target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    result = ingest()
    assert [a.id for a in result.articles] == ["a/real"]
    assert [(p.path, p.code) for p in result.problems] == [("dangling.txt", "unreadable_file")]


def test_markdown_markup_is_reduced_to_its_words(write: Write, ingest: Ingest) -> None:
    write(
        "a.md",
        "---\ntitle: T\n---\n## Context\n\nThe **AIM** met [the ILO](https://ilo.org) "
        "in *Dakar*.\n\n* first point\n* second point\n",
    )
    article = only(ingest())
    assert (
        article.body == "Context\n\nThe AIM met the ILO in Dakar.\n\n* first point\n* second point"
    )
    assert article.partners == ("AIM", "ILO") and article.countries == ()


def test_an_unexpected_failure_costs_one_file_not_the_run(
    write: Write, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a reader (simulated) becomes a problem; the other files are still read."""
    import search_service.ingest.corpus as ingest_module
    from search_service.ingest.pages import parse_page as real_parse

    def parse_page(text: str) -> object:
        if "boom" in text:
            raise IndexError("simulated bug")
        return real_parse(text)

    monkeypatch.setattr(ingest_module, "parse_page", parse_page)
    write("a.txt", "boom\n")
    write("b.txt", "Teachers of Togo.\n")
    result = ingest()
    assert [a.id for a in result.articles] == ["b"]
    [problem] = result.problems
    assert (problem.path, problem.code) == ("a.txt", "internal_error")
    assert "IndexError: simulated bug" in problem.message


# ---- review of issue 2: mojibake, metadata, characters -------------------------------------


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("QuĂ©bec and Côte d’Ivoire", "Québec and Côte d’Ivoire"),
        ("QuĂ©bec “social”", "Québec “social”"),
        ("Encuentro en MedellĂn y en QuĂ©bec", "Encuentro en Medellín y en Québec"),
        ("MedellĂ\u00adn", "Medellín"),
        ("“QuĂ©bec”, the CÃ´te dâ€™Ivoire – and été", "“Québec”, the Côte d’Ivoire – and été"),
    ],
)
def test_mojibake_is_repaired_word_by_word_beside_correct_accents_quotes_and_dashes(
    write: Write, ingest: Ingest, broken: str, fixed: str
) -> None:
    write("m.txt", f"Teachers met. {broken}.\n")
    result = ingest()
    assert only(result).body == f"Teachers met. {fixed}."
    [problem] = result.problems
    assert (problem.code, problem.severity) == ("mojibake", "warning")
    first_broken = next(word for word in broken.split() if word.strip("“”,") not in fixed)
    assert repr(first_broken.strip("“”,")) in problem.message


def test_no_mojibake_warning_is_given_when_nothing_was_repaired(
    write: Write, ingest: Ingest
) -> None:
    """A lead character that is no mojibake ("ĂSTA"), beside a text that only needed NFC."""
    write("r.txt", "The Romanian word ĂSTA means this, said the cafe\u0301 owner.\n")
    result = ingest()
    assert only(result).body == "The Romanian word ĂSTA means this, said the café owner."
    assert result.problems == []


def test_mojibake_in_jsonl_escapes_is_repaired_with_a_warning(write: Write, ingest: Ingest) -> None:
    write("e.jsonl", json.dumps({"id": "j", "title": "QuÃ©bec", "body": "Les enseignants."}))
    result = ingest()
    assert only(result).title == "Québec"
    assert [(p.code, p.line) for p in result.problems] == [("mojibake", 1)]


@pytest.mark.parametrize("name", ["a.md", "p.meta.yaml"])
def test_a_bad_metadata_date_is_a_bad_date_warning_and_the_article_is_kept(
    write: Write, ingest: Ingest, name: str
) -> None:
    """YAML would read `2020-13-45` as a date and raise; metadata dates stay strings."""
    if name == "a.md":
        write("a.md", "---\ntitle: Assembly\ndate: 2020-13-45\n---\nTeachers of Togo.\n")
    else:
        write("p.txt", "Teachers of Togo.\n")
        write("p.meta.yaml", "title: Assembly\ndate: 2020-13-45\n")
    result = ingest()
    article = only(result)
    assert article.title == "Assembly" and article.date is None
    [problem] = result.problems
    assert (problem.code, problem.severity) == ("bad_date", "warning")
    assert "2020-13-45" in problem.message


def test_metadata_dates_written_as_yaml_dates_or_date_times_are_read(
    write: Write, ingest: Ingest
) -> None:
    write("a.md", "---\ndate: 2020-07-08 10:30:00\n---\nTeachers of Togo.\n")
    write("b.md", "---\ndate: !!timestamp 2021-01-02\n---\nTeachers of Mali.\n")
    result = ingest()
    assert [a.date for a in result.articles] == [dt.date(2020, 7, 8), dt.date(2021, 1, 2)]
    assert result.problems == []


def test_a_lone_surrogate_in_jsonl_is_replaced_with_a_warning(write: Write, ingest: Ingest) -> None:
    write("e.jsonl", '{"id":"s1","title":"x \\ud800","body":"Teachers of Togo \\udc00 met."}\n')
    result = ingest()
    article = only(result)
    assert article.title == "x \ufffd" and article.body == "Teachers of Togo \ufffd met."
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.line) == ("bad_characters", "warning", 1)
    assert "U+D800" in problem.message and "U+DC00" in problem.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("e.jsonl", '{"id":"e","title":"NUL \\u0000 title","body":"Teachers\\u0001 of Togo."}\n'),
        ("a.md", '---\ntitle: "NUL \\0 title"\n---\nTeachers\x01 of Togo.\n'),
        ("a.txt", "NUL \x1b title\n\nTeachers\x01 of Togo.\n"),  # a raw NUL: binary_file
    ],
)
def test_control_characters_are_removed_in_every_format_with_a_warning(
    write: Write, ingest: Ingest, name: str, content: str
) -> None:
    write(name, content)
    result = ingest()
    article = only(result)
    assert (article.title, article.body) == ("NUL title", "Teachers of Togo.")
    assert {(p.code, p.severity) for p in result.problems} == {("bad_characters", "warning")}


@pytest.mark.parametrize("name", ["a.txt", "e.jsonl"])
def test_a_c1_control_written_in_a_utf8_file_is_removed_with_a_warning(
    write: Write, ingest: Ingest, name: str
) -> None:
    """U+0090 written as such (C2 90 in UTF-8), not as a JSON escape: the file's text is
    cleaned, the whole file's bytes having been asked (`text_repair.utf8_holds_not_text`)."""
    text = "Teachers\u0090 of Togo."
    content = json.dumps({"id": "e", "title": "T", "body": text}, ensure_ascii=False)
    write(name, f"T\n\n{text}\n" if name.endswith(".txt") else content + "\n")
    result = ingest()
    assert only(result).body == "Teachers of Togo."
    assert [(p.path, p.code, p.line) for p in result.problems] == [(name, "bad_characters", None)]


def test_a_next_line_character_written_in_a_utf8_file_is_a_line_break(
    write: Write, ingest: Ingest
) -> None:
    write("a.txt", "Teachers of Togo.\u0085Teachers of Mali.\n")
    result = ingest()
    assert only(result).body == "Teachers of Togo.\nTeachers of Mali."
    assert result.problems == []


def test_a_sidecar_title_loses_its_control_characters(write: Write, ingest: Ingest) -> None:
    write("p.txt", "Teachers of Togo.\n")
    write("p.meta.yaml", 'title: "The \\x07AIM meeting"\n')
    result = ingest()
    assert only(result).title == "The AIM meeting"
    assert [(p.path, p.code) for p in result.problems] == [("p.meta.yaml", "bad_characters")]


def test_line_breaks_written_as_form_feeds_or_vertical_tabs_stay_line_breaks(
    write: Write, ingest: Ingest
) -> None:
    write("a.txt", "Teachers of Togo.\x0cTeachers of Mali.\x0bAnd Benin.\n")
    result = ingest()
    assert only(result).body == "Teachers of Togo.\nTeachers of Mali.\nAnd Benin."
    assert result.problems == []


def test_a_text_full_of_vertical_tabs_is_no_binary_file(write: Write, ingest: Ingest) -> None:
    """Word writes a manual line break as a vertical tab: a line break, not binary data."""
    write("a.txt", "Teachers of Togo.\x0b" * 20 + "\n")
    result = ingest()
    assert only(result).body == "\n".join(["Teachers of Togo."] * 20)
    assert result.problems == []


def test_a_markdown_heading_stays_in_the_body_when_the_front_matter_gives_another_title(
    write: Write, ingest: Ingest
) -> None:
    write("a.md", "---\ntitle: Assembly 2020\n---\n# Context\n\nTeachers of Togo met.\n")
    article = only(ingest())
    assert article.title == "Assembly 2020"
    assert article.body == "Context\n\nTeachers of Togo met."


def test_a_markdown_heading_repeating_the_front_matter_title_leaves_the_body(
    write: Write, ingest: Ingest
) -> None:
    write("a.md", "---\ntitle: Assemblée générale\n---\n# ASSEMBLEE Generale\n\nTexte.\n")
    article = only(ingest())
    assert (article.title, article.body) == ("Assemblée générale", "Texte.")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"p.txt": "Teachers of Togo.\n", "p.meta.yaml": "title: 12\n"}, "'title' 12"),
        ({"a.md": "---\ntitle: [a, b]\n---\nTeachers of Togo.\n"}, "'title' ['a', 'b']"),
        ({"a.md": "---\n- a\n- b\n---\nTeachers of Togo.\n"}, "a list, not a mapping"),
    ],
)
def test_a_title_or_front_matter_of_the_wrong_type_is_a_bad_metadata_warning(
    write: Write, ingest: Ingest, files: dict[str, str], message: str
) -> None:
    for name, content in files.items():
        write(name, content)
    result = ingest()
    article = only(result)
    assert (article.title, article.title_inferred) == ("Teachers of Togo", True)
    [problem] = result.problems
    assert (problem.code, problem.severity) == ("bad_metadata", "warning")
    assert message in problem.message
