"""Countries and partners: canonical names, their aliases, and finding them in text.

The vocabulary is data, not code: `countries.yaml` and `partners.yaml` in a
corpus's `vocabulary/` folder (the shipped ones in `corpus/vocabulary/`; format in
their header comments and in docs/ingest.md). Countries start from `pycountry`
(English names plus its French and Spanish gettext translations) and the YAML adds
aliases, acronyms and adjectives; partners come from the YAML only.

Detection works on words, not characters: the text is cut into word tokens once,
each token is folded (case, accents, apostrophes: `text.fold`) through a memo, and
at each token a dictionary keyed by the first word of every name yields the few
names that could start there; the longest one that matches wins. That keeps the
cost proportional to the number of words (tens of thousands of articles per
second) whatever the size of the vocabulary. Acronyms and names that are also
ordinary words ("AIM", "PASS", "Essential") are keyed by their written form, so
they match only as written (or fully capitalised). One typo is tolerated in
capitalised spans of 6+ letters through a deletion-neighbourhood index.
"""

from __future__ import annotations

import gettext
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Final, Literal

import pycountry
import yaml

from search_service.analysis import QUERY_WORDS_KEPT
from search_service.errors import VocabularyError
from search_service.ingest.synonyms import SYNONYMS_FILE, Synonyms
from search_service.ingest.word_lists import is_a_word, load_word_lists, word_zipf
from search_service.text import (
    APOSTROPHES,
    NAME_CONNECTORS,
    WORD_PATTERN,
    WORD_RE,
    capitalised_as_name,
    fold,
)

Kind = Literal["country", "partner"]
KINDS: tuple[Kind, ...] = ("country", "partner")

COUNTRIES_FILE = "countries.yaml"
PARTNERS_FILE = "partners.yaml"
#: Organisations the build discovered in the corpus (`ingest.organisations`), in the
#: shape of partners.yaml; written into each generation's vocabulary, never edited.
DISCOVERED_FILE = "discovered.yaml"
# Bump when the matching rules change, so that checksums (and incremental builds) follow.
MATCHER_VERSION = "6"

_TOKEN = WORD_RE
_TOKEN_SPLIT = re.compile(f"({WORD_PATTERN})")
# What may separate two words of one name: spaces (one line break), hyphens, apostrophes,
# "&" ("Global Health & Education"), a slash (one organisation's two acronyms: "CTF/FCE").
_JOINABLE_GAP = re.compile(
    r"[ \t\u00a0]*\n?[ \t\u00a0]*|/"
    rf"|[ \t]*[-\u2010\u2011\u2012\u2013&'{re.escape(APOSTROPHES)}][ \t]*"
)
_ABBREVIATION_GAP = re.compile(r"\.[ \t]?")
_SENTENCE_GAP = re.compile(r"[.!?…\n]\W*$")
# Short words that may join the capitalised words of a span (typos, unknown organisations):
# "Cote d Ivoir", "Federation of Teachers"; all of them are `text.NAME_CONNECTORS` too.
_CONNECTORS = frozenset(
    "d de del des du la le l los las of the and et y da do dos di van von for pour para".split()  # noqa: SIM905
)
_TYPO_MIN_LETTERS = 6
_TYPO_MEMO_LIMIT = 200_000
_FOLD_MEMO_LIMIT = 500_000
# Building from pycountry takes ~0.4 s; identical files give the same (read-only) vocabulary.
_LOADED: dict[tuple[tuple[str, bytes], ...], Vocabulary] = {}
#: The files of a vocabulary folder (every other file in it is not vocabulary).
VOCABULARY_FILES = "*.yaml"


@dataclass(frozen=True)
class NameEntry:
    """One country or partner with every way of writing it."""

    kind: Kind
    canonical: str
    aliases: tuple[str, ...]
    adjectives: tuple[str, ...]


@dataclass(frozen=True)
class NameMatch:
    """A mention of an entry in a text: `text[start:end]` is what was written."""

    kind: Kind
    canonical: str
    start: int
    end: int


@dataclass(frozen=True)
class _Target:
    """What a pattern stands for: an entry, an ambiguous group, a context word, or nothing."""

    role: Literal["entry", "ambiguous", "context", "ignore"]
    entry: int = -1  # index in entries (for "entry" and "context")
    group: int = -1  # index in groups (for "ambiguous" and "context")


@dataclass(frozen=True)
class _Pattern:
    words: tuple[str, ...]  # folded words, or written words when case-sensitive
    case_sensitive: bool
    target: _Target
    # An ordinary word used as a name ("Essential"): its capital proves nothing at the
    # start of a sentence, so it is not matched there.
    mid_sentence_only: bool = False
    # Names (not adjectives, acronyms or context words) tolerate one typo.
    typo_ok: bool = False
    # A partner's name made of ordinary words ("Christian Mutual Society", "World
    # Solidarity"): matched only when written as a name, i.e. each significant word
    # capitalised, all in capitals, or with the capitals of a form the vocabulary lists
    # (the initial-capital flags of each word). None: any case ("Solidaris Mutual Society").
    shapes: frozenset[tuple[bool, ...]] | None = None


@dataclass(frozen=True)
class _AmbiguousGroup:
    """A name shared by several entries ("Congo"), resolved from the rest of the text."""

    name: str
    kind: Kind
    options: tuple[int, ...]  # entry indexes
    default: int


def _remember_fold(memo: dict[str, str], raw: str) -> str:
    folded = memo[raw] = fold(raw)
    return folded


def _whole_name(kind: Kind, name: str, matches: list[NameMatch]) -> str | None:
    """The canonical name of the `kind` match that spans `name` whole (None: none does)."""
    for match in matches:
        if (
            match.kind == kind
            and match.start == _leading_space(name)
            and (match.end == len(name.rstrip()))
        ):
            return match.canonical
    return None


def _bounded_tokens(text: str, memo: dict[str, str], limit: int) -> _Tokens:
    """`text`'s tokens, its words folded through `memo`, emptied first once past `limit`."""
    if len(memo) > limit:
        memo.clear()
    return _Tokens(text, memo)


