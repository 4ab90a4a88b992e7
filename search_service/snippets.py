"""Highlighted passages: a short window of the body around the best matches.

Whoosh's highlighter costs about 5 ms for ten hits and escapes nothing in custom
formatters; this one scans the stored body once with the analyzers' own word
pattern, decides per word whether it matched the query (its folded form is a
query word, begins with the typed prefix, or stems like a query word in the
article's language) and picks the window holding the most distinct matched
words. Everything is HTML-escaped; only our own `<mark>` tags are markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from search_service.analysis import TOKEN_PATTERN, language_analyzer
from search_service.articles import LANGUAGES, Language
from search_service.text import fold

_WORD_RE: Final = re.compile(TOKEN_PATTERN)
SNIPPET_CHARS: Final = 220
#: Bodies longer than this are highlighted in their first part only (speed bound).
_SCAN_CHARS: Final = 60_000
_FOLD_CACHE_LIMIT: Final = 200_000
_folded: dict[str, str] = {}


def _fold_word(word: str) -> str:
    found = _folded.get(word)
    if found is None:
        if len(_folded) >= _FOLD_CACHE_LIMIT:
            _folded.clear()
        found = _folded[word] = fold(word)
    return found


@dataclass(frozen=True, slots=True)
class HighlightTerms:
    """What counts as a match in a body: exact words, prefixes, stems per language.

    Each distinct written word is judged once per query (`_judged`): bodies repeat
    their words, and the ten hits of a page share most of them.
    """

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    stems: dict[str, frozenset[str]] = field(default_factory=dict)
    _judged: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False)
    _candidates: list[re.Pattern[str]] = field(default_factory=list, compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.exact or self.prefixes or any(self.stems.values()))

    def candidates(self) -> re.Pattern[str]:
        """Words that could match: those beginning like a query word, found by one regex.

        A stem or a prefix begins with the same letters as the words it matches, so
        only the words beginning with the first two letters of some query term
        (accents and case aside) need judging; the regex finds them in C.
        """
        if not self._candidates:
            heads = {term[:2] for term in self.exact | set(self.prefixes) if term}
            heads |= {stem[:2] for stems in self.stems.values() for stem in stems if stem}
            self._candidates.append(_candidate_regex(tuple(sorted(heads))))
        return self._candidates[0]

    def matches(self, word: str, lang: str) -> bool:
        found = self._judged.get((word, lang))
        if found is None:
            found = self._judged[(word, lang)] = self._judge(word, lang)
        return found

    def _judge(self, word: str, lang: str) -> bool:
        folded, stem = _word_forms(word, lang)
        if folded in self.exact:
            return True
        if self.prefixes and folded.startswith(self.prefixes):
            return True
        return stem in self.stems.get(lang, frozenset())


_forms: dict[tuple[str, str], tuple[str, str]] = {}


def _word_forms(word: str, lang: str) -> tuple[str, str]:
    """(folded, stemmed) forms of a written word, computed once per process (bounded)."""
    key = (word, lang)
    found = _forms.get(key)
    if found is None:
        if len(_forms) >= _FOLD_CACHE_LIMIT:
            _forms.clear()
        terms = language_analyzer(_as_language(lang)).terms(word) if lang in LANGUAGES else []
        found = _forms[key] = (_fold_word(word), terms[0] if terms else "")
    return found


def _as_language(lang: str) -> Language:
    for known in LANGUAGES:
        if known == lang:
            return known
    return "en"


def make_snippet(body: str, terms: HighlightTerms, lang: str, size: int = SNIPPET_CHARS) -> str:
    """An escaped passage of about `size` characters with matched words in `<mark>`."""
    text = body[:_SCAN_CHARS]
    matches = [] if terms.is_empty else _matched_spans(text, terms, lang)
    if not matches:
        return _escape_window(text, 0, size, [])
    start = _best_window_start(text, matches, size)
    return _escape_window(text, start, size, matches)


def _matched_spans(text: str, terms: HighlightTerms, lang: str) -> list[tuple[int, int, str]]:
    """Spans of matched words: candidates found by regex, each distinct word judged once."""
    return [
        (match.start(), match.end(), _fold_word(match.group()))
        for match in terms.candidates().finditer(text)
        if terms.matches(match.group(), lang)
    ]


def _letter_variants() -> dict[str, str]:
    """Every Latin letter with its accented forms: "e" -> "eéèêëēĕėęě"."""
    variants: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = fold(char)
        if len(base) == 1 and base.isascii() and base.isalpha() and char.islower():
            variants.setdefault(base, set()).add(char)
    return {
        base: "[" + re.escape(base + "".join(sorted(chars))) + "]"
        for base, chars in variants.items()
    }


_VARIANTS: Final = _letter_variants()


def _accent_insensitive(head: str) -> str:
    return "".join(_VARIANTS.get(ch) or re.escape(ch) for ch in head)


@lru_cache(maxsize=4096)
def _candidate_regex(heads: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(_accent_insensitive(head) for head in heads)
    word = r"[\w\u0300-\u036f]"
    return re.compile(rf"(?<!{word})(?:{alternatives}){word}*(?:\.{word}+)*", re.IGNORECASE)


def _best_window_start(text: str, spans: list[tuple[int, int, str]], size: int) -> int:
    """Start of the window with the most distinct matched words (then the most matches)."""
    best_key = (-1, -1)
    best_start = spans[0][0]
    right = 0
    for left in range(len(spans)):
        while right < len(spans) and spans[right][1] - spans[left][0] <= size:
            right += 1
        window = spans[left:right]
        key = (len({word for _, _, word in window}), len(window))
        if key > best_key:
            best_key, best_start = key, spans[left][0]
    # Start a little before the first match, at a word boundary, for context.
    start = max(0, best_start - size // 4)
    if start > 0:
        space = text.find(" ", start, best_start)
        start = space + 1 if space != -1 else best_start
    return start


def _escape_window(text: str, start: int, size: int, spans: list[tuple[int, int, str]]) -> str:
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start:
            end = space
    out: list[str] = ["…"] if start > 0 else []
    cursor = start
    for span_start, span_end, _ in spans:
        if span_start < start or span_end > end:
            continue
        out.append(html.escape(text[cursor:span_start], quote=True))
        out.append("<mark>" + html.escape(text[span_start:span_end], quote=True) + "</mark>")
        cursor = span_end
    out.append(html.escape(text[cursor:end], quote=True))
    if end < len(text):
        out.append("…")
    return " ".join("".join(out).split())
