"""A generation opened for searching: its Whoosh index, its serving view (or the arrays
read from its segments), its dictionary and vocabulary, a searcher per thread and its
response cache. `SearchEngine` opens the live one and swaps it for the next.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from whoosh.index import EmptyIndexError

from search_service.errors import (
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
    SearchServiceError,
)
from search_service.index import generations as gens
from search_service.index.compiled_view import open_compiled, view_version
from search_service.index.flat_arrays import FlatArraysError
from search_service.index.generations import open_live_index, read_pointer
from search_service.index.view import IndexView, open_view
from search_service.index.vocabulary_snapshot import load_snapshot
from search_service.search.lexicon import Lexicon
from search_service.search.results import Shown

if TYPE_CHECKING:
    from search_service.ingest.vocabulary import Vocabulary

#: The engine's log: opening a generation is one of the engine's steps to whoever reads it.
logger = logging.getLogger("search_service.search.engine")

#: Documents whose stored fields are kept in memory per generation.
_STORED_CACHE_LIMIT: Final = 4096


class GenerationGoneError(IndexNotFoundError):
    """A thread needed a new searcher of a generation whose folder was pruned meanwhile."""


@dataclass(slots=True)
class Generation:
    """One opened generation: its Whoosh index, arrays, dictionary and per-thread searchers."""

    name: str
    index: Any
    view: IndexView
    lexicon: Lexicon
    vocabulary: Vocabulary | None = None
    """The countries and partners it was built with (query synonyms); None: synonyms off."""
    on_disk: gens.Generation | None = None
    #: What is wrong with its files, once found (it is then refused: `SearchEngine._usable`).
    damage: str | None = None
    checked_at: float | None = None
    cache: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    _local: threading.local = field(default_factory=threading.local)
    _shown: dict[int, Shown] = field(default_factory=dict)
    #: Held to read or change its cache, and by the engine to check its files once at a time.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shown(self, doc: int) -> Shown:
        """What a result shows of a document.

        From the compiled view's text columns (slices of the mapped file); from
        the segments for a generation without a view, then kept in a bounded
        per-generation cache: Whoosh decompresses and unpickles stored fields on
        every read, and the documents of the first result pages recur.
        """
        if self.view.stored is not None:
            return Shown.of_row(*self.view.stored.row(doc))
        found = self._shown.get(doc)
        if found is None:
            found = Shown.of(self.searcher().stored_fields(doc))
            if len(self._shown) >= _STORED_CACHE_LIMIT:
                self._shown.clear()
            self._shown[doc] = found
        return found

    def searcher(self) -> Any:
        """This thread's searcher of this generation (Whoosh searchers are not thread-safe)."""
        found = getattr(self._local, "searcher", None)
        if found is None:
            try:
                found = self._local.searcher = self.index.searcher()
            except (EmptyIndexError, OSError) as error:
                raise GenerationGoneError(f"generation {self.name} was removed") from error
        return found

    def cached(self, key: Any) -> Any:
        """A response remembered for this generation (None when absent)."""
        with self.lock:
            found = self.cache.get(key)
            if found is not None:
                self.cache.move_to_end(key)
            return found

    def recent_keys(self) -> list[Any]:
        """The keys of the remembered responses, most recently used first.

        Copied under the lock: the keys hash in Python (`SearchRequest` is a
        dataclass), so other threads run while an unlocked copy is taken, and a
        search answered meanwhile reorders the dictionary under it.
        """
        with self.lock:
            keys = list(self.cache)
        keys.reverse()
        return keys

    def remember(self, key: Any, value: Any, limit: int) -> None:
        """Keep a response, forgetting the least recently used beyond `limit`."""
        if limit <= 0:
            return
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > limit:
                self.cache.popitem(last=False)


def open_generation(
    root: Path, fallback: Callable[[], Vocabulary | None] = lambda: None, attempts: int = 3
) -> Generation:
    """`open_live_generation`, again when a build pruned the generation being opened."""
    for _ in range(attempts - 1):
        with contextlib.suppress(GenerationGoneError):
            return open_live_generation(root, fallback)
    return open_live_generation(root, fallback)