class _Tokens:
    """The words of a text, as written and folded, with the gaps between them.

    Built with one `re.split` (C speed); character offsets are only computed for the
    few words that end up in a match.
    """

    __slots__ = ("_offsets", "_parts", "folds", "gaps", "raws", "text")

    def __init__(self, text: str, memo: dict[str, str]) -> None:
        self.text = text
        parts = _TOKEN_SPLIT.split(text)  # [lead, w0, gap0, w1, gap1, ..., w(n-1), tail]
        self._parts = parts
        self.raws: list[str] = parts[1::2]
        self.gaps: list[str] = parts[2::2]  # gaps[k] lies between word k and word k+1
        # One lookup, not `in` then `[]`: a vocabulary is shared by the generations of the
        # same files, and a search on the next one's thread may empty the memo in between.
        self.folds: list[str] = [
            folded if (folded := memo.get(raw)) is not None else _remember_fold(memo, raw)
            for raw in self.raws
        ]
        self._offsets: list[int] | None = None

    def __len__(self) -> int:
        return len(self.raws)

    def start(self, k: int) -> int:
        return self._offset(2 * k + 1)

    def end(self, k: int) -> int:
        return self._offset(2 * k + 2)

    def _offset(self, part: int) -> int:
        if self._offsets is None:
            self._offsets = [0, *accumulate(map(len, self._parts))]
        return self._offsets[part]

    def sentence_start(self, k: int) -> bool:
        """Does word k open the text, a line or a sentence (capitalised for grammar's sake)?"""
        before = self.gaps[k - 1] if k > 0 else self._parts[0]
        if k == 0 and not before.strip(" \t\"'“«(¿¡-–—•*"):
            return True
        return bool(_SENTENCE_GAP.search(before))

    def joinable(self, k: int) -> bool:
        """May word k and word k+1 belong to one name (space, hyphen, apostrophe between)?"""
        gap = self.gaps[k]
        if gap == " " or _JOINABLE_GAP.fullmatch(gap):
            return True
        return len(self.raws[k]) <= 3 and bool(_ABBREVIATION_GAP.fullmatch(gap))


@dataclass
class _GroupDraft:
    """An `ambiguous:` entry of countries.yaml as read."""

    name: str
    kind: Kind
    options: list[int]
    default: int
    names: list[str]
    adjectives: list[str]
    contexts: dict[int, list[str]]


@dataclass
class _EntryDraft:
    kind: Kind
    canonical: str
    names: list[str] = field(default_factory=list)  # case-insensitive
    exact: list[str] = field(default_factory=list)  # case-sensitive (acronyms, common words)
    common_words: list[str] = field(default_factory=list)  # partner names that are words
    adjectives: list[str] = field(default_factory=list)
    exact_adjectives: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)  # from pycountry; dropped on collision
    lookup_only: list[str] = field(default_factory=list)  # ISO codes and raw ISO names
    shown_only: bool = False  # the canonical name is shown, not matched (discovered entries)


#: Names `words_of` remembers: building a vocabulary asks for each name's words five times
#: on average (the shipped one: 13,771 calls, 2,737 names), and a build builds two, its
#: corpus's and its snapshot's, which share nearly every name. Emptied when a build ends
#: (`index.build.build_index`).
NAME_WORDS_KEPT: Final = 16_384


@lru_cache(maxsize=NAME_WORDS_KEPT)
def words_of(name: str) -> tuple[str, ...]:
    """The folded words of a name, as the matcher compares them."""
    return tuple(fold(m.group()) for m in _TOKEN.finditer(name))


def _written_words(name: str) -> tuple[str, ...]:
    return tuple(m.group() for m in _TOKEN.finditer(name))


#: A French or Italian elision ("d'", "l'", "qu'"), whose apostrophe visitors often leave out.
_ELISION = re.compile(rf"\b([dDlLjJ]|[qQ]u)['{re.escape(APOSTROPHES)}]\s*(?=\w)")


def _glue_elisions(name: str) -> str:
    """The name as typed without the apostrophes of its elisions: "Cote dIvoire"."""
    return _ELISION.sub(r"\1", name)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.strip()
        if key and key not in seen:
            seen.add(key)
            out.append(key)
    return out


