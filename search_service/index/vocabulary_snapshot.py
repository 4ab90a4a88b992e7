"""The vocabulary a generation was built with, kept inside the generation.

A build copies the files of the vocabulary it used (`Vocabulary.files`: every
`*.yaml` of the corpus's vocabulary folder, as read) into
`<generation>/vocabulary/`, and the manifest records where they came from and
their fingerprint (`manifest_record`). The search engine loads the vocabulary of
the generation it serves from there (`load_snapshot`), so `search` and `serve`
need no corpus, give the same answers from any working folder, and every worker
uses the vocabulary its generation was built with. A kind of vocabulary file
added later (synonyms, discovered organisations) is one more file of the folder:
it travels into the snapshot without a change here.

Generations built before snapshots existed (or by `build_from_articles` without a
vocabulary) have none: the engine falls back to the corpus's vocabulary.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from search_service.index.generations import fsync_dir
from search_service.ingest.corpus_root import VocabularySource
from search_service.ingest.vocabulary import Vocabulary

SNAPSHOT_DIR: Final = "vocabulary"


@dataclass(frozen=True)
class UsedVocabulary:
    """The vocabulary a build derived its articles with, and where it was read."""

    vocabulary: Vocabulary
    source: VocabularySource

    def manifest_record(self) -> dict[str, Any]:
        """The manifest's `vocabulary`: source (full path or "shipped default"), fingerprint
        (what the articles' countries and partners depend on), digest (every file), files."""
        return {
            "source": self.source.describe(),
            "fingerprint": self.vocabulary.fingerprint,
            "digest": self.vocabulary.digest,
            "files": sorted(self.vocabulary.files),
        }


def recorded_digest(manifest: dict[str, Any]) -> str | None:
    """The vocabulary digest a generation's manifest records (None before snapshots)."""
    record = manifest.get("vocabulary")
    digest = record.get("digest") if isinstance(record, dict) else None
    return digest if isinstance(digest, str) else None


def write_snapshot(generation: Path, vocabulary: Vocabulary | None) -> None:
    """Write the vocabulary's files into `generation/vocabulary/`, durably.

    Replaces the snapshot an incremental build copied from the live generation;
    with no vocabulary (ready-made articles), leaves none.
    """
    folder = Path(generation) / SNAPSHOT_DIR
    if folder.exists():
        shutil.rmtree(folder)
    if vocabulary is None:
        return
    folder.mkdir()
    for name, data in sorted(vocabulary.files.items()):
        with open(folder / name, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    fsync_dir(folder)


def load_snapshot(generation: Path) -> Vocabulary | None:
    """The vocabulary kept in a generation, None when it has none.

    Raises `VocabularyError` when the snapshot cannot be read (only a hand edit of
    the generation can do that: the build read the same files).
    """
    folder = Path(generation) / SNAPSHOT_DIR
    if not folder.is_dir():
        return None
    return Vocabulary.load(folder)