def open_live_generation(
    root: Path, fallback: Callable[[], Vocabulary | None] = lambda: None
) -> Generation:
    """Open the live generation, read its arrays and its vocabulary.

    The vocabulary is the one the build copied into the generation; `fallback()`
    for a generation that keeps none (built before vocabulary snapshots).

    Its files are first compared with what its build recorded (sizes, and the SHA-256
    of any file not verified on this machine since it was last written: about a
    second per GB, so a copied generation's first opening), so a generation damaged
    on disk, or copied incompletely to this machine, is never served. Raises
    `IndexNotFoundError` (nothing published, or pruned while opening),
    `DamagedPointerError`, or `DamagedGenerationError`.
    """
    on_disk, index = open_live_index(root)
    name = str(on_disk.name)
    found = gens.damage_before_serving(on_disk)  # only what its build wrote is served
    if found is not None and still_live(root, name):
        raise DamagedGenerationError(name, found)
    try:
        view, lexicon = _open_arrays(on_disk, index)
    except Exception as error:  # a truncated or garbled file: unpickling, struct, zlib…
        if not still_live(root, name):
            raise GenerationGoneError(f"generation {name} was removed while opening") from error
        raise gens.damaged_generation(root, name, error) from error
    vocabulary = _generation_vocabulary(on_disk.path, name, fallback)
    return Generation(
        name=name,
        index=index,
        view=view,
        lexicon=lexicon,
        vocabulary=vocabulary,
        on_disk=on_disk,
    )


def still_live(root: Path, name: str) -> bool:
    """Whether `name` is the live generation and its folder is there (not pruned)."""
    try:
        return read_pointer(root) == name and (Path(root) / name).is_dir()
    except DamagedPointerError:
        return (Path(root) / name).is_dir()
    except (IndexAccessError, PermissionError):
        return False  # unknown: nothing is declared damaged on what cannot be read


def _open_arrays(on_disk: gens.Generation, index: Any) -> tuple[IndexView, Lexicon]:
    """The generation's compiled view, mapped; read from its segments if it has none.

    A generation built before serving views is still served, from its segments:
    opening it reads its arrays and dictionary, and each word's postings are
    decoded on first use. The next build compiles a view (docs/index.md, "The
    serving view"). A view its build recorded in the manifest that cannot be
    read is damage (the caller refuses the generation), as for any other file;
    one it did not record (built before files were recorded) is left for the
    segments, with a warning.
    """
    name = on_disk.name
    try:
        compiled = open_compiled(name, on_disk.path)
    except (FlatArraysError, KeyError, ValueError, OSError) as error:
        if gens.records_view(on_disk):
            raise
        logger.warning(
            "the serving view of %s cannot be read (%s): searching its segments", name, error
        )
    else:
        if compiled is not None:
            return compiled.view, Lexicon(compiled.words)
        _log_unused_view(on_disk)
    with index.searcher() as searcher:
        reader = searcher.reader()
        return open_view(name, reader), Lexicon.from_reader(reader)


def _log_unused_view(on_disk: gens.Generation) -> None:
    """Say why a generation whose view was read without error is searched in its segments:
    it has none, or one of a version this release does not read (a later one: the release
    was rolled back)."""
    try:
        version = view_version(on_disk.path)
    except FlatArraysError:  # changed since it was read: the next look at it will say
        version = None
    if version is None:
        logger.info(
            "%s has no serving view (built before views): searching its segments", on_disk.name
        )
        return
    logger.warning(
        "the serving view of %s is of version %s, which this release does not read: "
        "searching its segments until the next `index build` compiles one",
        on_disk.name,
        version,
    )


def _generation_vocabulary(
    path: Path, name: str, fallback: Callable[[], Vocabulary | None]
) -> Vocabulary | None:
    try:
        found = load_snapshot(path)
    except (SearchServiceError, OSError) as error:
        logger.warning("the vocabulary kept in %s cannot be read (%s)", name, error)
        found = None
    else:
        if found is None:
            logger.info("%s keeps no vocabulary (built before vocabulary snapshots)", name)
    return found if found is not None else fallback()