class Vocabulary:
    """Every known country and partner, and the matcher built from them."""

    def __init__(
        self,
        entries: Sequence[NameEntry],
        patterns: Sequence[_Pattern],
        groups: Sequence[_AmbiguousGroup],
        typo_exceptions: Iterable[str],
        not_organisations: Iterable[str],
        fingerprint: str,
        lookup_only: Mapping[int, Sequence[str]] | None = None,
        ignore: Iterable[str] = (),
    ) -> None:
        self.entries: tuple[NameEntry, ...] = tuple(entries)
        self.fingerprint = fingerprint
        #: The folder's files as read (name -> bytes), set by `load`.
        self.files: dict[str, bytes] = {}
        #: Words that mean the same (`synonyms.yaml`), for the search; set by `load`.
        self.synonyms = Synonyms()
        self._groups = tuple(groups)
        self._by_key = {(e.kind, e.canonical): e for e in self.entries}
        self._names: dict[tuple[Kind, str], str] = {}
        for index, e in enumerate(self.entries):
            extra = (lookup_only or {}).get(index, ())
            for name in (e.canonical, *e.aliases, *e.adjectives, *extra):
                self._names.setdefault((e.kind, fold(name)), e.canonical)
        # Folded names are found through their first two words: {first: {second: patterns}},
        # with "" as the second word of one-word names, longest patterns first.
        self._folded_first: dict[str, dict[str, list[_Pattern]]] = {}
        self._written_first: dict[str, list[_Pattern]] = {}
        for pattern in patterns:
            if pattern.case_sensitive:
                first = pattern.words[0]
                for key in dict.fromkeys((first, first.upper())):
                    self._written_first.setdefault(key, []).append(pattern)
            else:
                second = pattern.words[1] if len(pattern.words) > 1 else ""
                by_second = self._folded_first.setdefault(pattern.words[0], {})
                by_second.setdefault(second, []).append(pattern)
        self._acronyms_that_are_words = _in_capitals_and_words(self._written_first)
        buckets = [*self._written_first.values()]
        buckets += [b for by_second in self._folded_first.values() for b in by_second.values()]
        for bucket in buckets:
            bucket.sort(key=lambda p: len(p.words), reverse=True)
        self._typo_patterns = [p for p in patterns if p.typo_ok]
        self._typo_exceptions = {fold(w) for w in typo_exceptions}
        self._not_organisations = frozenset(fold(name) for name in not_organisations)
        self._ignored_phrases = tuple(ignore)
        self._ignored = frozenset(fold(name) for name in ignore)
        self._fold_memo: dict[str, str] = {}
        self._query_fold_memo: dict[str, str] = {}
        # The partners file as read, for `with_partners` (set by `load`).
        self._partners_doc: Mapping[str, Any] = {}

    # ---- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path) -> Vocabulary:
        """Read the vocabulary folder `directory`: every `*.yaml` file in it.

        `countries.yaml` and `partners.yaml` make the matcher, and `discovered.yaml` (the
        organisations a build discovered in the corpus, kept in its generation: see
        `ingest.organisations`) adds to it below the curated partners, which win: a
        discovered name that the curated files list, ignore or call no organisation is
        left out. `synonyms.yaml` holds the words the search takes as meaning the same
        (`synonyms`). A missing file counts as empty (countries then come from pycountry
        alone, and no partner is known); a file that exists but cannot be read or has
        the wrong shape raises `VocabularyError` naming the file and the place. Every
        other `*.yaml` file is kept as read (`files`): the build copies them all into
        the generation it makes, so a kind of vocabulary file added later travels with
        the index.
        """
        directory = Path(directory)
        files = read_folder(directory)
        cache_key = tuple(sorted(files.items()))
        cached = _LOADED.get(cache_key)
        if cached is not None:
            return cached
        countries_doc = _parse_yaml(directory / COUNTRIES_FILE, files.get(COUNTRIES_FILE))
        partners_doc = _parse_yaml(directory / PARTNERS_FILE, files.get(PARTNERS_FILE))
        discovered_bytes = files.get(DISCOVERED_FILE)
        discovered_doc = _parse_yaml(directory / DISCOVERED_FILE, discovered_bytes)
        digest = hashlib.sha256()
        for part in (
            MATCHER_VERSION.encode(),
            str(getattr(pycountry, "__version__", "")).encode(),
            files.get(COUNTRIES_FILE, b""),
            b"\0",
            files.get(PARTNERS_FILE, b""),
        ):
            digest.update(part)
        if discovered_bytes:
            digest.update(b"\0" + discovered_bytes)
        builder = _Builder()
        builder.add_countries(countries_doc, directory / COUNTRIES_FILE)
        builder.add_partners(partners_doc, directory / PARTNERS_FILE)
        builder.add_discovered(discovered_doc, directory / DISCOVERED_FILE)
        vocabulary = builder.build(fingerprint=digest.hexdigest()[:16])
        vocabulary.files = dict(files)
        vocabulary._partners_doc = partners_doc
        vocabulary.synonyms = Synonyms.parse(directory / SYNONYMS_FILE, files.get(SYNONYMS_FILE))
        if len(_LOADED) >= 8:
            _LOADED.clear()
        _LOADED[cache_key] = vocabulary
        return vocabulary

    @property
    def digest(self) -> str:
        """sha256 of every file of the folder (names and bytes): the snapshot's identity.

        Wider than `fingerprint` (what the countries and partners found in an
        article depend on): a file that only the search reads changes the digest,
        not the articles' checksums.
        """
        return files_digest(self.files)

    def with_partners(self, discovered: Mapping[str, Any], *, curated: bool = True) -> Vocabulary:
        """A matcher of partners only: `discovered` (partners.yaml's shape) and, with
        `curated`, this vocabulary's partners too; its `ignore` list always.

        Used to find discovered organisations in articles whose countries are already
        known: it holds no country, so it is quick to build and a discovered name never
        takes words from a country.
        """
        builder = _Builder()
        if curated:
            builder.add_partners(self._partners_doc, Path(PARTNERS_FILE))
        else:
            builder.ignore += _string_list(self._partners_doc.get("ignore"), "ignore")
        builder.add_discovered(discovered, Path(DISCOVERED_FILE))
        return builder.build(fingerprint=self.fingerprint)

    # ---- lookups -------------------------------------------------------------------------

    def entry(self, kind: Kind, canonical: str) -> NameEntry:
        """The entry with this canonical name; `KeyError` when there is none."""
        return self._by_key[(kind, canonical)]

    def canonical(self, kind: Kind, name: str) -> str | None:
        """The canonical name that `name` (an alias, acronym, adjective or typo) stands for.

        Meant for names given on their own (metadata, facet values): any case is
        accepted, since nothing around the name could make it an ordinary word.
        """
        return self.known_name(kind, name) or _whole_name(
            kind, name, self.match_names(name, typos=True)
        )

    def query_canonical(self, kind: Kind, name: str) -> str | None:
        """`canonical` of a name a visitor gave (a filter's value), typos apart.

        Its words are folded through the queries' bounded memo (`match_query_names`),
        and no typo is looked for: the typo index is built on first use (116 ms and 6.5
        MiB on the bench's vocabulary, per generation and worker) and memoises up to
        200,000 spans, which random filter values filled by 3.9 MiB every 2,000 searches.
        A filter's values come from the facets listed, written as the index has them.
        """
        return self.known_name(kind, name) or _whole_name(kind, name, self.match_query_names(name))

    def known_name(self, kind: Kind, name: str) -> str | None:
        """The canonical name of an entry that lists `name` itself (folded; no typo, no match)."""
        return self._names.get((kind, fold(name.strip())))

    def is_ignored(self, name: str) -> bool:
        """Is `name` in an `ignore` list (the network's own names, phrases that are no place)?"""
        return fold(name.strip()) in self._ignored

    def names_ignored(self, text: str) -> bool:
        """Does `text` hold a phrase of an `ignore` list ("Committee of the Education and
        Solidarity Network" names the network)?"""
        found = self._exact_matches(self._tokenize(text), prose=False)
        return any(target.role == "ignore" for _first, _size, target in found)

    def ignored_first_words(self) -> frozenset[str]:
        """The first word of each phrase of the `ignore` lists, folded."""
        return frozenset(words[0] for words in map(words_of, self._ignored_phrases) if words)

    def is_not_organisation(self, name: str) -> bool:
        """Is `name` in the `not_organisations` list of partners.yaml?"""
        return fold(name.strip()) in self._not_organisations

    # ---- detection -----------------------------------------------------------------------

    def find_countries(self, text: str) -> list[str]:
        """Canonical country names mentioned in `text`, once each, in order of first mention."""
        return self._find(text, "country")

    def find_partners(self, text: str) -> list[str]:
        """Canonical partner names mentioned in `text`, once each, in order of first mention."""
        return self._find(text, "partner")

    def find_names(self, text: str) -> tuple[list[str], list[str]]:
        """(countries, partners) of an article's text in one pass: what the ingest uses."""
        found: dict[Kind, dict[str, None]] = {"country": {}, "partner": {}}
        for match in self.match_names(text, typos=True, prose=True):
            found[match.kind].setdefault(match.canonical, None)
        return list(found["country"]), list(found["partner"])

    def _find(self, text: str, kind: Kind) -> list[str]:
        countries, partners = self.find_names(text)
        return countries if kind == "country" else partners

    def match_names(
        self, text: str, *, typos: bool = False, prose: bool = False
    ) -> list[NameMatch]:
        """Every mention of a country or partner in `text`, left to right, not overlapping.

        `prose`: the text is an article's, written with capitals, so a partner's name
        made of ordinary words ("Christian Mutual Society") counts only when written as
        a name. Off for a query or a name given alone, typed in any case.
        """
        tokens = self._tokenize(text)
        found = self._exact_matches(tokens, prose)  # (first word, word count, target)
        if typos:
            taken = [False] * len(tokens)
            for first, size, _target in found:
                for k in range(first, first + size):
                    taken[k] = True
            typo_found = list(self._typo_matches(tokens, taken))
            if typo_found:
                found = sorted([*found, *typo_found], key=lambda item: item[0])
        return self._resolve(tokens, found)

    def match_query_names(self, query: str) -> list[NameMatch]:
        """`match_names` of a visitor's query: the same matches, its words folded through
        a memo of their own, bounded like the analyzers' query words
        (`analysis.QUERY_WORDS_KEPT`). Visitors type anything; the ingest's memo keeps
        up to 500,000 words, and queries of random words filled it by 2.8 MiB every
        10,000 searches."""
        tokens = _bounded_tokens(query, self._query_fold_memo, QUERY_WORDS_KEPT)
        return self._resolve(tokens, self._exact_matches(tokens, prose=False))

    # ---- internals -----------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without what is built or memoised on use (`vocabulary_snapshot`)."""
        state = self.__dict__.copy()
        state.pop("_typo_index", None)
        state["_fold_memo"] = {}
        state["_query_fold_memo"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A vocabulary pickled before queries had a memo of their own gets one."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_query_fold_memo", {})

    def prepare_matching(self) -> None:
        """Build now what finding names with typos builds on first use, and load the word
        lists that telling names from words reads: before the ingest forks its workers,
        which then share them instead of each loading its own. (Building a vocabulary
        loads the lists; one unpickled, `vocabulary_snapshot.CompiledVocabularies`, has
        not.)"""
        self.find_names("Ready")
        load_word_lists()

    @cached_property
    def _typo_index(self) -> _TypoIndex:
        """Built on first use: only the ingest looks for names with typos, and building it
        is most of what loading a vocabulary costs (the service loads one per generation)."""
        return _TypoIndex(self._typo_patterns, exceptions=self._typo_exceptions)

    def _tokenize(self, text: str) -> _Tokens:
        return _bounded_tokens(text, self._fold_memo, _FOLD_MEMO_LIMIT)

    def _exact_matches(self, tokens: _Tokens, prose: bool) -> list[tuple[int, int, _Target]]:
        found: list[tuple[int, int, _Target]] = []
        folded_first, written_first = self._folded_first, self._written_first
        folds, raws = tokens.folds, tokens.raws
        count = len(raws)
        i = 0
        while i < count:
            if folds[i] not in folded_first and raws[i] not in written_first:
                i += 1
                continue
            pattern = self._longest_at(tokens, i, prose)
            if pattern is None:
                i += 1
                continue
            found.append((i, len(pattern.words), pattern.target))
            i += len(pattern.words)
        return found

    def _longest_at(self, tokens: _Tokens, i: int, prose: bool) -> _Pattern | None:
        best: _Pattern | None = None
        by_second = self._folded_first.get(tokens.folds[i])
        if by_second is not None:
            if i + 1 < len(tokens.folds):
                for pattern in by_second.get(tokens.folds[i + 1], ()):
                    if _fits(tokens, i, pattern, prose):
                        best = pattern
                        break
            if best is None and "" in by_second:
                best = by_second[""][0]
        for pattern in self._written_first.get(tokens.raws[i], ()):
            if best is not None and len(pattern.words) <= len(best.words):
                break
            if pattern.mid_sentence_only and tokens.sentence_start(i):
                continue
            if _fits(tokens, i, pattern, prose) and not self._shouted(
                tokens, i, len(pattern.words)
            ):
                best = pattern
                break
        return best

    def _shouted(self, tokens: _Tokens, i: int, size: int) -> bool:
        """Is this acronym an ordinary word inside a run of capitals ("CONTACT US", "WHO WE ARE")?

        Only a word written in capitals can be shouted, and only acronyms that are also
        words (US, WHO, AIM, PASS, BIT): "ILO" in "NEWS FROM THE ILO" stays the ILO, and
        "Essential" in "the NGO Essential" is written as a name. A neighbour that is
        itself a known name ("AIM, PASS", "MASMUT-UEMOA") or an acronym of
        `not_organisations` ("the NGO PASS") does not count as shouting (`_shouting_word`).
        The word at `i` is one `_written_first` holds (its patterns were found by it), so
        `_acronyms_that_are_words` knows it.
        """
        raws = tokens.raws
        if size != 1 or raws[i] not in self._acronyms_that_are_words:
            return False
        return any(self._shouting_word(raws[k]) for k in (i - 1, i + 1) if 0 <= k < len(raws))

    def _shouting_word(self, word: str) -> bool:
        """A word in capitals that is neither a known name nor a known acronym."""
        if not _in_capitals(word):
            return False
        return not self._known_word(word) and fold(word) not in self._not_organisations

    def _known_word(self, word: str) -> bool:
        """Is this one word, as written, a known name (acronym, exact name, one-word name)?"""
        return word in self._written_first or "" in self._folded_first.get(fold(word), {})

    def _typo_matches(
        self, tokens: _Tokens, taken: list[bool]
    ) -> Iterator[tuple[int, int, _Target]]:
        """Spans of capitalised words, not matched exactly, one edit away from a name.

        A span starts and ends with a capitalised word and may hold short connectors
        ("Cote d Ivoir"); the longest span that is one edit from a name wins.
        """
        longest = self._typo_index.max_words
        lookup = self._typo_index.lookup
        raws, folds = tokens.raws, tokens.folds
        count = len(raws)
        resume = 0
        for i in [k for k, raw in enumerate(raws) if raw[0].isupper()]:
            if i < resume or taken[i]:
                continue
            ends = [i]
            j = i + 1
            while j < count and j - i < longest and not taken[j] and tokens.joinable(j - 1):
                upper = raws[j][:1].isupper()
                if not (upper or folds[j] in _CONNECTORS):
                    break
                if upper:
                    ends.append(j)
                j += 1
            hit = None
            for last in reversed(ends):
                target = lookup(" ".join(folds[i : last + 1]))  # memoised: cheap when None
                if target is not None and last == i and not _single_word_typo_candidate(tokens, i):
                    target = None
                if target is not None:
                    hit = (i, last + 1 - i, target)
                    break
            if hit is not None:
                yield hit
                resume = i + hit[1]

    def _resolve(self, tokens: _Tokens, found: list[tuple[int, int, _Target]]) -> list[NameMatch]:
        explicit = {t.entry for _, _, t in found if t.role == "entry"}
        context = {t.entry for _, _, t in found if t.role == "context"}
        matches: list[NameMatch] = []
        for first, size, target in found:
            if target.role == "ignore" or target.role == "context":
                continue
            if target.role == "ambiguous":
                index = self._choose(self._groups[target.group], explicit, context)
            else:
                index = target.entry
            entry = self.entries[index]
            start, end = tokens.start(first), tokens.end(first + size - 1)
            matches.append(NameMatch(entry.kind, entry.canonical, start, end))
        return matches

    @staticmethod
    def _choose(group: _AmbiguousGroup, explicit: set[int], context: set[int]) -> int:
        """Named elsewhere in the text wins, then a context word, then the group's default."""
        for evidence in (explicit, context):
            hits = [option for option in group.options if option in evidence]
            if len(hits) == 1:
                return hits[0]
        return group.default


