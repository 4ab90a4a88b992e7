"""Builds: full and incremental, what they report, and failures that publish nothing."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import fields
from whoosh.writing import SegmentWriter

from search_service.articles import Article, Problem
from search_service.errors import BuildFailedError
from search_service.index import build, generations
from search_service.index import schema as index_module
from search_service.index.build import BuildReport, build_from_articles, build_index
from search_service.index.compiled_view import VIEW_FOLDER, VIEW_NAME, outdated_view
from search_service.index.schema import split_facet_value
from search_service.index.writer import FastSegmentWriter

from ..conftest import as_compiled_by_version_2, as_compiled_with_a_column_per_field
from .conftest import MakeArticle, live_ids, live_stored, matching_ids


def test_build_publishes_a_generation_whose_articles_are_found(
    small_corpus: list[Article], index_root: Path
) -> None:
    report = build_from_articles(small_corpus, index_root)

    assert report.generation is not None
    assert generations.read_pointer(index_root) == report.generation
    assert sorted(report.added) == sorted(article.id for article in small_corpus)
    assert live_ids(index_root) == {article.id for article in small_corpus}
    assert matching_ids(index_root, "solidaridad") == {"es-educacion"}


def test_stored_fields_carry_what_a_hit_needs(
    small_corpus: list[Article], index_root: Path
) -> None:
    build_from_articles(small_corpus, index_root)

    stored = live_stored(index_root, "en-insurance")
    assert stored["title"] == "Health insurance for teachers"
    assert stored["language"] == "en"
    assert stored["date"] == "2016-12-19"
    assert stored["year"] == 2016
    assert split_facet_value(stored["country"]) == ["Senegal", "Benin"]
    assert split_facet_value(stored["partner"]) == ["AIM"]
    assert "Senegal*" in stored["body"]
    assert "url" not in stored  # unknown facts are left out, not stored empty


def test_manifest_counts_articles_by_language_and_facet(
    small_corpus: list[Article], index_root: Path
) -> None:
    build_from_articles(small_corpus, index_root)

    live = generations.live_generation(index_root)
    assert live is not None
    assert live.article_count == 3
    assert live.manifest["languages"] == {"en": 1, "fr": 1, "es": 1}
    assert live.manifest["facets"]["country"]["Senegal"] == 1
    assert live.manifest["facets"]["year"] == {"2016": 2, "2018": 1}
    assert live.checksums() == {article.id: article.checksum for article in small_corpus}


def test_incremental_build_applies_exactly_the_edits_additions_and_deletions(
    small_corpus: list[Article], index_root: Path, make_article: MakeArticle
) -> None:
    first = build_from_articles(small_corpus, index_root)
    french, english, spanish = small_corpus
    edited = make_article(
        english.id, english.title, "Teachers unions now run a pharmacy cooperative.", "en"
    )
    added = make_article("fr-nouveau", "Nouvelle école", "Une école à Dakar.", "fr")

    second = build_from_articles([french, edited, added], index_root, full=False)

    assert not second.full
    assert (second.added, second.updated, second.deleted) == (
        ["fr-nouveau"],
        [english.id],
        [spanish.id],
    )
    assert second.unchanged == 1
    assert second.generation != first.generation
    assert live_ids(index_root) == {french.id, english.id, "fr-nouveau"}
    assert matching_ids(index_root, "pharmacy") == {english.id}
    assert matching_ids(index_root, "senegal") == set()  # the old text is gone
    assert matching_ids(index_root, "solidaridad") == set()
    assert matching_ids(index_root, "ecole dakar") == {"fr-nouveau"}
    assert live_stored(index_root, french.id)["checksum"] == french.checksum


def record_indexed_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the id of every document handed to the build's writer, in order."""
    indexed: list[str] = []
    original = FastSegmentWriter.add_document

    def counting(self: FastSegmentWriter, **fields: object) -> None:
        indexed.append(str(fields["id"]))
        original(self, **fields)

    monkeypatch.setattr(FastSegmentWriter, "add_document", counting)
    return indexed


