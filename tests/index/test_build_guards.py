"""`index build` refuses what would lose data or build with the wrong vocabulary, and a
failed build leaves nothing where there was nothing (through `cli.main`, real builds)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from search_service import cli
from search_service.index import generations

from .conftest import live_ids, live_stored

#: The exit codes of a `--corpus` that is not a corpus folder, and of a refused build.
NOT_A_CORPUS = cli.EXIT_CODES["bad_corpus"].code
REFUSED = cli.EXIT_CODES["build_failed"].code


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_articles(folder: Path, count: int, start: int = 0) -> None:
    """`count` small English Markdown articles naming Benin and, in article 0, the CSMF."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(start, start + count):
        extra = " The CSMF joined them." if number == 0 else ""
        (folder / f"a{number}.md").write_text(
            f"---\ntitle: Teachers meeting {number}\nlanguage: en\n---\n"
            f"Report {number} on health insurance for teachers in Benin.{extra}\n",
            encoding="utf-8",
        )


@pytest.fixture
def news_corpus(tmp_path: Path, vocabulary_dir: Path) -> Path:
    """A corpus root of 6 articles under articles/, with a copy of the shipped vocabulary."""
    root = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, root / "vocabulary")
    write_articles(root / "articles", 6)
    return root


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return tmp_path / "ix"


def build(
    capsys: pytest.CaptureFixture[str], corpus: Path, index: Path, *extra: str
) -> tuple[int, str, str]:
    return run_main(capsys, "index", "build", "--corpus", corpus, "--index", index, *extra)


def test_a_file_given_as_corpus_is_refused_and_the_live_generation_stays(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path, repo_root: Path
) -> None:
    assert build(capsys, news_corpus, index)[0] == 0
    live = generations.read_pointer(index)

    code, _, err = build(capsys, repo_root / "README.md", index)

    assert code == NOT_A_CORPUS
    assert err == (
        f"error: {repo_root / 'README.md'} is a file, not a corpus folder: give the folder "
        "that holds the article files (and their vocabulary/ folder); nothing was built\n"
    )
    assert generations.read_pointer(index) == live
    assert len(live_ids(index)) == 6