def _in_capitals(word: str) -> bool:
    """Two or more letters, all capitals: an acronym, or a word of a shouted line."""
    return len(word) > 1 and word.isupper() and word.isalpha()


def _leading_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _fits(tokens: _Tokens, i: int, pattern: _Pattern, prose: bool) -> bool:
    words = pattern.words
    size = len(words)
    if size == 1:
        return not pattern.case_sensitive or tokens.raws[i] in (words[0], words[0].upper())
    if i + size > len(tokens.raws):
        return False
    if pattern.case_sensitive:
        raws = tokens.raws
        for k in range(size):
            if raws[i + k] != words[k] and raws[i + k] != words[k].upper():
                return False
    else:
        folds = tokens.folds
        for k in range(1, size):
            if folds[i + k] != words[k]:
                return False
        if prose and not _written_as_name(tokens.raws[i : i + size], pattern):
            return False
    return all(tokens.joinable(i + k) for k in range(size - 1))


def _written_as_name(raws: Sequence[str], pattern: _Pattern) -> bool:
    """Are these words, which are also ordinary words, capitalised as a name?

    "Christian Mutual Society", "CHRISTIAN MUTUAL SOCIETY", "Ligue de l'enseignement"
    (a form the vocabulary lists) are, and so is the French style, a capital on the
    first word only when it is an organisation word ("la Mutualité socialiste",
    "l'Organisation mondiale de la santé"); "the Christian mutual society of Togo",
    "a call for world solidarity", "la mutualité socialiste" are not.
    """
    if pattern.shapes is None:
        return True  # a name holding a word of its own: any case
    flags = tuple(raw[:1].isupper() for raw in raws)
    if flags in pattern.shapes:
        return True
    if all(raw.isupper() for raw in raws):
        return True
    if capitalised_as_name(raws):
        return True
    return flags[0] and pattern.words[0] in ORGANISATION_WORDS