def test_incremental_build_reindexes_nothing_when_nothing_changed(
    small_corpus: list[Article], index_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_from_articles(small_corpus, index_root)
    indexed = record_indexed_ids(monkeypatch)
    report = build_from_articles(small_corpus, index_root, full=False)

    assert indexed == []
    assert (report.added, report.updated, report.deleted, report.unchanged) == ([], [], [], 3)
    assert report.up_to_date and report.generation is None
    assert generations.read_pointer(index_root) == first.generation  # no needless copy
    assert any("nothing changed" in line for line in report.summary_lines())
    assert live_ids(index_root) == {article.id for article in small_corpus}


@pytest.mark.parametrize(
    ("as_compiled_before", "version"),
    [(as_compiled_with_a_column_per_field, 1), (as_compiled_by_version_2, 2)],
)
def test_a_build_over_a_view_of_an_older_version_publishes_a_copy_with_a_new_view(
    small_corpus: list[Article],
    index_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    as_compiled_before: Callable[[Path], None],
    version: int,
) -> None:
    """Nothing changed, but the live view is what an older release compiled: it is served,
    more slowly, until a build compiles it again; this one does, without reindexing."""
    first = build_from_articles(small_corpus, index_root)
    live = generations.live_generation(index_root)
    assert live is not None and outdated_view(live.path) is None
    as_compiled_before(live.path)
    assert outdated_view(live.path) == f"is of version {version}, this code compiles version 3"
    indexed = record_indexed_ids(monkeypatch)

    report = build_from_articles(small_corpus, index_root, full=False)

    assert indexed == [] and report.view_outdated and not report.full
    assert report.generation is not None and report.generation != first.generation
    new = generations.live_generation(index_root)
    assert new is not None and new.name == report.generation and outdated_view(new.path) is None
    line = f"the serving view of {first.generation} is of version {version}, this code compiles"
    assert any(line in text and "compiled again" in text for text in report.summary_lines())
    assert live_ids(index_root) == {article.id for article in small_corpus}
    again = build_from_articles(small_corpus, index_root, full=False)
    assert again.up_to_date and not again.view_outdated and again.generation is None


def test_incremental_build_reindexes_only_the_changed_article(
    small_corpus: list[Article],
    index_root: Path,
    make_article: MakeArticle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_from_articles(small_corpus, index_root)
    indexed = record_indexed_ids(monkeypatch)
    french, english, spanish = small_corpus
    edited = make_article(french.id, french.title, "La mutuelle de Bouaké.", "fr")
    build_from_articles([edited, english, spanish], index_root, full=False)

    assert indexed == [french.id]


def test_full_build_reindexes_everything(small_corpus: list[Article], index_root: Path) -> None:
    build_from_articles(small_corpus, index_root)
    report = build_from_articles(small_corpus, index_root, full=True)

    assert report.full and report.full_reason == "--full"
    assert len(report.added) == 3
    assert live_ids(index_root) == {article.id for article in small_corpus}


def test_a_new_schema_field_makes_the_next_build_full(
    small_corpus: list[Article], index_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_from_articles(small_corpus, index_root)
    assert build_from_articles(small_corpus, index_root, full=False).up_to_date
    original = index_module.make_schema

    def with_a_region() -> fields.Schema:
        schema = original()
        schema.add("region", fields.ID(stored=True))
        return schema

    monkeypatch.setattr(index_module, "make_schema", with_a_region)  # what schema_fingerprint reads
    monkeypatch.setattr(build, "make_schema", with_a_region)  # what the build creates

    report = build_from_articles(small_corpus, index_root, full=False)

    assert report.full
    assert report.full_reason == "the schema changed"
    assert len(report.added) == 3
    _, live = generations.open_live_index(index_root)
    assert "region" in live.schema.names()
    assert build_from_articles(small_corpus, index_root, full=False).up_to_date


def test_progress_reads_files_indexes_articles_then_commits_checks_and_publishes(
    tmp_path: Path, index_root: Path
) -> None:
    articles = tmp_path / "corpus" / "articles"
    articles.mkdir(parents=True)
    for number in range(3):
        (articles / f"{number}.md").write_text(
            f"---\ntitle: Note {number}\nlanguage: en\n---\nTeachers and schools {number}.\n"
        )
    (articles / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (articles / "export.jsonl").write_text(
        "".join(
            json.dumps({"id": f"x{n}", "title": f"T {n}", "body": "B.", "language": "en"}) + "\n"
            for n in range(2)
        )
    )
    events: list[tuple[str, int, int, int]] = []

    report = build_index(
        tmp_path / "corpus", index_root, progress=lambda *event: events.append(event)
    )

    phases = [event[0] for n, event in enumerate(events) if n == 0 or events[n - 1][0] != event[0]]
    assert phases == ["read", "index", "commit", "view", "check", "publish"]
    reads = [event for event in events if event[0] == "read"]
    assert reads[-1] == ("read", 5, 5, 5)  # 5 files of 5 (one skipped), 5 articles
    assert [done for _, done, _, _ in reads] == sorted(done for _, done, _, _ in reads)
    assert [event for event in events if event[0] == "index"][-1] == ("index", 5, 5, 5)
    assert report.files_read == 5 and len(report.skipped) == 1


def test_the_report_gives_the_rate_over_the_whole_build(
    small_corpus: list[Article], index_root: Path
) -> None:
    report = build_from_articles(small_corpus, index_root)

    published = next(line for line in report.summary_lines() if "published" in line)
    assert re.fullmatch(
        rf"  published {report.generation} in \d+\.\ds "
        r"\(3 articles indexed, \d+(\.\d)?/s over the whole build\)",
        published,
    )


@pytest.mark.parametrize(
    ("indexed", "seconds", "said"),
    [
        (1, 3.0, "1 article indexed, 0.3/s"),
        (5, 0.6, "5 articles indexed, 8.3/s"),
        (5000, 7.1, "5000 articles indexed, 704/s"),
    ],
    ids=["one-article-update", "a-few-articles", "a-full-build"],
)
def test_the_report_s_rate_of_a_small_update_is_not_rounded_to_nothing(
    indexed: int, seconds: float, said: str
) -> None:
    report = BuildReport(added=[f"article-{n}" for n in range(indexed)], seconds=seconds)
    report.generation = "gen-x"

    published = next(line for line in report.summary_lines() if "published" in line)
    assert published.endswith(f"({said} over the whole build)")


def test_corpus_without_articles_fails_and_leaves_the_live_generation(
    small_corpus: list[Article], index_root: Path
) -> None:
    first = build_from_articles(small_corpus, index_root)
    problem = Problem(path="articles/empty.txt", code="empty_file", message="the file is empty")

    with pytest.raises(BuildFailedError, match="no articles"):
        build_from_articles([], index_root, problems=[problem], full=False)

    assert generations.read_pointer(index_root) == first.generation
    assert live_ids(index_root) == {article.id for article in small_corpus}


def test_crash_in_the_writer_fails_the_build_and_leaves_the_live_generation(
    small_corpus: list[Article],
    index_root: Path,
    make_article: MakeArticle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_from_articles(small_corpus, index_root)
    before = sorted(path.name for path in index_root.iterdir())

    def crash(self: SegmentWriter, **kwargs: object) -> None:
        raise OSError("disk full (injected)")

    monkeypatch.setattr(SegmentWriter, "commit", crash)
    changed = [*small_corpus[:2], make_article("new", "New", "A new article.", "en")]
    with pytest.raises(BuildFailedError, match="disk full"):
        build_from_articles(changed, index_root, full=False)
    with pytest.raises(BuildFailedError, match="disk full"):
        build_from_articles(changed, index_root, full=True)

    assert generations.read_pointer(index_root) == first.generation
    assert sorted(path.name for path in index_root.iterdir()) == before
    monkeypatch.undo()
    assert live_ids(index_root) == {article.id for article in small_corpus}
    assert build_from_articles(changed, index_root, full=False).generation is not None


def test_strict_build_with_a_skipped_file_publishes_nothing(
    small_corpus: list[Article], index_root: Path
) -> None:
    skipped = Problem(path="articles/broken.md", code="bad_front_matter", message="bad YAML")

    with pytest.raises(BuildFailedError, match=r"broken\.md"):
        build_from_articles(small_corpus, index_root, problems=[skipped], strict=True)
    assert generations.read_pointer(index_root) is None

    report = build_from_articles(small_corpus, index_root, problems=[skipped])
    assert report.skipped == [skipped]
    assert any("broken.md" in line for line in report.summary_lines())


def test_duplicate_ids_keep_the_first_article_and_report_the_others(
    index_root: Path, make_article: MakeArticle
) -> None:
    first = make_article("same", "First", "One.", "en")
    second = make_article("same", "Second", "Two.", "en", date=dt.date(2020, 1, 1))

    report = build_from_articles([first, second], index_root)

    assert live_ids(index_root) == {"same"}
    assert live_stored(index_root, "same")["title"] == "First"
    assert [problem.code for problem in report.skipped] == ["duplicate_id"]


def test_a_build_never_writes_into_the_live_generation(
    small_corpus: list[Article], index_root: Path, make_article: MakeArticle
) -> None:
    first = build_from_articles(small_corpus, index_root)
    live_folder = index_root / str(first.generation)

    def contents() -> dict[str, bytes]:
        return {
            str(path.relative_to(live_folder)): path.read_bytes()
            for path in live_folder.rglob("*")
            if path.is_file()
        }

    before = contents()
    assert "view/arrays.bin" in before

    build_from_articles(
        [*small_corpus[1:], make_article("new", "New", "A new article.", "en")],
        index_root,
        full=False,
    )

    assert contents() == before


def test_a_failed_build_says_which_files_were_skipped_and_why(index_root: Path) -> None:
    problems = [
        Problem(path=f"articles/{n}.txt", code="empty_file", message="the file is empty")
        for n in range(7)
    ]

    with pytest.raises(BuildFailedError) as failed:
        build_from_articles([], index_root, problems=problems)

    message = str(failed.value)
    assert "articles/0.txt: error: the file is empty" in message
    assert "and 2 more" in message


def test_the_two_process_writer_builds_the_same_index(
    index_root: Path, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search_service.index.build.PARALLEL_THRESHOLD", 2)
    corpus = [
        make_article(f"a{n}", f"Title {n}", f"Body word{n} about pensions.", "en")
        for n in range(300)
    ]

    report = build_from_articles(corpus, index_root)
    generation, index = generations.open_live_index(index_root)
    with index.searcher() as searcher:
        segments = len(searcher.reader().leaf_readers()) if not searcher.is_atomic() else 1

    assert report.generation == generation.name
    assert segments >= 2  # written by two worker processes
    assert live_ids(index_root) == {f"a{n}" for n in range(300)}
    assert matching_ids(index_root, "word299 pension") == {"a299"}

    edited = make_article("a7", "Title 7", "Now about cooperatives.", "en")
    build_from_articles([*corpus[:7], edited, *corpus[8:299]], index_root, full=False)
    assert matching_ids(index_root, "cooperatives") == {"a7"}
    assert matching_ids(index_root, "word299") == set()
    assert len(live_ids(index_root)) == 299


def _view_file(root: Path) -> bytes:
    generation = generations.live_generation(root)
    assert generation is not None
    return (generation.path / VIEW_FOLDER / f"{VIEW_NAME}.bin").read_bytes()


def _segment_count(root: Path) -> int:
    _, index = generations.open_live_index(root)
    with index.searcher() as searcher:
        return 1 if searcher.is_atomic() else len(searcher.reader().leaf_readers())


def test_a_build_larger_than_its_pools_is_written_in_batches_that_serve_the_same_view(
    tmp_path: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_from_articles(varied_articles, tmp_path / "one")
    monkeypatch.setattr(build, "POOL_MB_MAX", 5)  # 50 articles per pool: 6 batches of 50
    phases: list[tuple[str, int, int]] = []

    build_from_articles(
        varied_articles,
        tmp_path / "batches",
        progress=lambda phase, done, total, _: phases.append((phase, done, total)),
    )

    assert _segment_count(tmp_path / "one") == 1
    assert _segment_count(tmp_path / "batches") == 6
    assert _view_file(tmp_path / "batches") == _view_file(tmp_path / "one")
    counted = [done for phase, done, total in phases if phase == "index"]
    assert counted == sorted(counted) and counted[0] == 0 and counted[-1] == 300
    assert [phase for phase, *_ in phases].count("commit") == 1


def test_the_two_process_writer_in_batches_indexes_every_article_once(
    tmp_path: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "PARALLEL_THRESHOLD", 2)
    build_from_articles(varied_articles, tmp_path / "one", workers=2)
    monkeypatch.setattr(build, "POOL_MB_MAX", 10)  # 2 × 100 articles per batch: 2 batches

    build_from_articles(varied_articles, tmp_path / "batches", workers=2)

    assert _segment_count(tmp_path / "one") == 2
    assert _segment_count(tmp_path / "batches") == 4
    assert live_ids(tmp_path / "batches") == {article.id for article in varied_articles}
    for query in ("insurance teachers", "mutuelle santé", "varied"):
        assert matching_ids(tmp_path / "batches", query) == matching_ids(tmp_path / "one", query)
    assert matching_ids(tmp_path / "batches", "mutuelle santé")


def test_full_batches_are_as_few_and_as_equal_as_the_pools_allow(
    varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "POOL_MB_MAX", 12)  # 120 articles per process

    assert [len(b) for b in build.full_batches(varied_articles, 1)] == [100, 100, 100]
    assert [len(b) for b in build.full_batches(varied_articles, 2)] == [150, 150]
    assert [len(b) for b in build.full_batches(varied_articles, 3)] == [300]
    assert [len(b) for b in build.full_batches(varied_articles[:1], 1)] == [1]


def test_a_generation_that_lost_an_article_is_not_published(
    small_corpus: list[Article], index_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_from_articles(small_corpus[:1], index_root)
    original = FastSegmentWriter.add_document

    def losing(self: FastSegmentWriter, **fields: object) -> None:
        if fields["id"] != "es-educacion":
            original(self, **fields)

    monkeypatch.setattr(FastSegmentWriter, "add_document", losing)
    with pytest.raises(BuildFailedError, match="holds 2 articles, the ingest produced 3"):
        build_from_articles(small_corpus, index_root, full=False)

    assert generations.read_pointer(index_root) == first.generation
    assert not [p for p in index_root.iterdir() if p.name.startswith("building-")]


def test_unreadable_checksums_make_the_next_build_full(
    small_corpus: list[Article], index_root: Path
) -> None:
    first = build_from_articles(small_corpus, index_root)
    (index_root / str(first.generation) / generations.CHECKSUMS_FILE).write_text("{broken")

    report = build_from_articles(small_corpus, index_root, full=False)

    assert report.full
    assert report.full_reason == "the live generation's checksums are missing or unreadable"
    assert live_ids(index_root) == {article.id for article in small_corpus}


def test_what_a_build_holds_is_frozen_out_of_the_collector_until_it_ends(
    small_corpus: list[Article], index_root: Path, tmp_path: Path, vocabulary_dir: Path
) -> None:
    """A full pass of the collector over 100,000 held articles took up to 1.1 s
    (`collector`): from the write on, the build holds them frozen, and lets go after."""
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, small_corpus, vocabulary_dir)
    frozen: dict[str, int] = {}

    def progress(phase: str, *counts: int) -> None:
        frozen.setdefault(phase, gc.get_freeze_count())

    build_index(corpus, index_root, progress=progress)
    assert frozen["read"] == 0
    assert frozen["index"] > 0 and frozen["check"] > 0
    assert gc.get_freeze_count() == 0


def test_a_build_leaves_what_its_process_froze_before_frozen(
    small_corpus: list[Article], index_root: Path, tmp_path: Path, vocabulary_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, small_corpus, vocabulary_dir)
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        build_index(corpus, index_root)
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()


def _write_corpus(corpus: Path, articles: list[Article], vocabulary_dir: Path) -> None:
    """`articles` as a corpus folder: a JSONL export beside the shipped vocabulary."""
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    (corpus / "articles").mkdir()
    lines = [
        json.dumps({"id": a.id, "title": a.title, "body": a.body, "language": a.language})
        for a in articles
    ]
    (corpus / "articles" / "export.jsonl").write_text("\n".join(lines) + "\n")
