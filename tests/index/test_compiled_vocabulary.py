"""A generation keeps its vocabulary built (pickled), so opening it does not build the
matcher again; a pickle made from other files or by other code, or damaged, is not used.
The same files give the vocabulary loaded last again, not a second copy."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import search_service
from search_service.errors import BuildFailedError
from search_service.index import generations, vocabulary_snapshot
from search_service.index.build import build_index
from search_service.ingest import vocabulary as vocabulary_module
from search_service.ingest import word_lists
from search_service.ingest.vocabulary import Vocabulary, words_of

NORDVENT = "  - canonical: Nordvent Mutuelle\n    names: [Northwind Mutual]\n"


@pytest.fixture(autouse=True)
def nothing_loaded_yet() -> None:
    """Each test's generation is read from its files (earlier tests built the same ones)."""
    vocabulary_snapshot.forget_loaded()


@pytest.fixture
def generation(tmp_path: Path, vocabulary_dir: Path) -> Path:
    """A generation built from a corpus whose vocabulary knows the Nordvent Mutuelle."""
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    partners = corpus / "vocabulary" / "partners.yaml"
    text = partners.read_text(encoding="utf-8")
    partners.write_text(text.replace("\npartners:\n", "\npartners:\n" + NORDVENT, 1), "utf-8")
    (corpus / "a.md").write_text(
        "---\ntitle: Teachers meet\nlanguage: en\n---\nThe Nordvent Mutuelle met teachers.\n",
        encoding="utf-8",
    )
    index = tmp_path / "indexes"
    build_index(corpus, index)
    live = generations.live_generation(index)
    assert live is not None
    return live.path


def partners_in(vocabulary: Vocabulary | None, text: str) -> list[str]:
    assert vocabulary is not None
    return [found.canonical for found in vocabulary.match_names(text)]