def _in_capitals_and_words(written_first: Mapping[str, object]) -> frozenset[str]:
    """The names matched as written that are in capitals and also words ("WHO", "AIM",
    "FRENCH"): what `Vocabulary._shouted` asks, answered once, so that a service matching
    a query's names never loads the word lists (about 11 MiB a worker; docs/serving-speed.md, "A
    query's acronym without the word lists")."""
    return frozenset(key for key in written_first if key.isupper() and is_a_word(key.lower()))


def _single_word_typo_candidate(tokens: _Tokens, i: int) -> bool:
    """One capitalised word is a typo candidate only where it cannot be a word of its own.

    At the start of a sentence every word is capitalised ("Create", "Alien"), so a lone
    word there is never taken for a misspelt country; elsewhere it needs 6+ letters and
    must not be a known word or name ("Angela", "George", "Malaria", "Armonía").
    Spans of several capitalised words ("Bukina Faso") are evidence enough.
    """
    return (
        len(tokens.folds[i]) >= _TYPO_MIN_LETTERS
        and not tokens.sentence_start(i)
        and not is_a_word(tokens.raws[i])
    )


class _TypoIndex:
    """Names within one edit (insert, delete, substitute, swap) of a span, via deletions.

    Every name of 6+ letters is stored under itself and under each string made by
    deleting one of its characters; a span is looked up the same way, and the
    candidates are confirmed with an exact edit distance. Results are memoised per
    span because capitalised spans repeat across a corpus.
    """

    def __init__(self, patterns: Iterable[_Pattern], exceptions: set[str]) -> None:
        self._by_key: dict[str, list[tuple[str, _Target]]] = {}
        self._exact: set[str] = set()
        self._exceptions = exceptions
        self.max_words = 1
        for pattern in patterns:
            name = " ".join(pattern.words)
            self._exact.add(name)
            if sum(ch.isalpha() for ch in name) < _TYPO_MIN_LETTERS:
                continue
            self.max_words = max(self.max_words, len(pattern.words))
            for key in {name, *_deletions(name)}:
                self._by_key.setdefault(key, []).append((name, pattern.target))
        self._memo: dict[str, _Target | None] = {}

    def lookup(self, span: str) -> _Target | None:
        if span in self._memo:
            return self._memo[span]
        if len(self._memo) > _TYPO_MEMO_LIMIT:
            self._memo.clear()
        result = self._compute(span)
        self._memo[span] = result
        return result

    def _compute(self, span: str) -> _Target | None:
        if span in self._exact or span in self._exceptions:
            return None
        if sum(ch.isalpha() for ch in span) < _TYPO_MIN_LETTERS - 1:
            return None
        targets: dict[_Target, None] = {}
        single = " " not in span
        for key in (span, *_deletions(span)):
            for name, target in self._by_key.get(key, ()):
                if single and name[0] != span[0]:
                    continue  # a lone word with another first letter is another word
                if (
                    _one_edit(span, name)
                    and not _inflection(span, name)
                    and not _edit_in_a_short_word(span, name)
                ):
                    targets.setdefault(target, None)
        if len(targets) != 1:
            return None  # nothing, or a typo that could be either of two names
        return next(iter(targets))


#: An acronym this rare as a word, of `TITLE_CASE_ACRONYM_MIN_LETTERS` letters or more, is
#: also matched written as a name ("Adosen", "Unesco"): written so it can be nothing else.
#: Common words are not ("Pass", "Care"), nor shorter acronyms, which are first names
#: as often ("ISSA" / "Issa").
TITLE_CASE_ACRONYM_MAX_ZIPF = 4.2
TITLE_CASE_ACRONYM_MIN_LETTERS = 5


def _title_case_forms(acronyms: Iterable[str]) -> list[str]:
    """ "ADOSEN" -> "Adosen": long acronyms that are no common word."""
    return [
        acronym.capitalize()
        for acronym in acronyms
        if len(acronym) >= TITLE_CASE_ACRONYM_MIN_LETTERS
        and acronym.isalpha()
        and acronym.isupper()
        and word_zipf(acronym) < TITLE_CASE_ACRONYM_MAX_ZIPF
    ]


def _edit_in_a_short_word(span: str, name: str) -> bool:
    """Is the one edit inside a word of three letters or fewer ("The Network" / "SHE Network")?

    Short words are other words, not typos of each other: "the", "she", "for", "far".
    """
    span_words, name_words = span.split(), name.split()
    if len(span_words) != len(name_words):
        return False  # a space added or lost
    return any(
        a != b and min(len(a), len(b)) <= 3 for a, b in zip(span_words, name_words, strict=True)
    )


def _deletions(word: str) -> Iterator[str]:
    for k in range(len(word)):
        yield word[:k] + word[k + 1 :]


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance at most 1, or one swap of neighbours (Damerau)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


def _inflection(span: str, name: str) -> bool:
    """A difference in the last letter only ("Francis"/"France", "Chiles") is another word."""
    return span[:-1] == name or name[:-1] == span or span[:-1] == name[:-1]


# ---- organisation words ----------------------------------------------------------------------

