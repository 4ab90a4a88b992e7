"""The search core: requests in, ranked pages with facets and snippets out. No HTTP.

`SearchEngine` follows the live generation: it checks the pointer at most every
`reload_interval` seconds when asked (and every `reload_interval` seconds anyway
when a `search.watch.GenerationWatcher` runs beside it, as in the service) and,
when a new generation is published, opens it (`generation`) and swaps it
in; requests already running keep the generation they started with. Whoosh
searchers are not thread-safe, so each thread gets its own searcher per
generation. Responses are cached per generation in a small LRU keyed by the
normalised request.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import logging
import operator
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import numpy as np
import numpy.typing as npt

from search_service.analysis import analyze_neutral
from search_service.errors import (
    ArticleNotFoundError,
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
    QueryError,
    SearchServiceError,
)
from search_service.index import generations as gens
from search_service.index.generations import read_pointer
from search_service.index.view import IndexView
from search_service.index.vocabulary_snapshot import serving_vocabulary
from search_service.search import packed as packing
from search_service.search.facets import (
    PackedListing,
    combine,
    facet_counts,
    filter_masks,
    pack_listing,
    resolve_selections,
    unpack_listing,
)
from search_service.search.generation import (
    Generation,
    GenerationGoneError,
    open_generation,
    still_live,
)
from search_service.search.query import ParsedQuery, QueryPart, check_query_length, parse_query
from search_service.search.ranking import SYNONYM_KIND, BoolArray, NameSynonym, Scored, Scorer
from search_service.search.results import (
    Notice,
    SearchHit,
    SearchRequest,
    SearchResult,
    Suggestion,
    split_stored,
)
from search_service.search.snippets import HighlightTerms, NameWords, make_snippet
from search_service.settings import Settings

if TYPE_CHECKING:
    from search_service.ingest.vocabulary import Kind, Vocabulary

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Results deeper than this are not served (a page beyond it is empty): nobody reads
#: them, and ordering them costs.
MAX_RESULT_DEPTH: Final = 10_000
#: Typo correction is tried when fewer documents than this contain every word.
TYPO_THRESHOLD: Final = 3
#: Seconds spent at most replaying recent searches on a newly opened generation.
_WARM_SECONDS: Final = 0.5
#: Countries and partners whose names are kept analysed (for synonyms and snippets).
_NAME_CACHE_LIMIT: Final = 4096
#: Seconds after a swap before the replaced generation's memory is handed back (requests
#: still running on it finish first).
_RELEASE_DELAY: Final = 2.0
#: Seconds between two hand-backs of freed heap by the watcher while requests come.
TRIM_EVERY: Final = 10.0
#: Seconds before a failed read of a generation is checked against its recorded files
#: again (the check reads every file: about a second per GB).
_RECHECK_SECONDS: Final = 30.0


def release_freed_memory() -> None:
    """Collect cycles, then return freed heap pages to the system (glibc's `malloc_trim`).

    A generation replaced by a publish is freed, but glibc keeps most of its small
    allocations (the dictionary, cached postings and stored fields) in its arenas:
    without this, each publish left the worker's heap at the high-water mark of two
    generations (docs/serving-speed.md, "Memory after a publish": a 5,000-article generation
    re-opened six times grew a process from 80 to 103 MiB; with it, to 89). No-op
    where glibc is absent.
    """
    gc.collect()
    trim_freed_heap()


def trim_freed_heap() -> None:
    """Hand the free pages inside glibc's heap back to the system (`malloc_trim(0)`).

    A search frees what it allocated, but glibc keeps the pages: at 100,000 articles
    a worker's heap stood at 476 MiB after 2,000 distinct searches and at 205 MiB
    once trimmed, and went back up within 200 searches (docs/serving-speed.md, "Issue 11,
    where it stands"). About 30 ms for such a heap. No-op where glibc is absent.
    """
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _libc() -> Any:
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


_LIBC: Final = _libc()


class SearchEngine:
    """Searches the live generation of `settings.index_dir`; safe to share between threads.

    Each generation is searched with the vocabulary it was built with (its
    snapshot). `vocabulary` is for generations that keep none (built before
    snapshots, or from ready-made articles); by default the corpus's
    (`settings.corpus_dir`, or the shipped default), read the first time one is met.
    """

    def __init__(self, settings: Settings, vocabulary: Vocabulary | None = None) -> None:
        self.settings = settings
        self._root = Path(settings.index_dir)
        self._current: Generation | None = None
        self._opening: str | None = None
        self._checked = 0.0
        self._swap = threading.Lock()
        self._name_cache: dict[tuple[str, str, str], tuple[NameWords, ...]] = {}
        #: The damage of the live pointer last warned about (None: the pointer reads fine).
        self._damage_warned: str | None = None
        self._fallback = vocabulary
        self._fallback_read = vocabulary is not None
        self._fallback_lock = threading.Lock()
        #: A live generation that could not be opened, and when: not retried before
        #: `reload_interval` has passed (every request would read it again).
        self._unopenable: tuple[float, DamagedGenerationError] | None = None
        #: Newly published generations found damaged, and when: tried again only after
        #: `_RECHECK_SECONDS` (a copy still arriving, docs/deploy.md; else it will not mend).
        self._damaged_names: dict[str, float] = {}
        self._warned: set[str] = set()
        #: When to hand back the memory of the generation a swap replaced (None: nothing to).
        self._release_after: float | None = None
        #: The watcher's last hand-back of freed heap, and whether a search came since.
        self._trimmed_at = time.monotonic()
        self._served_since_trim = False

    def _fallback_vocabulary(self) -> Vocabulary | None:
        """The vocabulary of generations that keep none: as given, else the corpus's."""
        with self._fallback_lock:
            if not self._fallback_read:
                self._fallback = _corpus_vocabulary(self.settings)
                self._fallback_read = True
            return self._fallback

    def _open(self) -> Generation:
        return open_generation(self._root, self._fallback_vocabulary)

    # ---- generations --------------------------------------------------------------

    def generation(self) -> Generation:
        """The live generation; a newly published one is opened in the background.

        The pointer is read at most every `reload_interval` seconds. Opening a
        generation (reading its arrays and dictionary) takes a moment, so it
        happens on a thread of its own while requests keep being answered by the
        current one; the swap is one assignment. Only the very first generation
        is opened in the caller's thread, since there is nothing to serve before.

        A damaged pointer while a generation is served counts as "no change": it
        keeps being served, with one warning. Before the first generation there is
        nothing to keep: `DamagedPointerError`, as from every other reader.

        A live generation whose files are damaged is refused
        (`DamagedGenerationError`, 503 `index_damaged`) rather than read: at each
        check of the pointer the sizes of its files are compared with what its
        build recorded (a truncated file is caught there, before a read of the
        mapped file past its new end would kill the process), and a failed read
        compares their checksums (`_on_live`). The next generation published (or
        rolled back to) is served as usual.
        """
        current = self._current
        if current is not None and time.monotonic() - self._checked < self.settings.reload_interval:
            return self._usable(current)
        return self._check(force=False)

    def refresh(self) -> Generation:
        """`generation()` reading the pointer now, however recently it was read.

        For the background watcher (`search.watch`), so a publish is noticed within
        one `reload_interval` even when no request comes. Once the generation
        replaced by a swap is released, it also hands the memory back
        (`release_freed_memory`), on the watcher's thread rather than a request's.
        """
        now = time.monotonic()
        release_after = self._release_after
        if release_after is not None and now >= release_after:
            self._release_after = None
            self._trimmed_at = now
            release_freed_memory()
        elif self._served_since_trim and now - self._trimmed_at >= TRIM_EVERY:
            self._trimmed_at = now
            self._served_since_trim = False
            trim_freed_heap()
        return self._check(force=True)

    def _check(self, force: bool) -> Generation:
        with self._swap:
            if self._current is None:
                self._current = self._open_first()
                self._checked = time.monotonic()
                return self._current
            now = time.monotonic()
            # Threads that waited for the lock find the pointer just read by another.
            if force or now - self._checked >= self.settings.reload_interval:
                self._checked = now
                pointer = self._read_pointer_while_serving(self._current)
                if pointer not in (None, self._current.name, self._opening) and not self._waits(
                    pointer, now
                ):
                    self._opening = pointer
                    threading.Thread(target=self._open_next, name="open-generation").start()
                elif pointer == self._current.name:
                    self._check_file_sizes(self._current)
            return self._usable(self._current)

    def _waits(self, name: str, now: float) -> bool:
        """Whether a new generation found damaged is still waiting before another try."""
        found = self._damaged_names.get(name)
        return found is not None and now - found < _RECHECK_SECONDS

    def _usable(self, generation: Generation) -> Generation:
        if generation.damage is not None:
            raise DamagedGenerationError(generation.name, generation.damage)
        return generation

    def _open_first(self) -> Generation:
        """Open the first generation; a damaged one is tried again only after a pause."""
        now = time.monotonic()
        failed = self._unopenable
        if failed is not None and now - failed[0] < self.settings.reload_interval:
            raise failed[1]
        try:
            opened = self._open()
        except DamagedGenerationError as damaged:
            # Kept without its traceback: that holds the file Whoosh failed to read open.
            self._unopenable = (now, DamagedGenerationError(damaged.generation, damaged.detail))
            self._warn_once(f"{damaged}; answering 503 `index_damaged` until then")
            raise
        self._unopenable = None
        return opened

    def _check_file_sizes(self, generation: Generation) -> None:
        """Refuse the live generation from now on if a file's size is not the recorded one."""
        if generation.damage is not None or generation.on_disk is None:
            return
        found = gens.damage(generation.on_disk)
        if found is not None and still_live(self._root, generation.name):
            generation.damage = found
            self._warn_refused(generation)

    def _warn_refused(self, generation: Generation) -> None:
        assert generation.damage is not None
        damaged = DamagedGenerationError(generation.name, generation.damage)
        self._warn_once(f"{damaged}; answering 503 `index_damaged` until then")

    def _confirm_damage(self, generation: Generation) -> str | None:
        """After a failed read: are the generation's files still what its build wrote?"""
        if generation.damage is not None or generation.on_disk is None:
            return generation.damage
        with generation.lock:
            now = time.monotonic()
            if generation.checked_at is None or now - generation.checked_at > _RECHECK_SECONDS:
                generation.checked_at = now
                found = gens.damage(generation.on_disk, thorough=True)
                if found is not None and still_live(self._root, generation.name):
                    generation.damage = found
                    self._warn_refused(generation)
        return generation.damage

    def _warn_once(self, message: str) -> None:
        """Log a damage once (the checks that find it run again and again)."""
        if message not in self._warned:
            self._warned.add(message)
            logger.error("%s", message)

    def _read_pointer_while_serving(self, current: Generation) -> str | None:
        """The live pointer's generation; a damaged or unreadable pointer reads as no change.

        The damage is warned about once (not at every check) until the pointer reads
        fine again.
        """
        try:
            pointer = read_pointer(self._root)
        except (DamagedPointerError, IndexAccessError) as damaged:
            if self._damage_warned != str(damaged):
                remedy = (
                    "`search-service index rollback` repairs it"
                    if isinstance(damaged, DamagedPointerError)
                    else "new generations are not seen until it can be read"
                )
                logger.warning("%s; still serving %s (%s)", damaged, current.name, remedy)
            self._damage_warned = str(damaged)
            return None
        self._damage_warned = None
        return pointer

    def _on_live(self, work: Callable[[Generation], _T]) -> _T:
        """Run `work` on the live generation, once more on a fresh one if it was pruned.

        A thread opens its searcher lazily; if the generation it got was replaced
        and its folder removed in between, that open fails, and the request is
        answered by the generation now live instead.
        """
        generation = self.generation()
        try:
            return work(generation)
        except GenerationGoneError:
            return work(self._replace(generation))
        except SearchServiceError:
            raise
        except Exception as error:
            found = self._confirm_damage(generation)
            if found is None:
                raise  # the files are as built: a bug, not damage
            raise DamagedGenerationError(generation.name, found) from error

    def _replace(self, gone: Generation) -> Generation:
        """The generation live now, for a request whose searcher could not be opened.

        If that is the same generation, still live but damaged (a file Whoosh opens
        for a searcher no longer reads), it is refused from now on, on every route:
        with a serving view, searches read no Whoosh file and would go on answering.
        """
        with self._swap:
            if self._current is gone or self._current is None:
                try:
                    self._current = self._open()
                except DamagedGenerationError as damaged:
                    if damaged.generation == gone.name and gone.damage is None:
                        gone.damage = damaged.detail
                        self._warn_refused(gone)
                    raise
                self._checked = time.monotonic()
            return self._current

    def _open_next(self) -> None:
        """Open the newly published generation, warm it, then swap it in.

        Whatever happens here, `_opening` is cleared at the end: left set, it
        would keep this process from ever trying that generation again.
        """
        generation = None
        try:
            generation = self._open_published()
            previous = self._current
            if generation is not None and previous is not None:
                self._warm(generation, previous)
        finally:
            with self._swap:
                if generation is not None:
                    self._current = generation
                    self._release_after = time.monotonic() + _RELEASE_DELAY
                self._opening = None

    def _open_published(self) -> Generation | None:
        try:
            return self._open()
        except DamagedGenerationError as damaged:
            self._damaged_names[damaged.generation] = time.monotonic()
            self._warn_once(f"{damaged}; still serving the generation opened before")
        except (IndexNotFoundError, DamagedPointerError, OSError) as error:
            logger.warning("could not open the new generation (%s); will retry", error)
        return None

    def _warm(self, generation: Generation, previous: Generation) -> None:
        """Replay the latest searches of the previous generation on the new one.

        A fresh generation starts with empty caches; replaying what visitors just
        asked (for at most `_WARM_SECONDS`, before the swap) means the first
        requests after a publish are not all cold. Failures only end the warm-up.
        """
        deadline = time.perf_counter() + _WARM_SECONDS
        for key in previous.recent_keys():
            if time.perf_counter() > deadline:
                break
            if not (isinstance(key, tuple) and len(key) == 3 and isinstance(key[2], SearchRequest)):
                continue
            words, trailing, stripped = key
            request = dataclasses.replace(stripped, q=words + (" " if trailing else ""))
            try:
                result = self._search(generation, request, time.perf_counter())
            except Exception:  # warming is an optimisation, never a failure
                logger.exception("warming the new generation failed")
                break
            self._remember(generation, key, result)

    def wait_for_generation(self, name: str, timeout: float = 10.0) -> bool:
        """Block until generation `name` is served (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.generation().name == name:
                return True
            time.sleep(min(0.01, self.settings.reload_interval))
        return False

    @property
    def served(self) -> str | None:
        """Name of the generation being served, without reading the pointer (None before one)."""
        current = self._current
        return current.name if current is not None else None

    def article_count(self) -> int:
        return self.generation().view.live_count

    # ---- search --------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of results with facets and snippets.

        Raises QueryError on bad paging and on a query beyond `MAX_QUERY_BYTES`.
        A page beyond the first `MAX_RESULT_DEPTH` results is empty, like a page
        past the last result: `total` still counts them all.
        """
        started = time.perf_counter()
        _check_paging(request)
        check_query_length(request.q)
        self._served_since_trim = True
        return self._on_live(lambda generation: self._cached_search(generation, request, started))

    def _cached_search(
        self, generation: Generation, request: SearchRequest, started: float
    ) -> SearchResult:
        if self.settings.cache_size <= 0:
            return self._search(generation, request, started)
        # Requests that differ only in spacing share one entry (case may not: "AIM"
        # the partner is not "aim" the word; a trailing space ends the prefix word).
        words = " ".join(request.q.split())
        key = (words, request.q[-1:].isspace(), dataclasses.replace(request, q=""))
        cached = generation.cached(key)
        if isinstance(cached, _KeptResult):
            return cached.answer(started, request.q)
        result = self._search(generation, request, started)
        self._remember(generation, key, result)
        return result

    def _remember(self, generation: Generation, key: Any, result: SearchResult) -> None:
        """Keep `result` in the response cache; one that cannot be packed is answered but
        not kept (a field of a type `marshal` refuses: a bug, logged, never the visitor's)."""
        try:
            kept = _KeptResult.of(result)
        except ValueError:
            logger.exception("a result could not be packed for the response cache")
            return
        generation.remember(key, kept, self.settings.cache_size)

    def _search(
        self, generation: Generation, request: SearchRequest, started: float
    ) -> SearchResult:
        view = generation.view
        parsed = parse_query(request.q, self.settings.max_query_words)
        selections = resolve_selections(view, request.selections(), generation.vocabulary)
        masks = filter_masks(view, selections, request.year_from, request.year_to)
        suggestion = None
        highlight = HighlightTerms()
        scored: Scored | None = None
        if parsed.has_no_words:  # "😀", "***": nothing to search for, not everything
            candidates = np.zeros(view.doc_count, dtype=np.bool_)
            score = np.zeros(view.doc_count, dtype=np.float32)
        elif parsed.is_empty:
            candidates = view.live.copy()
            if parsed.excluded:  # "-word" alone: browse everything without it
                candidates &= ~self._scorer(generation, started).excluded(parsed)
            score = np.zeros(view.doc_count, dtype=np.float32)
        else:
            scorer = self._scorer(generation, started)
            scored = scorer.score(
                parsed, self._synonyms(parsed, generation.vocabulary), TYPO_THRESHOLD
            )
            candidates, score = scored.candidates, scored.score
            highlight = scored.highlight
            suggestion = _suggestion(parsed, scored.corrected)
        matching = combine(masks, candidates)
        matching_docs = matching.nonzero()[0]
        facets = facet_counts(view, candidates, masks, selections, (matching, matching_docs))
        rank = _ranks_of(matching_docs, matching, scored) if scored is not None else None
        order = _order(view, matching_docs, rank, request)
        hits = tuple(
            self._hit(generation, int(doc), float(score[doc]), highlight, request.snippets)
            for doc in order
        )
        return SearchResult(
            query=request.q,
            total=int(matching_docs.size),
            page=request.page,
            per_page=request.per_page,
            took_ms=_elapsed_ms(started),
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            generation=generation.name,
            notice=self._notice(parsed, request),
        )

    def _notice(self, parsed: ParsedQuery, request: SearchRequest) -> Notice | None:
        """What the response should say about how the request was read, if anything.

        The requests a notice explains are accepted (the API's contract says what
        each parameter takes, one by one), not refused: an inverted year range, a
        page past the results served.
        """
        if parsed.has_no_words:
            return Notice(
                "no_searchable_words",
                "the query holds no word to search for (only symbols, punctuation or emoji), "
                "so nothing was searched",
            )
        if parsed.dropped:
            more = "1 more word was" if parsed.dropped == 1 else f"{parsed.dropped:,} more were"
            return Notice(
                "words_dropped",
                f"only the first {self.settings.max_query_words} words were searched; "
                f"{more} left out",
            )
        year_from, year_to = request.year_from, request.year_to
        if year_from is not None and year_to is not None and year_from > year_to:
            return Notice(
                "empty_year_range",
                f"year_from {year_from} is after year_to {year_to}: no article is in both",
            )
        if request.page * request.per_page > MAX_RESULT_DEPTH:
            return Notice(
                "beyond_depth",
                f"only the first {MAX_RESULT_DEPTH:,} results are served: this page is "
                "beyond them; refine the query",
            )
        return None

    def _scorer(self, generation: Generation, started: float) -> Scorer:
        # A compiled view needs no Whoosh searcher (opening one per thread costs).
        searcher = None if generation.view.compiled else generation.searcher()
        return Scorer(
            view=generation.view,
            reader=searcher.reader() if searcher is not None else None,
            searcher=searcher,
            lexicon=generation.lexicon,
            max_prefix_expansions=self.settings.max_prefix_expansions,
            deadline=started + self.settings.search_time_budget_ms / 1000.0,
        )

    def _synonyms(self, parsed: ParsedQuery, vocabulary: Vocabulary | None) -> list[NameSynonym]:
        """Countries and partners the query names, with all their names; then words of a
        group of `synonyms.yaml`, with the other forms of their group."""
        if vocabulary is None:
            return []
        searched = parsed.text[: parsed.parts[-1].end] if parsed.parts else ""
        names = [
            NameSynonym(
                found.kind,
                found.canonical,
                found.start,
                found.end,
                self._names_of(vocabulary, found.kind, found.canonical),
            )
            for found in vocabulary.match_query_names(searched)
        ]
        return names + _word_synonyms(parsed, vocabulary, names)

    def _names_of(
        self, vocabulary: Vocabulary, kind: Kind, canonical: str
    ) -> tuple[NameWords, ...]:
        """Every name of a country or partner as words to find in bodies (kept per vocabulary)."""
        key = (vocabulary.fingerprint, kind, canonical)
        found = self._name_cache.get(key)
        if found is None:
            entry = vocabulary.entry(kind, canonical)
            written = [
                canonical,
                *(getattr(entry, "aliases", ()) or ()),
                *(getattr(entry, "adjectives", ()) or ()),
            ]
            found = tuple(
                dict.fromkeys(
                    NameWords(tuple(words), capitals=name.isupper())
                    for name in written
                    if (words := analyze_neutral(name))
                )
            )
            if len(self._name_cache) >= _NAME_CACHE_LIMIT:
                self._name_cache.clear()
            self._name_cache[key] = found
        return found

    def _hit(
        self, generation: Generation, doc: int, score: float, terms: HighlightTerms, snippets: bool
    ) -> SearchHit:
        shown = generation.shown(doc)
        return SearchHit(
            id=shown.id,
            title=shown.title,
            url=shown.url,
            date=shown.date,
            year=shown.year,
            language=shown.language,
            countries=shown.countries,
            partners=shown.partners,
            snippet=(
                make_snippet(
                    shown.body,
                    terms,
                    shown.language,
                    folded_words=shown.folded_body,
                    plain=shown.plain_body,
                )
                if snippets
                else ""
            ),
            score=round(score, 4),
        )

    # ---- articles ---------------------------------------------------------------------

    def article(self, article_id: str) -> dict[str, Any]:
        """The stored fields of one article (raises ArticleNotFoundError)."""
        return self._on_live(lambda generation: self._article(generation, article_id))

    def has_article(self, article_id: str) -> bool:
        """Whether the live generation holds this article (its stored fields are not read)."""
        return self._on_live(lambda generation: _holds(generation, article_id))

    def _article(self, generation: Generation, article_id: str) -> dict[str, Any]:
        searcher = generation.searcher()
        doc = searcher.document_number(id=article_id)
        if doc is None or not generation.view.live[doc]:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        stored = dict(searcher.stored_fields(doc))
        stored["countries"] = list(split_stored(stored.pop("country", None)))
        stored["partners"] = list(split_stored(stored.pop("partner", None)))
        return stored

    # ---- suggest ------------------------------------------------------------------------

    def suggest(self, q: str, limit: int = 8) -> list[Suggestion]:
        """Completions of what the visitor is typing: matching titles, then frequent words.

        Raises QueryError on a query beyond `MAX_QUERY_BYTES`.
        """
        check_query_length(q)
        self._served_since_trim = True
        return self._on_live(lambda generation: self._suggest(generation, q, limit))

    def _suggest(self, generation: Generation, q: str, limit: int) -> list[Suggestion]:
        from search_service.search.suggest import suggest

        key = ("suggest", q, limit)
        cached = generation.cached(key)
        if cached is not None:
            return list(cached)
        found = suggest(generation, q, limit, self.settings.max_query_words)
        generation.remember(key, tuple(found), self.settings.cache_size)
        return found


def _word_synonyms(
    parsed: ParsedQuery, vocabulary: Vocabulary, names: list[NameSynonym]
) -> list[NameSynonym]:
    """Query words that are a form of a group of synonyms, outside the names found.

    A quoted phrase or an excluded word takes no synonym: it is searched as written.
    """
    synonyms = vocabulary.synonyms
    if not synonyms:
        return []
    parts = parsed.parts

    def takes_synonyms(part: QueryPart) -> bool:
        inside_name = any(part.start < n.end and n.start < part.end for n in names)
        return not (part.excluded or part.quoted or part.is_phrase or inside_name)

    words = [part.terms[0] if takes_synonyms(part) else None for part in parts]
    out = []
    for match in synonyms.find(words):
        first, last = parts[match.first], parts[match.first + match.count - 1]
        group = synonyms.groups[match.group]
        out.append(
            NameSynonym(
                kind=SYNONYM_KIND,
                canonical=" ".join(group[0]),
                start=first.start,
                end=last.end,
                alternatives=synonyms.others(match),
            )
        )
    return out


def _corpus_vocabulary(settings: Settings) -> Vocabulary | None:
    """The corpus's vocabulary (or the shipped default); None, with a warning, if unreadable."""
    from search_service.ingest.corpus_root import vocabulary_of

    try:
        source = vocabulary_of(settings.corpus_dir)
        vocabulary = serving_vocabulary(source.directory)
    except (SearchServiceError, OSError) as error:
        logger.warning("no vocabulary: synonyms disabled (%s)", error)
        return None
    logger.info("vocabulary of generations that keep none: %s", source.describe())
    return vocabulary


def _holds(generation: Generation, article_id: str) -> bool:
    doc = generation.searcher().document_number(id=article_id)
    return doc is not None and bool(generation.view.live[doc])


def _check_paging(request: SearchRequest) -> None:
    if request.page < 1:
        raise QueryError("page must be 1 or more", code="invalid_page")
    if not 1 <= request.per_page <= 100:
        raise QueryError("per_page must be between 1 and 100", code="invalid_per_page")


def _ranks_of(
    docs: npt.NDArray[np.intp], matching: BoolArray, scored: Scored
) -> npt.NDArray[np.float64]:
    """The ranks of the matching `docs` (ascending), all among the documents `scored` ranked."""
    if docs.size == scored.docs.size:  # no filter or excluded word left any out
        return scored.rank  # the scorer's own array: read it, never write to it
    return scored.rank[matching[scored.docs]]


def _order(
    view: IndexView,
    docs: npt.NDArray[np.intp],
    rank: npt.NDArray[np.float64] | None,
    request: SearchRequest,
) -> list[int]:
    """Document numbers of the requested page, in order, from the matching `docs` (sorted).

    `rank`: the ranks of `docs`, position by position, when the query had words to
    rank them by (None: a browse, newest first unless asked otherwise).

    Only the first `page × per_page` documents are ever sorted: a partition
    selects them first (with their ties, so pages never overlap or skip).
    """
    end = request.page * request.per_page
    if end > MAX_RESULT_DEPTH:
        return []
    start = end - request.per_page
    if start >= docs.size:
        return []
    relevance = rank if request.sort == "relevance" else None
    if relevance is not None:
        primary = -relevance
    elif request.sort == "oldest":
        dates = view.date_sort[docs].astype(np.int64)
        primary = np.where(dates == 0, np.iinfo(np.int32).max, dates).astype(np.float64)
    else:
        primary = -view.date_sort[docs].astype(np.float64)
    if docs.size > end * 2:
        partitioned = primary.copy()
        partitioned.partition(end - 1)
        threshold = partitioned[end - 1]
        keep = primary <= threshold
        docs, primary = docs[keep], primary[keep]
    keys: tuple[Any, ...] = (docs, primary)
    if relevance is not None:
        keys = (docs, -view.date_sort[docs], primary)
    order = np.lexsort(keys)
    page: list[int] = docs[order][start:end].tolist()
    return page


def _suggestion(parsed: ParsedQuery, corrected: dict[str, str]) -> str | None:
    """The query as the visitor typed it with only the corrected words replaced."""
    if not corrected:
        return None
    suggestion = parsed.retyped(corrected)
    return suggestion if suggestion != parsed.retyped({}) else None


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


#: A hit's fields in order, as a tuple (`SearchHit(*fields)` makes it again).
_hit_fields: Final = operator.attrgetter(*(f.name for f in dataclasses.fields(SearchHit)))

#: What `_KeptResult` packs: each hit's fields, and each facet's listing by name.
_Packed = tuple[tuple[tuple[Any, ...], ...], tuple[tuple[str, PackedListing], ...]]


@dataclass(frozen=True, slots=True)
class _KeptResult:
    """A result as the response cache keeps it: its hits and facet listings packed into
    one bytes object (`packed`), made into new objects for each answer.

    As objects, a cached response at 100,000 articles was 16 KB in some two hundred
    allocations, and a full cache put a worker over its 50 MiB (docs/serving-speed.md, "Cached
    responses packed into one bytes object").
    """

    result: SearchResult  # without hits and facets
    packed: bytes

    @classmethod
    def of(cls, result: SearchResult) -> _KeptResult:
        hits = tuple(_hit_fields(hit) for hit in result.hits)
        facets = tuple((name, pack_listing(listing)) for name, listing in result.facets.items())
        return cls(dataclasses.replace(result, hits=(), facets={}), packing.pack((hits, facets)))

    def answer(self, started: float, query: str) -> SearchResult:
        """The result again, for `query` (as typed) and timed from `started`."""
        hits, facets = self.unpacked()
        return dataclasses.replace(
            self.result,
            query=query,
            took_ms=_elapsed_ms(started),
            hits=tuple(SearchHit(*fields) for fields in hits),
            facets={name: unpack_listing(listing) for name, listing in facets},
        )

    def unpacked(self) -> _Packed:
        """The hits' fields and the facets' listings, as `of` kept them."""
        return cast(_Packed, packing.unpack(self.packed))


__all__: Sequence[str] = ("SearchEngine",)