@pytest.fixture
def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a vocabulary from files fails: what loads one must unpickle it."""

    def refuse(directory: Path) -> Vocabulary:
        raise AssertionError(f"the vocabulary of {directory} was built from its files")

    monkeypatch.setattr(Vocabulary, "load", refuse)


def test_the_engine_unpickles_the_vocabulary_the_build_kept(
    generation: Path, no_building: None
) -> None:
    vocabulary = vocabulary_snapshot.load_snapshot(generation)

    assert partners_in(vocabulary, "Northwind Mutual") == ["Nordvent Mutuelle"]


def test_the_pickle_is_an_index_file_recorded_and_checked_like_the_others(
    generation: Path,
) -> None:
    live = generations.load_generation(generation.parent, generation.name)
    assert live is not None

    assert vocabulary_snapshot.COMPILED_FILE in live.manifest[generations.FILES_KEY]


def test_a_pickle_of_other_files_is_ignored_and_the_files_are_read(generation: Path) -> None:
    partners = generation / vocabulary_snapshot.SNAPSHOT_DIR / "partners.yaml"
    partners.write_text(partners.read_text("utf-8").replace(NORDVENT, ""), "utf-8")

    assert partners_in(vocabulary_snapshot.load_snapshot(generation), "Northwind Mutual") == []


def test_a_pickle_made_by_other_code_is_ignored(
    generation: Path, monkeypatch: pytest.MonkeyPatch, no_building: None
) -> None:
    monkeypatch.setattr(vocabulary_snapshot, "_code_key", lambda: "an older release")

    with pytest.raises(AssertionError, match="was built from its files"):
        vocabulary_snapshot.load_snapshot(generation)


def test_a_damaged_pickle_is_reported_and_the_files_are_read(
    generation: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compiled = generation / vocabulary_snapshot.COMPILED_FILE
    compiled.write_bytes(compiled.read_bytes()[:100])

    with caplog.at_level(logging.WARNING):
        vocabulary = vocabulary_snapshot.load_snapshot(generation)

    assert partners_in(vocabulary, "Northwind Mutual") == ["Nordvent Mutuelle"]
    assert "does not unpickle" in caplog.text


def test_a_vocabulary_built_from_its_files_for_serving_keeps_no_word_lists(
    generation: Path,
) -> None:
    """Building read the lists (about 10 MiB); a serving process needs them no more."""
    (generation / vocabulary_snapshot.COMPILED_FILE).unlink()
    word_lists.load_word_lists()

    vocabulary = vocabulary_snapshot.load_snapshot(generation)

    assert vocabulary is not None
    assert [m.canonical for m in vocabulary.match_query_names("AIM")] == ["AIM"]
    assert [m.canonical for m in vocabulary.match_query_names("WHO WE ARE")] == []  # shouting
    assert word_lists._word_lists.cache_info().currsize == 0


def test_an_unchanged_vocabulary_is_the_one_loaded_last_not_read_again(
    generation: Path, tmp_path: Path, no_building: None
) -> None:
    """A new generation of the same vocabulary (or a worker forked after its supervisor
    loaded it) shares it: its pickle is not even read."""
    loaded = vocabulary_snapshot.load_snapshot(generation)
    newer = tmp_path / "newer"
    shutil.copytree(generation, newer)
    (newer / vocabulary_snapshot.COMPILED_FILE).write_bytes(b"not a pickle")

    assert vocabulary_snapshot.load_snapshot(newer) is loaded


def test_a_changed_vocabulary_is_loaded_from_its_own_files(
    generation: Path, tmp_path: Path
) -> None:
    loaded = vocabulary_snapshot.load_snapshot(generation)
    newer = tmp_path / "newer"
    shutil.copytree(generation, newer)
    partners = newer / vocabulary_snapshot.SNAPSHOT_DIR / "partners.yaml"
    partners.write_text(partners.read_text("utf-8").replace(NORDVENT, ""), "utf-8")

    changed = vocabulary_snapshot.load_snapshot(newer)

    assert changed is not loaded
    assert partners_in(changed, "Northwind Mutual") == []
    assert partners_in(loaded, "Northwind Mutual") == ["Nordvent Mutuelle"]


# ---- the index folder's compiled vocabularies, for the next build ----------------------


def _rebuild(generation: Path) -> Path:
    """A full build again of the corpus that made `generation` (its new live generation)."""
    index = generation.parent
    build_index(index.parent / "corpus", index, full=True)
    live = generations.live_generation(index)
    assert live is not None and live.path != generation
    return live.path


def _cached(generation: Path) -> list[Path]:
    return sorted((generation.parent / vocabulary_snapshot.CACHE_DIR).glob("*.pickle"))


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders whose vocabulary is built from its files from now on (not unpickled)."""
    folders: list[Path] = []
    load = Vocabulary.load

    def load_and_note(folder: Path) -> Vocabulary:
        folders.append(Path(folder))
        return load(folder)

    monkeypatch.setattr(Vocabulary, "load", load_and_note)
    return folders


def test_a_build_of_an_unchanged_vocabulary_unpickles_what_the_one_before_built(
    generation: Path, no_building: None
) -> None:
    rebuilt = _rebuild(generation)

    vocabulary_snapshot.forget_loaded()
    assert partners_in(vocabulary_snapshot.load_snapshot(rebuilt), "Northwind Mutual") == [
        "Nordvent Mutuelle"
    ]


def test_a_build_of_an_edited_vocabulary_builds_it_from_its_files(
    generation: Path, built: list[Path]
) -> None:
    vocabulary = generation.parent.parent / "corpus" / "vocabulary"
    partners = vocabulary / "partners.yaml"
    partners.write_text(partners.read_text("utf-8").replace(NORDVENT, ""), "utf-8")

    rebuilt = _rebuild(generation)

    assert vocabulary in built
    vocabulary_snapshot.forget_loaded()
    assert partners_in(vocabulary_snapshot.load_snapshot(rebuilt), "Northwind Mutual") == []