#: Words of organisations' names (folded): a partner's name made of ordinary words is
#: matched only when written as a name, and these count as ordinary. The discovery of
#: organisations (`ingest.organisations`) reads names around a narrower set.
ORGANISATION_WORDS = frozenset(
    fold(w)
    for w in """
    mutual mutuals mutualist mutuality mutuelle mutuelles mutualite mutualites mutualidad
    mutualidades mutualista mutua mutuo union unions association associations asociacion
    federation federacion confederation confederacion syndicat syndicats sindicato sindicatos
    university universite universidad institute institut instituto foundation fondation
    fundacion organisation organization organizacion ministry ministere ministerio bank banque
    banco cooperative cooperativa council conseil consejo office oficina agency agence agencia
    programme program programa society societe sociedad societies fund fonds fondo committee
    comite centre center centro alliance alianza group groupe grupo ngo ong caisse caja
    insurance assurance seguro network reseau red league ligue liga movement mouvement
    movimiento college school ecole escuela trust bureau mutualities
    """.split()  # noqa: SIM905
)
# ---- building ----------------------------------------------------------------------------


# libyaml's parser when PyYAML was built with it (its wheels are): six times faster than
# the pure-Python one, which matters because every opening of a generation parses its
# vocabulary.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _UniqueKeyLoader(_SafeLoader):
    """A safe loader that refuses a key given twice (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def files_digest(files: Mapping[str, bytes]) -> str:
    """sha256 of a vocabulary's files (names and bytes), cut to 16 hex digits."""
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def read_folder(directory: Path) -> dict[str, bytes]:
    """Name -> bytes of every vocabulary file in `directory` (none if it does not exist)."""
    try:
        paths = sorted(directory.glob(VOCABULARY_FILES))
    except OSError as error:
        raise VocabularyError(f"{directory}: cannot list the vocabulary folder: {error}") from error
    files: dict[str, bytes] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            files[path.name] = path.read_bytes()
        except OSError as error:
            raise VocabularyError(f"{path}: cannot read vocabulary file: {error}") from error
    return files


