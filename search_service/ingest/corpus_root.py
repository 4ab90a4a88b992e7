"""Where a corpus starts, and which vocabulary goes with it: one rule for every command.

The corpus root is the folder given (`--corpus`, `SEARCH_CORPUS_DIR`), made absolute
from the working folder; its vocabulary is `<root>/vocabulary/`. A corpus without
that folder uses the project's shipped default vocabulary, and says so
(`VocabularySource.notice`). `corpus check PATH` on files or folders inside a corpus
finds the root by walking up to the nearest folder holding `vocabulary/`
(`enclosing_corpus`), so ids are relative to the root and its partners are known
from any working folder. A build refuses a corpus that is a file, that does not
exist, or that is a folder inside another corpus (`open_corpus`): it would publish
the wrong articles, or the right ones with the wrong vocabulary and ids.

The shipped default is `search_service/ingest/default_vocabulary/`, a link to the
repository's `corpus/vocabulary/` (one copy of the data; the wheel carries the
files themselves, see docs/ingest.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from search_service.errors import CorpusError, VocabularyError
from search_service.settings import absolute_path

VOCABULARY_DIR: Final = "vocabulary"
#: The fetch's sources at the corpus root (`corpus fetch`, `sync`): not an article file.
SOURCES_FILE: Final = "sources.yaml"
#: Beside each page `corpus fetch` saves, its record (`<page file>.fetch.json`), which
#: the ingest reads with the page: not an article file.
FETCH_SIDECAR_SUFFIX: Final = ".fetch.json"
#: The project's default vocabulary (package data; a link to corpus/vocabulary in the repo).
SHIPPED_VOCABULARY: Final = Path(__file__).resolve().parent / "default_vocabulary"
#: What the manifest and the messages call the shipped default.
SHIPPED_DEFAULT: Final = "shipped default"


@dataclass(frozen=True)
class VocabularySource:
    """The vocabulary folder a corpus uses: its own, or the shipped default."""

    directory: Path
    shipped_default: bool
    corpus: Path | None = None

    def describe(self) -> str:
        """The full path of the folder, or "shipped default" (as in the manifest)."""
        return SHIPPED_DEFAULT if self.shipped_default else str(self.directory)

    def notice(self) -> str | None:
        """The one line saying the shipped default is used (None when the corpus has its own)."""
        if not self.shipped_default:
            return None
        where = self.corpus / VOCABULARY_DIR if self.corpus is not None else "the corpus"
        return f"no vocabulary folder {where}: the shipped default vocabulary is used"


@dataclass(frozen=True)
class CorpusRoot:
    """An absolute corpus folder and its vocabulary."""

    path: Path
    vocabulary: VocabularySource


def vocabulary_of(root: Path | str) -> VocabularySource:
    """`<root>/vocabulary/` when it exists, else the shipped default.

    `VocabularyError` when `<root>/vocabulary` exists but is not a folder.
    """
    root = absolute_path(root)
    folder = root / VOCABULARY_DIR
    if folder.is_dir():
        return VocabularySource(folder, shipped_default=False, corpus=root)
    if folder.exists():
        raise VocabularyError(f"{folder} is not a folder: a corpus's vocabulary is a folder")
    return VocabularySource(SHIPPED_VOCABULARY, shipped_default=True, corpus=root)


def is_corpus_root(folder: Path) -> bool:
    return (folder / VOCABULARY_DIR).is_dir()


def open_corpus(path: Path | str) -> CorpusRoot:
    """The corpus rooted at `path` (`--corpus`, `SEARCH_CORPUS_DIR`), checked.

    `CorpusError` when `path` does not exist, is not a folder, or is a folder inside
    another corpus (a parent holds `vocabulary/` and this folder does not): the
    message names the root to give instead.
    """
    root = absolute_path(path)
    if not root.exists():
        raise CorpusError(f"no corpus folder at {root}")
    if not root.is_dir():
        raise CorpusError(
            f"{root} is a file, not a corpus folder: give the folder that holds the "
            f"article files (and their {VOCABULARY_DIR}/ folder)"
        )
    if not is_corpus_root(root):
        outer = _nearest_root(root.parent)
        if outer is not None:
            raise CorpusError(
                f"{root} is a folder inside the corpus {outer} (which holds "
                f"{VOCABULARY_DIR}/): give the corpus itself, --corpus {outer}"
            )
    return CorpusRoot(root, vocabulary_of(root))


def enclosing_corpus(path: Path | str) -> CorpusRoot:
    """The corpus a file or folder belongs to (`corpus check PATH`).

    The nearest folder, from `path` itself (or a file's folder) upwards, that holds
    `vocabulary/`; when there is none, `path` itself (a file's folder), with the
    shipped default vocabulary.
    """
    given = absolute_path(path)
    start = given if given.is_dir() else given.parent
    root = _nearest_root(start) or start
    return CorpusRoot(root, vocabulary_of(root))


def _nearest_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if is_corpus_root(candidate):
            return candidate
    return None