def test_a_damaged_compiled_vocabulary_is_built_again_and_replaced(
    generation: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = _cached(generation)
    assert damaged
    for path in damaged:
        path.write_bytes(b"not a pickle")

    with caplog.at_level(logging.WARNING):
        _rebuild(generation)

    assert "does not unpickle" in caplog.text
    assert all(path.read_bytes() != b"not a pickle" for path in damaged)


def test_a_failed_build_keeps_no_compiled_vocabulary(tmp_path: Path, vocabulary_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    (corpus / "empty.md").write_text("---\ntitle: Nothing\n---\n", encoding="utf-8")
    index = tmp_path / "indexes"

    with pytest.raises(BuildFailedError):
        build_index(corpus, index)

    assert not (index / vocabulary_snapshot.CACHE_DIR).exists()


def test_a_build_leaves_no_names_words_remembered_in_its_process(
    tmp_path: Path, vocabulary_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` without an index builds one in its own process, then serves from it: the
    names' words its matchers were built with are not kept, whether it published or not."""
    monkeypatch.setattr(vocabulary_module, "_LOADED", {})  # each build compiles its own

    def corpus_of(name: str, article: str) -> Path:
        corpus = tmp_path / name
        shutil.copytree(vocabulary_dir, corpus / "vocabulary")
        (corpus / "a.md").write_text(f"---\ntitle: Teachers\n---\n{article}", "utf-8")
        words_of("Teachers Health Fund")
        assert words_of.cache_info().currsize > 0
        return corpus

    build_index(corpus_of("published", "Teachers met.\n"), tmp_path / "published-indexes")
    assert words_of.cache_info().currsize == 0
    with pytest.raises(BuildFailedError):
        build_index(corpus_of("failed", ""), tmp_path / "failed-indexes")
    assert words_of.cache_info().currsize == 0


def test_a_cache_that_cannot_be_written_does_not_fail_the_build(
    generation: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = generation.parent / vocabulary_snapshot.CACHE_DIR
    shutil.rmtree(cache)
    cache.write_text("a file where the cache's folder goes", "utf-8")

    with caplog.at_level(logging.WARNING):
        _rebuild(generation)

    assert "compiled vocabularies not kept" in caplog.text


def test_the_cache_keeps_the_vocabularies_used_last(
    tmp_path: Path, vocabulary_dir: Path, built: list[Path]
) -> None:
    folders = []
    for number in range(vocabulary_snapshot.CACHE_KEPT + 1):
        folder = tmp_path / f"vocabulary-{number}"
        shutil.copytree(vocabulary_dir, folder)
        (folder / "synonyms.yaml").write_text(
            f"synonyms:\n  - [teacher{number}, educator{number}]\n", "utf-8"
        )
        folders.append(folder)
    index = tmp_path / "indexes"
    index.mkdir()
    cache = index / vocabulary_snapshot.CACHE_DIR
    for age, folder in enumerate(folders[: vocabulary_snapshot.CACHE_KEPT]):
        before = set(cache.glob("*.pickle"))
        _load_and_save(index, folder)
        [added] = set(cache.glob("*.pickle")) - before
        os.utime(added, (1_000_000 + age, 1_000_000 + age))  # saved long ago, in this order
    _load_and_save(index, folders[0])  # the oldest, used again
    _load_and_save(index, folders[-1])  # one more than the cache keeps
    built.clear()

    for folder in folders:
        vocabulary_snapshot.CompiledVocabularies(index).load(folder)

    assert len(list(cache.glob("*.pickle"))) == vocabulary_snapshot.CACHE_KEPT
    assert built == [folders[1]]  # saved second, not used since: the one dropped


def _load_and_save(index: Path, folder: Path) -> None:
    vocabularies = vocabulary_snapshot.CompiledVocabularies(index)
    vocabularies.load(folder)
    vocabularies.save()


def test_the_code_a_compiled_vocabulary_depends_on_is_in_its_key() -> None:
    """The modules of this package that making a vocabulary imports are all hashed into the
    key (`VOCABULARY_CODE`), but the package's folders and its exceptions, nothing of
    which is pickled."""
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, search_service.ingest.vocabulary; "
            "print(*(m.__file__ for n, m in sorted(sys.modules.items()) "
            "if n.startswith('search_service')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    root = Path(search_service.__file__).parent.parent
    modules = {Path(file).relative_to(root).as_posix() for file in imported}
    left_out = {m for m in modules if m.endswith("__init__.py")} | {"search_service/errors.py"}

    assert modules - left_out == set(vocabulary_snapshot.VOCABULARY_CODE)