def _parse_yaml(path: Path, data: bytes | None) -> Mapping[str, Any]:
    if data is None:
        return {}
    try:
        doc = yaml.load(data.decode("utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise VocabularyError(f"{path}: cannot read vocabulary file: {error}") from error
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise VocabularyError(f"{path}: expected a mapping at the top level")
    return doc


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise VocabularyError(f"{where}: expected a list of names")
    return [str(v) for v in value]


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise VocabularyError(f"{where}: expected a mapping")
    return value


def _pycountry_translations() -> tuple[gettext.NullTranslations, gettext.NullTranslations]:
    def load(language: str) -> gettext.NullTranslations:
        try:
            return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            return gettext.NullTranslations()

    return load("fr"), load("es")


def _name_variants(name: str) -> tuple[list[str], list[str]]:
    """Usable forms of an ISO-style name: (safe forms, heads that may collide).

    "Congo, The Democratic Republic of the" -> safe "The Democratic Republic of the Congo",
    head "Congo"; "Virgin Islands, British" -> "British Virgin Islands"; "Holy See (Vatican
    City State)" -> "Holy See", head "Vatican City State". Qualifiers in brackets such as
    "(French part)" are not names; a list such as "Bonaire, Sint Eustatius and Saba" is
    not inverted.
    """
    safe: list[str] = []
    heads: list[str] = []
    bare = re.sub(r"\s*\([^)]*\)", "", name).strip()
    for part in re.findall(r"\(([^)]*)\)", name):
        if len(part) > 3 and not _QUALIFIER_WORDS & set(words_of(part)):
            heads.append(part)
    if "," not in bare:
        return [bare], heads
    head, _, rest = (piece.strip() for piece in bare.partition(","))
    rest_words = words_of(rest)
    if len(rest_words) == 1 or (rest_words and rest_words[-1] in _INVERSION_ENDINGS):
        joiner = "" if rest.endswith("'") else " "
        safe.append(f"{rest}{joiner}{head}")
    else:
        safe.append(f"{head} {rest}")
    heads.append(head)
    return safe, heads


_QUALIFIER_WORDS = frozenset(("part", "partie", "zona", "parte"))
_INVERSION_ENDINGS = frozenset(("of", "the", "de", "del", "du", "d", "des", "la", "le"))


def _display_name(country: Any) -> str:
    common = getattr(country, "common_name", None)
    if common:
        return str(common)
    name = str(country.name)
    safe, _ = _name_variants(name)
    return safe[0] if words_of(safe[0]) != words_of(name) else re.sub(r"\s*\([^)]*\)", "", name)


class _Builder:
    """Collects entries and patterns from pycountry and the two YAML files."""

    def __init__(self) -> None:
        self.drafts: list[_EntryDraft] = []
        self.country_by_code: dict[str, int] = {}
        self.groups: list[_GroupDraft] = []
        self.ignore: list[str] = []
        self.typo_exceptions: list[str] = []
        self.not_organisations: list[str] = []
        self.removed: dict[int, set[tuple[str, ...]]] = {}
        self.shared: dict[int, tuple[list[str], list[str]]] = {}  # default entry -> group names

    # -- countries --

    def add_countries(self, doc: Mapping[str, Any], path: Path) -> None:
        self._add_pycountry()
        where = str(path)
        for key, spec in _mapping(doc.get("countries"), f"{where}: countries").items():
            spec_map = _mapping(spec, f"{where}: countries: {key}")
            index = self._country_index(str(key), spec_map, where)
            draft = self.drafts[index]
            if "canonical" in spec_map:
                old = draft.canonical
                draft.canonical = str(spec_map["canonical"]).strip()
                draft.generated.append(old)
            self._add_names(draft, spec_map, f"{where}: countries: {key}")
            removed = _string_list(spec_map.get("remove"), f"{where}: countries: {key}: remove")
            self.removed.setdefault(index, set()).update(words_of(n) for n in removed)
        for name, spec in _mapping(doc.get("ambiguous"), f"{where}: ambiguous").items():
            self._add_group(
                str(name), "country", _mapping(spec, f"{where}: ambiguous: {name}"), where
            )
        self.ignore += _string_list(doc.get("ignore"), f"{where}: ignore")
        self.typo_exceptions += _string_list(
            doc.get("typo_exceptions"), f"{where}: typo_exceptions"
        )

    def _add_pycountry(self) -> None:
        french, spanish = _pycountry_translations()
        for country in pycountry.countries:
            draft = _EntryDraft("country", _display_name(country))
            official = getattr(country, "official_name", None)
            sources = [str(country.name), getattr(country, "common_name", None), official]
            sources += [french.gettext(str(country.name)), spanish.gettext(str(country.name))]
            if official:
                sources += [french.gettext(str(official)), spanish.gettext(str(official))]
            for source in sources:
                if not source:
                    continue
                safe, heads = _name_variants(str(source))
                draft.names += safe
                draft.generated += heads
            draft.lookup_only += [str(country.alpha_2), str(country.alpha_3), str(country.name)]
            self.country_by_code[str(country.alpha_2)] = len(self.drafts)
            self.country_by_code[str(country.alpha_3)] = len(self.drafts)
            self.drafts.append(draft)

    def _country_index(self, key: str, spec: Mapping[str, Any], where: str) -> int:
        if key.upper() in self.country_by_code:
            return self.country_by_code[key.upper()]
        try:
            found = pycountry.countries.lookup(key)
        except LookupError:
            found = None
        if found is not None:
            return self.country_by_code[str(found.alpha_2)]
        for index, draft in enumerate(self.drafts):
            if draft.kind == "country" and fold(draft.canonical) == fold(key):
                return index
        self.drafts.append(_EntryDraft("country", str(spec.get("canonical", key)).strip()))
        self.drafts[-1].names.append(key)
        return len(self.drafts) - 1

    def _add_group(self, name: str, kind: Kind, spec: Mapping[str, Any], where: str) -> None:
        place = f"{where}: ambiguous: {name}"
        contexts = _mapping(spec.get("context"), f"{place}: context")
        options: list[int] = []
        words: dict[int, list[str]] = {}
        for option, terms in contexts.items():
            index = self._resolve_country(str(option), place)
            options.append(index)
            words[index] = _string_list(terms, f"{place}: context: {option}")
        if "default" not in spec:
            raise VocabularyError(f"{place}: needs a 'default' country")
        default = self._resolve_country(str(spec["default"]), place)
        if default not in options:
            options.append(default)
        names = [name, *_string_list(spec.get("names"), f"{place}: names")]
        adjectives = _string_list(spec.get("adjectives"), f"{place}: adjectives")
        self.shared[default] = (names, adjectives)
        self.groups.append(_GroupDraft(name, kind, options, default, names, adjectives, words))

    def _resolve_country(self, key: str, where: str) -> int:
        if key.upper() in self.country_by_code:
            return self.country_by_code[key.upper()]
        for index, draft in enumerate(self.drafts):
            if draft.kind == "country" and fold(draft.canonical) == fold(key):
                return index
        raise VocabularyError(f"{where}: unknown country {key!r}")

    # -- partners --

    def add_partners(self, doc: Mapping[str, Any], path: Path) -> None:
        where = str(path)
        partners = doc.get("partners") or []
        if not isinstance(partners, list):
            raise VocabularyError(f"{where}: 'partners' must be a list")
        seen: set[str] = set()
        for number, spec in enumerate(partners, start=1):
            place = f"{where}: partner #{number}"
            spec_map = _mapping(spec, place)
            canonical = spec_map.get("canonical")
            if not isinstance(canonical, str) or not canonical.strip():
                raise VocabularyError(f"{place}: needs a 'canonical' name")
            canonical = canonical.strip()
            if canonical in seen:
                raise VocabularyError(f"{place}: {canonical!r} is listed twice")
            seen.add(canonical)
            draft = _EntryDraft("partner", canonical)
            self._add_names(draft, spec_map, f"{where}: {canonical}")
            if canonical not in draft.exact:
                draft.names.insert(0, canonical)
            self.drafts.append(draft)
        self.ignore += _string_list(doc.get("ignore"), f"{where}: ignore")
        self.not_organisations += _string_list(
            doc.get("not_organisations"), f"{where}: not_organisations"
        )

    def add_discovered(self, doc: Mapping[str, Any], path: Path) -> None:
        """Organisations discovered in a corpus (partners.yaml's shape), below the curated ones.

        An entry whose canonical name is a curated partner's adds its other names to that
        partner; any other is a partner of its own. A name that another entry already
        has, or that `ignore` / `not_organisations` list, is left out, and so is an entry
        left with no name: the curated files are the last word.
        """
        where = str(path)
        entries = doc.get("partners") or []
        if not isinstance(entries, list):
            raise VocabularyError(f"{where}: 'partners' must be a list")
        owner: dict[tuple[str, ...], int] = {}
        for index, draft in enumerate(self.drafts):
            for name in (draft.canonical, *draft.names, *draft.exact, *draft.generated):
                owner.setdefault(words_of(name), index)
        blocked = {words_of(name) for name in (*self.ignore, *self.not_organisations)}
        blocked |= {words for words, index in owner.items() if self.drafts[index].kind != "partner"}
        for number, spec in enumerate(entries, start=1):
            spec_map = _mapping(spec, f"{where}: partner #{number}")
            canonical = str(spec_map.get("canonical") or "").strip()
            acronyms = _string_list(spec_map.get("acronyms"), f"{where}: {canonical}: acronyms")
            exact = _string_list(spec_map.get("exact"), f"{where}: {canonical}: exact")
            names = _string_list(spec_map.get("names"), f"{where}: {canonical}: names")
            # The canonical name is a display name: matched only as one of the forms listed
            # (an entry adding names to the curated "AIM" must not match "aim" in any case).
            forms = [*acronyms, *exact, *names]
            if not canonical or words_of(canonical) in blocked:
                continue
            if words_of(canonical) in owner:
                index = owner[words_of(canonical)]
                draft = self.drafts[index]
            else:
                index = len(self.drafts)
                draft = _EntryDraft("partner", canonical, shown_only=canonical not in forms)
            fresh = [f for f in forms if words_of(f) and words_of(f) not in blocked]
            fresh = [f for f in fresh if owner.get(words_of(f), index) == index]
            if not fresh:
                continue
            if index == len(self.drafts):
                self.drafts.append(draft)
            for form in fresh:
                if words_of(form) in owner:
                    continue
                owner[words_of(form)] = index
                if form in acronyms or form in exact:
                    draft.exact.append(form)
                    if form in exact and not form.isupper():
                        draft.common_words.append(form)
                else:
                    draft.names.append(form)

    @staticmethod
    def _add_names(draft: _EntryDraft, spec: Mapping[str, Any], where: str) -> None:
        known = {"canonical", "names", "aliases", "acronyms", "exact", "adjectives", "remove"}
        unknown = set(spec) - known
        if unknown:
            raise VocabularyError(
                f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}"
            )
        draft.names += _string_list(spec.get("names"), f"{where}: names")
        draft.names += _string_list(spec.get("aliases"), f"{where}: aliases")
        draft.exact += _string_list(spec.get("acronyms"), f"{where}: acronyms")
        exact = _string_list(spec.get("exact"), f"{where}: exact")
        draft.exact += exact
        if draft.kind == "partner":
            draft.common_words += [name for name in exact if not name.isupper()]
        for adjective in _string_list(spec.get("adjectives"), f"{where}: adjectives"):
            forms = [adjective]
            if not adjective.endswith(("s", "x", "z")):
                forms.append(adjective + "s")
            if adjective[:1].isupper() and draft.kind == "country" and adjective.isascii():
                # English adjectives are capitalised; lower-case they are often common words.
                draft.exact_adjectives += forms
            else:
                draft.adjectives += forms

    # -- result --

    def build(self, fingerprint: str) -> Vocabulary:
        owners: dict[tuple[str, ...], set[int]] = {}
        for index, draft in enumerate(self.drafts):
            for name in {*draft.generated, *draft.names}:
                words = words_of(name)
                if words:
                    owners.setdefault(words, set()).add(index)
        group_words = {words_of(n) for g in self.groups for n in (*g.names, *g.adjectives)}
        entries: list[NameEntry] = []
        patterns: list[_Pattern] = []
        claimed: dict[tuple[bool, tuple[str, ...]], int] = {}
        glued_names: list[tuple[tuple[str, ...], _Target, frozenset[tuple[bool, ...]] | None]] = []
        for index, draft in enumerate(self.drafts):
            removed = self.removed.get(index, set())

            def usable(name: str, generated: bool, removed: set[tuple[str, ...]] = removed) -> bool:
                words = words_of(name)
                if not words or words in removed or words in group_words:
                    return False
                return not (generated and len(owners.get(words, ())) > 1)

            first = [] if draft.canonical in draft.exact or draft.shown_only else [draft.canonical]
            names = [n for n in _dedupe([*first, *draft.names]) if usable(n, False)]
            names += [n for n in _dedupe(draft.generated) if usable(n, True) and n not in names]
            if draft.kind == "country":
                names = [
                    n
                    for n in names
                    if len(owners.get(words_of(n), ())) <= 1 or n == draft.canonical
                ]
            exact = _dedupe(draft.exact)
            # A shared name ("Congo") is listed under the entry it defaults to, for synonyms;
            # matching it stays with the ambiguous group.
            shared_names, shared_adjectives = self.shared.get(index, ([], []))
            adjectives = _dedupe(draft.adjectives + draft.exact_adjectives + shared_adjectives)
            aliases = _dedupe([draft.canonical, *names, *exact, *shared_names])
            entries.append(
                NameEntry(draft.kind, draft.canonical, tuple(aliases), tuple(adjectives))
            )
            target = _Target("entry", entry=index)
            shapes = _name_shapes(names) if draft.kind == "partner" else {}
            for name in _dedupe(names):
                self._add_pattern(
                    patterns,
                    claimed,
                    words_of(name),
                    False,
                    target,
                    draft,
                    typo_ok=True,
                    shapes=shapes.get(words_of(name)),
                )
                if (glued := words_of(_glue_elisions(name))) != words_of(name):
                    glued_names.append((glued, target, shapes.get(glued)))
            for name in _dedupe(draft.adjectives):
                self._add_pattern(patterns, claimed, words_of(name), False, target, draft)
            for name in _dedupe(exact + draft.exact_adjectives):
                self._add_pattern(
                    patterns,
                    claimed,
                    _written_words(name),
                    True,
                    target,
                    draft,
                    mid_sentence_only=name in draft.common_words,
                )
            if draft.kind == "partner":
                for name in _title_case_forms(exact):
                    if (True, (name,)) not in claimed and (False, words_of(name)) not in claimed:
                        patterns.append(_Pattern((name,), True, target))
                        claimed[(True, (name,))] = index
        for number, group in enumerate(self.groups):
            group_target = _Target("ambiguous", group=number)
            for name in group.names:
                self._add_pattern(
                    patterns, claimed, words_of(name), False, group_target, None, typo_ok=True
                )
            for name in group.adjectives:
                self._add_pattern(patterns, claimed, words_of(name), False, group_target, None)
            for option, terms in group.contexts.items():
                for term in terms:
                    words = words_of(term)
                    if (False, words) not in claimed and (
                        True,
                        _written_words(term),
                    ) not in claimed:
                        target = _Target("context", entry=option, group=number)
                        patterns.append(_Pattern(words, False, target))
                        claimed[(False, words)] = -1
        # Last, so that they never take a form another entry names outright.
        for words, target, glued_shapes in glued_names:
            if (False, words) not in claimed:
                patterns.append(_Pattern(words, False, target, shapes=glued_shapes))
                claimed[(False, words)] = target.entry
        groups = [_AmbiguousGroup(g.name, g.kind, tuple(g.options), g.default) for g in self.groups]
        for name in self.ignore:
            if name.isupper():
                patterns.append(_Pattern(_written_words(name), True, _Target("ignore")))
                continue
            words = words_of(name)
            if words and (False, words) not in claimed:
                patterns.append(_Pattern(words, False, _Target("ignore")))
                claimed[(False, words)] = -1
        return Vocabulary(
            entries,
            patterns,
            groups,
            typo_exceptions=self.typo_exceptions,
            not_organisations=self.not_organisations,
            fingerprint=fingerprint,
            ignore=self.ignore,
            lookup_only={i: d.lookup_only for i, d in enumerate(self.drafts) if d.lookup_only},
        )

    @staticmethod
    def _add_pattern(
        patterns: list[_Pattern],
        claimed: dict[tuple[bool, tuple[str, ...]], int],
        words: tuple[str, ...],
        case_sensitive: bool,
        target: _Target,
        draft: _EntryDraft | None,
        *,
        mid_sentence_only: bool = False,
        typo_ok: bool = False,
        shapes: frozenset[tuple[bool, ...]] | None = None,
    ) -> None:
        if not words:
            return
        key = (case_sensitive, words)
        owner = target.entry if target.role == "entry" else -2 - target.group
        previous = claimed.get(key)
        if previous is not None:
            if previous != owner and draft is not None and previous >= 0:
                raise VocabularyError(
                    f"the name {' '.join(words)!r} is given to two entries "
                    f"(the second is {draft.canonical!r}); list it under 'ambiguous' instead"
                )
            return
        claimed[key] = owner
        patterns.append(_Pattern(words, case_sensitive, target, mid_sentence_only, typo_ok, shapes))


def _name_shapes(names: Iterable[str]) -> dict[tuple[str, ...], frozenset[tuple[bool, ...]]]:
    """For the names made of ordinary words only, the capitals of each listed form.

    "Christian Mutual Society" (christian, mutual, society: all words of English) must
    be written as a name; "Solidaris Mutual Society" holds a word of its own and
    matches in any case. A name listed twice with other capitals ("Coopération belge
    au Développement" / "... au développement") gives both forms. Its form without the
    apostrophes of elisions ("Internationale de lEducation", `_glue_elisions`) is made
    of the same words, so it gets the capitals of the name it was made from: typed in
    lower case it is no more a name than "internationale de l'éducation".
    """
    shapes: dict[tuple[str, ...], set[tuple[bool, ...]]] = {}
    for name in names:
        written = _written_words(name)
        significant = [w for w in written if fold(w) not in NAME_CONNECTORS]
        if len(written) < 2 or not significant:
            continue
        if all(_ordinary_word(w) for w in significant):
            for form in dict.fromkeys((name, _glue_elisions(name))):
                flags = tuple(w[:1].isupper() for w in _written_words(form))
                shapes.setdefault(words_of(form), set()).add(flags)
    return {words: frozenset(forms) for words, forms in shapes.items()}


def _ordinary_word(word: str) -> bool:
    """A word of English, French or Spanish (or its singular), or a generic organisation word."""
    lower = word.lower()
    return (
        fold(lower) in ORGANISATION_WORDS
        or is_a_word(lower)
        or (lower.endswith("s") and is_a_word(lower[:-1]))
    )