def test_a_folder_inside_a_corpus_is_refused_naming_the_root(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    code, _, err = build(capsys, news_corpus / "articles", index)

    assert code == NOT_A_CORPUS
    assert f"{news_corpus / 'articles'} is a folder inside the corpus {news_corpus}" in err
    assert f"--corpus {news_corpus};" in err
    assert not index.exists()


def test_a_folder_without_article_files_is_refused_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.docx").write_bytes(b"PK")
    index = tmp_path / "new" / "ix"

    code, _, err = build(capsys, empty, index)

    assert code == REFUSED
    assert (
        f"no articles: the corpus {empty} holds no article files (.txt, .md, .jsonl, .html, .htm)"
        in err
    )
    assert "notes.docx: warning: unsupported extension .docx" in err
    assert not (tmp_path / "new").exists()


def test_a_missing_corpus_is_named_in_full_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCH_CORPUS_DIR", raising=False)
    monkeypatch.delenv("SEARCH_INDEX_DIR", raising=False)

    code, _, err = run_main(capsys, "index", "build")

    assert code == NOT_A_CORPUS
    assert err == f"error: no corpus folder at {tmp_path / 'corpus'}; nothing was built\n"
    assert list(tmp_path.iterdir()) == []


def test_a_file_given_as_index_folder_is_named_as_a_file_and_left_alone(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# the project\n", encoding="utf-8")

    code, _, err = build(capsys, news_corpus, readme)

    assert code == REFUSED
    assert err == (
        f"error: {readme} is a file, not an index folder: give a folder with --index or "
        "SEARCH_INDEX_DIR\n"
    )
    assert readme.read_text(encoding="utf-8") == "# the project\n"


def test_a_build_under_half_the_live_generation_is_refused_unless_allowed(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    assert build(capsys, news_corpus, index)[0] == 0
    live = generations.read_pointer(index)
    for number in range(4):
        (news_corpus / "articles" / f"a{number}.md").unlink()

    code, out, err = build(capsys, news_corpus, index)

    assert code == REFUSED
    assert (
        f"the corpus {news_corpus} yields 2 articles and keeps 2 of the 6 of the live "
        f"generation {live}: it would delete 4 articles, over half of them. Nothing was "
        f"published, {live} is still live." in err
    )
    assert "--allow-shrink" in err
    assert generations.read_pointer(index) == live and len(live_ids(index)) == 6

    code, out, _ = build(capsys, news_corpus, index, "--allow-shrink")

    assert code == 0 and "deleted 4" in out
    assert live_ids(index) == {"articles/a4", "articles/a5"}


def test_a_corpus_of_other_articles_as_many_as_the_live_ones_is_refused_unless_allowed(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path, tmp_path: Path
) -> None:
    """`index build --corpus docs`: as many files as the real corpus, none of its articles."""
    assert build(capsys, news_corpus, index)[0] == 0
    live = generations.read_pointer(index)
    docs = tmp_path / "docs"
    shutil.copytree(news_corpus / "vocabulary", docs / "vocabulary")
    for number in range(6):
        (docs / f"page{number}.md").write_text(
            f"# Page {number}\n\nHow the service is deployed, part {number}.\n", encoding="utf-8"
        )

    code, _, err = build(capsys, docs, index)

    assert code == REFUSED
    assert "yields 6 articles and keeps 0 of the 6" in err and "--allow-shrink" in err
    assert generations.read_pointer(index) == live and len(live_ids(index)) == 6

    assert build(capsys, docs, index, "--allow-shrink")[0] == 0
    assert len(live_ids(index)) == 6 and "articles/a0" not in live_ids(index)


def test_half_of_the_live_generation_is_not_a_shrink(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    assert build(capsys, news_corpus, index)[0] == 0
    for number in range(3):
        (news_corpus / "articles" / f"a{number}.md").unlink()

    code, out, _ = build(capsys, news_corpus, index)

    assert code == 0 and "deleted 3" in out


def test_a_failed_first_build_leaves_no_lock_file_or_folder_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, vocabulary_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    existing = tmp_path / "indexes"
    existing.mkdir()
    (existing / ".gitkeep").write_text("")

    assert build(capsys, corpus, tmp_path / "a" / "b" / "ix")[0] == REFUSED
    assert build(capsys, corpus, existing)[0] == REFUSED

    assert not (tmp_path / "a").exists()
    assert [path.name for path in existing.iterdir()] == [".gitkeep"]


def test_a_build_copies_its_vocabulary_into_the_generation_and_status_names_it(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    code, out, _ = build(capsys, news_corpus, index)
    assert code == 0
    assert f"  corpus {news_corpus}; vocabulary {news_corpus / 'vocabulary'}\n" in out
    live = generations.live_generation(index)
    assert live is not None

    snapshot = live.path / "vocabulary"
    # The corpus's files, and the organisations discovered in it (the articles' "CSMF").
    files = ["countries.yaml", "discovered.yaml", "partners.yaml", "synonyms.yaml"]
    assert sorted(path.name for path in snapshot.iterdir()) == files
    for name in ("countries.yaml", "partners.yaml", "synonyms.yaml"):
        assert (snapshot / name).read_bytes() == (news_corpus / "vocabulary" / name).read_bytes()
    assert "canonical: CSMF" in (snapshot / "discovered.yaml").read_text(encoding="utf-8")
    record = live.manifest["vocabulary"]
    assert record["source"] == str(news_corpus / "vocabulary")
    assert record["files"] == files
    assert live.manifest["corpus"] == str(news_corpus)

    code, out, _ = run_main(capsys, "index", "status", "--index", index)
    assert (
        f"  vocabulary: {news_corpus / 'vocabulary'} (corpus {news_corpus}), fingerprint "
        f"{record['fingerprint']}, copied into the generation\n" in out
    )
    code, out, _ = run_main(capsys, "index", "status", "--index", index, "--json")
    status = json.loads(out)
    assert status["live"]["vocabulary"] == record
    assert status["live"]["corpus"] == str(news_corpus)


def test_a_corpus_without_vocabulary_is_built_with_the_shipped_default_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, index: Path
) -> None:
    corpus = tmp_path / "bare"
    write_articles(corpus, 2)

    code, out, _ = build(capsys, corpus, index)

    assert code == 0
    assert (
        f"  corpus {corpus}; no vocabulary folder {corpus / 'vocabulary'}: the shipped "
        "default vocabulary is used\n" in out
    )
    live = generations.live_generation(index)
    assert live is not None and live.manifest["vocabulary"]["source"] == "shipped default"
    assert live_stored(index, "a1")["country"] == "Benin"


def test_a_vocabulary_change_rederives_the_partners_at_the_next_incremental_build(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    partners = news_corpus / "vocabulary" / "partners.yaml"
    with partners.open("a", encoding="utf-8") as vocabulary:
        vocabulary.write("  - CSMF\n")  # in not_organisations: not discovered either
    assert build(capsys, news_corpus, index)[0] == 0
    assert "partner" not in live_stored(index, "articles/a0")
    text = partners.read_text(encoding="utf-8")
    partners.write_text(
        text.replace(
            "\npartners:\n", "\npartners:\n  - canonical: CSMF\n    acronyms: [CSMF]\n", 1
        ),
        encoding="utf-8",
    )

    code, out, _ = build(capsys, news_corpus, index)

    assert code == 0
    assert "build: incremental" in out and "updated 6" in out
    assert "the vocabulary differs from the one gen-" in out
    assert live_stored(index, "articles/a0")["partner"] == "CSMF"
    live = generations.live_generation(index)
    assert live is not None
    assert b"canonical: CSMF" in (live.path / "vocabulary" / "partners.yaml").read_bytes()


def test_a_new_vocabulary_file_publishes_a_generation_with_the_same_articles(
    capsys: pytest.CaptureFixture[str], news_corpus: Path, index: Path
) -> None:
    """A file only the search reads (synonyms) changes no article, but must reach the index."""
    assert build(capsys, news_corpus, index)[0] == 0
    before = generations.read_pointer(index)
    (news_corpus / "vocabulary" / "synonyms.yaml").write_text("synonyms: []\n", encoding="utf-8")

    code, out, _ = build(capsys, news_corpus, index)

    assert code == 0
    assert "added 0, updated 0, deleted 0, unchanged 6" in out and "published gen-" in out
    live = generations.live_generation(index)
    assert live is not None and live.name != before
    assert (live.path / "vocabulary" / "synonyms.yaml").read_text() == "synonyms: []\n"
    assert len(live_ids(index)) == 6

    code, out, _ = build(capsys, news_corpus, index)
    assert code == 0 and "up to date" in out
