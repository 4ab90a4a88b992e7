"""Whoosh analyzers: how article text and query words become index terms.

One analyzer per language (`en`, `fr`, `es`: Snowball stemming and stop words) and
one neutral analyzer (no stemming, no stop words) for exact words, prefixes and
spelling. Every analyzer folds case and accents, treats ’, ʼ and ' alike (all split
words) and drops the one-letter leftovers of elisions and contractions (l’, d’,
qu’, …'s, …n't) without leaving a gap in positions, so the phrase "cote d'ivoire"
matches "Côte d’Ivoire" and "l’Afrique" matches "Afrique".

Analysis dominates build time, so a whole analyzer is one compiled regex and one
dict lookup per word: each distinct word is classified (elided, stop word, term)
once and cached per analyzer. Builds use that fast path (`terms`, called by the
index's field format); the Whoosh-facing `__call__` (query parsing,
highlighting) yields the same terms as `Token`s with positions and offsets.

The index pickles its schema, analyzers included: keep `LanguageAnalyzer` and
`NeutralAnalyzer` importable at this path, and their pickled state tiny.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, Final

import Stemmer
from whoosh.analysis import Token, Tokenizer
from whoosh.lang import stopwords_for_language

from search_service.articles import LANGUAGES, Language
from search_service.text import fold, normalize_letter_apostrophes

#: Words: runs of word characters (combining accents included), dots allowed
#: inside ("21.900", "u.s"). Apostrophes of every shape, `*` and every other
#: character split words — Whoosh's default pattern keeps `*` inside words. ʼ is a
#: word character, so it is made a plain `'` first (`normalize_letter_apostrophes`).
TOKEN_PATTERN: Final = r"[\w\u0300-\u036f]+(?:\.[\w\u0300-\u036f]+)*"
_TOKEN_RE: Final = re.compile(TOKEN_PATTERN)

#: Leftovers of French/Spanish elisions and English contractions: l’, d’, j’,
#: s’, n’, m’, t’, c’, qu’, jusqu’, lorsqu’, puisqu’, quoiqu’, presqu’, quelqu’;
#: "ESN’s", "don’t". Dropped everywhere (index and query alike), so they never
#: take a position.
ELISIONS: Final = frozenset(
    {"l", "d", "j", "s", "n", "m", "t", "c"}
    | {"qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu"}
)

_STEMMER_NAMES: Final[dict[Language, str]] = {"en": "english", "fr": "french", "es": "spanish"}
#: Whoosh's French list lacks these frequent words.
_EXTRA_STOP_WORDS: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset(),
    "fr": frozenset({"les", "jusqu", "ainsi", "entre", "dont", "cette", "ces"}),
    "es": frozenset(),
}
#: Beyond this many distinct words a build's analyzer starts its cache again (memory bound).
_CACHE_LIMIT: Final = 400_000
#: Distinct words an analyzer of query words (`query_analyzer`) keeps. Visitors type
#: anything, so what a serving process keeps of their words must be bounded by itself,
#: not by the corpus's vocabulary: about 300 bytes a word, four analyzers, 5 MiB at most.
#: At 400,000, queries of random words grew a process by 2 MiB every 1,000 searches,
#: towards some 450 MiB (docs/serving-speed.md, "Query words bounded by themselves").
QUERY_WORDS_KEPT: Final = 4_096

_ELIDED: Final = 0
_STOP: Final = 1
_TERM: Final = 2


@cache
def stop_words(lang: Language) -> frozenset[str]:
    """The folded stop words of a language (so "où" and "ou" are both stop words)."""
    words = set(stopwords_for_language(lang)) | _EXTRA_STOP_WORDS[lang]
    return frozenset(fold(word) for word in words)


def split_words(text: str) -> list[str]:
    """The words of `text`, as every analyzer splits it."""
    return _TOKEN_RE.findall(normalize_letter_apostrophes(text))


class BaseAnalyzer(Tokenizer):  # type: ignore[misc]
    """A whole analysis chain in one Whoosh tokenizer (no filters to compose)."""

    #: Distinct words each of its caches keeps before it starts again.
    cache_limit: int = _CACHE_LIMIT

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        self._terms: dict[str, str] = {}
        self._kinds: dict[str, tuple[int, str]] = {}

    def _classify(self, word: str) -> tuple[int, str]:
        """(kind, term) of one word as found in the text; the slow path, cached."""
        raise NotImplementedError

    def _kind(self, word: str) -> tuple[int, str]:
        found = self._kinds.get(word)
        if found is None:
            if len(self._kinds) >= self.cache_limit:
                self._kinds.clear()
            found = self._kinds[word] = self._classify(word)
        return found

    def terms(self, text: str) -> list[str]:
        """The indexed terms of `text`, in order (stop words and elisions left out).

        This is the fast path used by builds: one regex scan and a dict lookup per word.
        """
        return self.terms_of_words(split_words(text))

    def terms_of_words(self, words: list[str]) -> list[str]:
        """`terms` of a text split already (`split_words`): a build analyses each title
        and body twice (its language's field and the exact one) and splits it once.

        The words are looked up, and the stop words and elisions ("") left out, by
        loops in C (`map`, `filter`); only a text holding words not met yet takes a
        loop in Python over its words, which works those out.
        """
        found: list[str | None] = list(map(self._terms.get, words))
        if None in found:
            found = [
                self._term(word) if term is None else term
                for term, word in zip(found, words, strict=True)
            ]
        return list(filter(None, found))

    def _term(self, word: str) -> str:
        """The term of a word ("" for a stop word or an elision), worked out and cached
        the first time (a word new to the cache may recur in the same text)."""
        term = self._terms.get(word)
        if term is None:
            kind, term = self._classify(word)  # kept here only: `_kinds` is `__call__`'s
            if kind != _TERM:
                term = ""
            if len(self._terms) >= self.cache_limit:
                self._terms.clear()
            self._terms[word] = term
        return term

    def uncached_terms(self, text: str) -> list[str]:
        """The same terms as `terms`, leaving the analyzer's caches as they were.

        For a caller that keeps the words it met itself: snippets judge the words of
        every shown body, far more than queries hold, and a word kept there and here
        too would cost a serving process twice the memory.
        """
        out: list[str] = []
        for word in split_words(text):
            kind, term = self._classify(word)
            if kind == _TERM and term:
                out.append(term)
        return out

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        """Whoosh's analyzer protocol: the same terms as `terms`, as (reused) tokens.

        With `removestops=False` (highlighting) stop words come out marked `stopped`;
        they never take a position, so positions agree with the indexed ones.
        """
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in self._words(value, tokenize):
            kind, term = self._kind(word) if tokenize else (_TERM, self._classify(word)[1])
            if kind == _ELIDED or not term:
                continue
            if kind == _STOP and removestops:
                continue
            token.text = term
            token.stopped = kind == _STOP
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                if kind == _TERM:
                    pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    @staticmethod
    def _words(value: str, tokenize: bool) -> Iterator[tuple[str, int, int]]:
        if not tokenize:
            yield value, 0, len(value)
            return
        for match in _TOKEN_RE.finditer(normalize_letter_apostrophes(value)):
            yield match.group(), match.start(), match.end()

    def __getstate__(self) -> dict[str, Any]:
        return self._identity()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def _identity(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BaseAnalyzer)
            and type(other) is type(self)
            and self._identity() == other._identity()
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self._identity().items()))))

    def __repr__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self._identity().items())
        return f"{type(self).__name__}({details})"


class NeutralAnalyzer(BaseAnalyzer):
    """Exact words, folded: no stemming, no stop words (for exact, prefix, spelling)."""

    def _classify(self, word: str) -> tuple[int, str]:
        folded = fold(word)
        if not folded or folded in ELISIONS:  # a lone combining accent folds to nothing
            return _ELIDED, folded
        return _TERM, folded


class LanguageAnalyzer(BaseAnalyzer):
    """One language's words: stop words out, Snowball stem (PyStemmer), then accents folded.

    Stemming comes before folding because the French and Spanish stemmers rely on
    accents ("mutualité" -> "mutual"); an unaccented query word may stem differently,
    which the neutral fields make up for.
    """

    def __init__(self, lang: Language) -> None:
        if lang not in _STEMMER_NAMES:
            raise ValueError(f"unsupported language: {lang!r}")
        self.lang: Language = lang
        super().__init__()

    def _setup(self) -> None:
        super()._setup()
        # Without PyStemmer's own cache (10,000 words by default): the analyzers, and
        # the snippets for `uncached_terms`, keep the words they stemmed in front of it.
        # A second cache only costs time (1.4 µs a new word against 0.5) and memory
        # (250 bytes a word, 2.5 MiB a stemmer when full).
        self._stemmer = Stemmer.Stemmer(_STEMMER_NAMES[self.lang], 0)
        self._stops = stop_words(self.lang)

    def _identity(self) -> dict[str, Any]:
        return {"lang": self.lang}

    def _classify(self, word: str) -> tuple[int, str]:
        lowered = word.casefold()
        folded = fold(lowered)
        if not folded or folded in ELISIONS:
            return _ELIDED, folded
        if folded in self._stops:
            return _STOP, folded
        return _TERM, fold(self._stemmer.stemWord(lowered))


@cache
def language_analyzer(lang: Language) -> LanguageAnalyzer:
    """The analyzer of `title_<lang>` / `body_<lang>` (one shared instance per language)."""
    return LanguageAnalyzer(lang)


@cache
def neutral_analyzer() -> NeutralAnalyzer:
    """The analyzer of `title_exact` / `body_exact`."""
    return NeutralAnalyzer()


@cache
def query_analyzer(lang: Language) -> LanguageAnalyzer:
    """`language_analyzer(lang)`'s twin for query words: the same terms, and caches of
    its own bounded for a serving process (`QUERY_WORDS_KEPT`)."""
    analyzer = LanguageAnalyzer(lang)
    analyzer.cache_limit = QUERY_WORDS_KEPT
    return analyzer


@cache
def query_neutral_analyzer() -> NeutralAnalyzer:
    """`neutral_analyzer()`'s twin for query words (`query_analyzer`)."""
    analyzer = NeutralAnalyzer()
    analyzer.cache_limit = QUERY_WORDS_KEPT
    return analyzer


def analyze(text: str, lang: Language) -> list[str]:
    """Terms of `text` as the `<field>_<lang>` fields index them (for query words)."""
    return query_analyzer(lang).terms(text)


def analyze_neutral(text: str) -> list[str]:
    """Terms of `text` as the `*_exact` fields index them (for exact/prefix/spelling)."""
    return query_neutral_analyzer().terms(text)


@cache
def _stop_words_of_any_language() -> frozenset[str]:
    return frozenset().union(*(stop_words(lang) for lang in LANGUAGES))


def is_stop_word_somewhere(word: str) -> bool:
    """Whether some language's analyzer drops `word` as a stop word (folded once: a
    query's every word is asked)."""
    return fold(word) in _stop_words_of_any_language()


__all__ = [
    "ELISIONS",
    "LANGUAGES",
    "QUERY_WORDS_KEPT",
    "TOKEN_PATTERN",
    "LanguageAnalyzer",
    "NeutralAnalyzer",
    "analyze",
    "analyze_neutral",
    "is_stop_word_somewhere",
    "language_analyzer",
    "neutral_analyzer",
    "query_analyzer",
    "query_neutral_analyzer",
    "stop_words",
]
