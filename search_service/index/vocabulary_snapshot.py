"""The vocabulary a generation was built with, kept inside the generation.

A build copies the files of the vocabulary it used (`Vocabulary.files`: every
`*.yaml` of the corpus's vocabulary folder, as read) into
`<generation>/vocabulary/`, and the manifest records where they came from and
their fingerprint (`manifest_record`). The search engine loads the vocabulary of
the generation it serves from there (`load_snapshot`), so `search` and `serve`
need no corpus, give the same answers from any working folder, and every worker
uses the vocabulary its generation was built with. A kind of vocabulary file
added later (synonyms) is one more file of the folder: it travels into the
snapshot without a change here. The organisations the build discovered in the
corpus (`ingest.organisations`) are one more file that the build writes there,
`discovered.yaml`: the search reads them beside the curated files.

Generations built before snapshots existed (or by `build_from_articles` without a
vocabulary) have none: the engine falls back to the corpus's vocabulary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from search_service.index.generations import fsync_dir
from search_service.ingest.corpus_root import VocabularySource
from search_service.ingest.vocabulary import DISCOVERED_FILE, Vocabulary, files_digest

if TYPE_CHECKING:
    from search_service.ingest.organisations import Discovery

SNAPSHOT_DIR: Final = "vocabulary"


@dataclass(frozen=True)
class UsedVocabulary:
    """The vocabulary a build derived its articles with, and where it was read."""

    vocabulary: Vocabulary
    source: VocabularySource
    discovered: bytes | None = None
    """`discovered.yaml`: the organisations the build discovered, when there are any."""

    def with_discovered(self, discovery: Discovery) -> UsedVocabulary:
        """This vocabulary and the organisations discovered in the corpus it was used on."""
        from search_service.ingest.organisations import discovered_file

        return replace(self, discovered=discovered_file(discovery) if discovery.auto else None)

    @property
    def files(self) -> dict[str, bytes]:
        """The files the generation keeps: the vocabulary's, and `discovered.yaml`."""
        files = dict(self.vocabulary.files)
        if self.discovered is not None:
            files[DISCOVERED_FILE] = self.discovered
        return files

    @property
    def digest(self) -> str:
        """The identity of the snapshot (every file): a build whose vocabulary or discovered
        organisations differ from the live generation's publishes a new one."""
        return files_digest(self.files)

    def manifest_record(self) -> dict[str, Any]:
        """The manifest's `vocabulary`: source (full path or "shipped default"), fingerprint
        (what the articles' countries and partners depend on), digest (every file), files."""
        return {
            "source": self.source.describe(),
            "fingerprint": self.vocabulary.fingerprint,
            "digest": self.digest,
            "files": sorted(self.files),
        }


def recorded_digest(manifest: dict[str, Any]) -> str | None:
    """The vocabulary digest a generation's manifest records (None before snapshots)."""
    record = manifest.get("vocabulary")
    digest = record.get("digest") if isinstance(record, dict) else None
    return digest if isinstance(digest, str) else None


def write_snapshot(generation: Path, files: Mapping[str, bytes] | None) -> None:
    """Write the vocabulary's files (`UsedVocabulary.files`) into `generation/vocabulary/`,
    durably.

    Replaces the snapshot an incremental build copied from the live generation;
    with no vocabulary (ready-made articles), leaves none.
    """
    folder = Path(generation) / SNAPSHOT_DIR
    if folder.exists():
        shutil.rmtree(folder)
    if files is None:
        return
    folder.mkdir()
    for name, data in sorted(files.items()):
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
