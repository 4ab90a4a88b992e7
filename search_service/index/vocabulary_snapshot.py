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

Building the matcher from those files takes about half a second (YAML, wordfreq's
word lists, every name's forms), whatever the generation's size: the build also
keeps the vocabulary it built, pickled (`vocabulary.pickle`, beside the index files,
so recorded and checked like them), and the engine unpickles it in a tenth of that
when it was made by the same code from the same files (`_compiled_key`); otherwise,
or when it does not unpickle, the files are read as before.

Generations built before snapshots existed (or by `build_from_articles` without a
vocabulary) have none: the engine falls back to the corpus's vocabulary.

A build needs the matcher twice (the corpus's vocabulary for the ingest, the snapshot's
for `vocabulary.pickle`), and nearly every build uses the files the one before used: the
index folder keeps the vocabularies builds compiled (`CompiledVocabularies`, in
`vocabulary-cache/`), which the next build unpickles instead of building them again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import search_service
from search_service.index.generations import fsync_dir, write_bytes_durably
from search_service.ingest import vocabulary as vocabulary_module
from search_service.ingest.corpus_root import VocabularySource
from search_service.ingest.vocabulary import DISCOVERED_FILE, Vocabulary, files_digest
from search_service.ingest.word_lists import forget_word_lists

if TYPE_CHECKING:
    from search_service.ingest.organisations import Discovery

SNAPSHOT_DIR: Final = "vocabulary"
#: The vocabulary built from the snapshot, pickled with `_compiled_key`.
COMPILED_FILE: Final = "vocabulary.pickle"
#: The index folder's vocabularies compiled by builds (`CompiledVocabularies`).
CACHE_DIR: Final = "vocabulary-cache"
#: Compiled vocabularies the cache keeps: those used last (a corpus's, with and without
#: the organisations discovered in it, and those of a vocabulary edited back and forth).
CACHE_KEPT: Final = 4

logger = logging.getLogger(__name__)


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


class CompiledVocabularies:
    """The vocabularies builds compiled, pickled by their `_compiled_key` in the index
    folder's `vocabulary-cache/`, the `CACHE_KEPT` used last.

    A build needs two matchers: building them cost 0.6 s of its own process on the bench
    machine (YAML, every name's forms, wordfreq's word lists), unpickling them 0.06 s,
    and the ingest then loads the word lists alone (0.25 s; since they are read without
    wordfreq's import, 0.10-0.15 s with the typo index, on a machine half again as slow;
    `Vocabulary.prepare_matching`):
    a build of an unchanged vocabulary, full or not, spends about 0.3 s less in its own
    process, about 0.15 s less of wall time (docs/build-speed.md, "The vocabularies compiled
    once"). A cached file made from other files or by other code never matches a key;
    one that does not unpickle is built again. What a build compiled is kept only once
    the build succeeded (`save`), so a failed build leaves the folder as it found it.
    Only builds use it, under the build lock.
    """

    def __init__(self, index_root: Path) -> None:
        self.folder = Path(index_root) / CACHE_DIR
        #: What this build loaded, by key; `_built`: the keys of those it built.
        self._loaded: dict[str, Vocabulary] = {}
        self._built: set[str] = set()

    def load(self, directory: Path) -> Vocabulary:
        """The vocabulary of the folder `directory` (`Vocabulary.load`), unpickled when
        the cache holds it."""
        key = _compiled_key(vocabulary_module.read_folder(directory))
        found = self._loaded.get(key)  # not `or`: a vocabulary of no names is falsy
        if found is None:
            found = _unpickled(self._path(key), key)
        if found is None:
            found = Vocabulary.load(directory)
            # Under the key of the files it was made of (`load` reads the folder again).
            key = _compiled_key(found.files)
            self._built.add(key)
        self._loaded[key] = found
        return found

    def save(self) -> None:
        """Keep the vocabularies this build loaded (the cache's most recent), and drop
        the oldest past `CACHE_KEPT` and what a killed build left half-written. Never a
        reason to fail a build, which has published by now: what cannot be done is left
        out, with a warning."""
        try:
            self.folder.mkdir(exist_ok=True)
        except OSError as error:
            logger.warning("%s: compiled vocabularies not kept (%s)", self.folder, error)
            return
        for key, vocabulary in self._loaded.items():
            if key in self._built:  # new, or replacing a damaged file
                self._quietly("written", partial(self._write, key, vocabulary))
            else:
                self._quietly("marked as used", partial(os.utime, self._path(key)))
        leftovers = sorted(self.folder.glob(".*.tmp"))
        oldest = sorted(self.folder.glob("*.pickle"), key=_modified)[:-CACHE_KEPT]
        for path in [*leftovers, *oldest]:
            self._quietly("removed", partial(path.unlink, missing_ok=True))

    def _write(self, key: str, vocabulary: Vocabulary) -> None:
        write_bytes_durably(self._path(key), _pickled(key, vocabulary))

    def _quietly(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as error:  # pickling too: a vocabulary that will not pickle
            logger.warning("%s: a compiled vocabulary not %s (%s)", self.folder, what, error)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"


def _pickled(key: str, vocabulary: Vocabulary) -> bytes:
    return pickle.dumps((key, vocabulary), protocol=5)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile: the oldest
        return 0.0


def write_compiled(generation: Path, vocabularies: CompiledVocabularies) -> None:
    """Pickle the vocabulary of `generation`'s snapshot beside it (none without one),
    loaded through the build's `vocabularies`."""
    compiled = Path(generation) / COMPILED_FILE
    compiled.unlink(missing_ok=True)  # an incremental build copied the live one's
    folder = Path(generation) / SNAPSHOT_DIR
    if not folder.is_dir():
        return
    vocabulary = vocabularies.load(folder)
    data = _pickled(_compiled_key(vocabulary.files), vocabulary)
    with open(compiled, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


#: The vocabulary `load_snapshot` gave last, with its `_compiled_key`.
_last_loaded: tuple[str, Vocabulary] | None = None


def load_snapshot(generation: Path) -> Vocabulary | None:
    """The vocabulary kept in a generation, None when it has none.

    Unpickled from `COMPILED_FILE` when that was made by this code from these files;
    built from the files otherwise. Raises `VocabularyError` when the snapshot
    cannot be read (only a hand edit of the generation can do that: the build read
    the same files).

    The same files, read by the same code, give the vocabulary loaded last again, the
    same object (`_last_loaded`): a new generation of an unchanged vocabulary costs no
    second copy while the one it replaces is served, and a worker of `serve` shares the
    one its supervisor loaded before forking it (`web.warm_up`), instead of unpickling
    its own: 5.7 MiB of a worker's private memory at 100,000 articles (docs/serving-speed.md, "A
    worker's memory, piece by piece").
    """
    global _last_loaded
    folder = Path(generation) / SNAPSHOT_DIR
    if not folder.is_dir():
        _last_loaded = None  # not kept for a generation that no longer uses it
        return None
    files = vocabulary_module.read_folder(folder)
    key = _compiled_key(files)
    last = _last_loaded
    if last is not None and last[0] == key:
        return last[1]
    vocabulary = _unpickled(Path(generation) / COMPILED_FILE, key) or serving_vocabulary(folder)
    _last_loaded = (key, vocabulary)
    return vocabulary


def serving_vocabulary(folder: Path) -> Vocabulary:
    """The vocabulary of `folder` built from its files for a serving process, which keeps
    no word lists after: building read them, and what queries need of them the vocabulary
    kept (docs/serving-speed.md, "A query's acronym without the word lists")."""
    vocabulary = Vocabulary.load(folder)
    forget_word_lists()
    return vocabulary


def forget_loaded() -> None:
    """Let `load_snapshot` read the next vocabulary from its files again, even an
    unchanged one (tests that damage or replace a generation's files)."""
    global _last_loaded
    _last_loaded = None


def _unpickled(path: Path, key: str) -> Vocabulary | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning(
            "%s cannot be read (%s): building the vocabulary from its files", path, error
        )
        return None
    try:
        stored_key, vocabulary = pickle.loads(data)
    except Exception as error:  # a damaged file: unpickling, attribute, import…
        logger.warning(
            "%s does not unpickle (%s): building the vocabulary from its files", path, error
        )
        return None
    if stored_key != key or not isinstance(vocabulary, Vocabulary):
        return None  # made by other code (an upgrade since the build) or from other files
    return vocabulary


def _compiled_key(files: Mapping[str, bytes]) -> str:
    """What a pickled vocabulary depends on: the snapshot's files, the code that builds
    the matcher, and the libraries and Python it was built with."""
    digest = hashlib.sha256(files_digest(files).encode())
    digest.update(_code_key().encode())
    return digest.hexdigest()


#: The modules of this package a compiled vocabulary is made by: `ingest.vocabulary`
#: and what it imports (`ingest.synonyms` stems the synonyms with the analyzers).
#: `tests/index/test_compiled_vocabulary.py` checks that it still imports no other.
VOCABULARY_CODE: Final = (
    "search_service/analysis.py",
    "search_service/articles.py",
    "search_service/ingest/synonyms.py",
    "search_service/ingest/vocabulary.py",
    "search_service/ingest/word_lists.py",
    "search_service/text.py",
)
#: The libraries it is made with: country names, word lists, stemmers and stop words,
#: YAML.
VOCABULARY_LIBRARIES: Final = (
    "pycountry",
    "wordfreq",
    "PyStemmer",
    "whoosh-reloaded",
    "PyYAML",
    "search-service",
)


@lru_cache(maxsize=1)
def _code_key() -> str:
    """Python's version, the libraries' and the source of the modules that make a compiled
    vocabulary (`VOCABULARY_CODE`): not every module, so that a change elsewhere (the API)
    leaves the live generation's pickle good, which the build of an unchanged corpus does
    not write again."""
    digest = hashlib.sha256(sys.version.encode())
    sources = Path(str(search_service.__file__)).parent.parent
    for module in VOCABULARY_CODE:
        digest.update(module.encode() + b"\0" + (sources / module).read_bytes())
    for package in VOCABULARY_LIBRARIES:
        try:
            digest.update(importlib.metadata.version(package).encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(b"-")
    return digest.hexdigest()
