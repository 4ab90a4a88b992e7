"""Highlighted passages: a short window of the body around the best matches.

Whoosh's highlighter costs about 5 ms for ten hits and escapes nothing in custom
formatters; this one looks in the folded body for the words that begin like a
query term (`str.find`, in C), decides for each whether it matched the query (its
folded form is a query word, begins with the typed prefix, or stems like a query
word in the article's language) and picks the window holding the most distinct
matched words. Everything is HTML-escaped; only our own `<mark>` tags are markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Final

from search_service.analysis import TOKEN_PATTERN, language_analyzer
from search_service.articles import LANGUAGES, Language
from search_service.text import LETTER_APOSTROPHES, fold, fold_same_length

_WORD_RE: Final = re.compile(TOKEN_PATTERN)
SNIPPET_CHARS: Final = 220
#: Bodies longer than this are highlighted in their first part only (speed bound).
_SCAN_CHARS: Final = 60_000
#: Letters of a stem that its word forms begin with (see `HighlightTerms.heads`).
_STEM_HEAD: Final = 3
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
    their words, and the ten hits of a page share most of them. Only words that
    begin with one of the `heads` are judged at all.
    """

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    stems: dict[str, frozenset[str]] = field(default_factory=dict)
    _judged: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False)
    _heads: list[str] = field(default_factory=list, compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.exact or self.prefixes or any(self.stems.values()))

    def heads(self) -> tuple[str, ...]:
        """What a matching word begins with, folded: the shortest such beginnings.

        An exact word or a typed prefix begins the words it matches; a stem's first
        three letters begin nearly every word that stems to it (French "publication"
        stems to "publiqu", so more than three would miss it). Heads that begin
        with another head are left out: that one finds their words already.
        """
        if not self._heads:
            found = {term for term in self.exact | set(self.prefixes) if term}
            found |= {
                stem[: min(_STEM_HEAD, max(2, len(stem) - 1))]
                for stems in self.stems.values()
                for stem in stems
                if stem
            }
            ordered = sorted(found, key=len)
            kept = [h for i, h in enumerate(ordered) if not h.startswith(tuple(ordered[:i]))]
            self._heads.extend(sorted(kept))
        return tuple(self._heads)

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
    """Spans of matched words, in order: candidates found by `str.find`, each judged once."""
    spans = []
    for start in _candidate_starts(text, terms.heads()):
        match = _WORD_RE.match(text, start)
        if match is not None and terms.matches(match.group(), lang):
            spans.append((start, match.end(), _fold_word(match.group())))
    return spans


def _candidate_starts(text: str, heads: tuple[str, ...]) -> list[int]:
    """Sorted starts of the words of `text` that begin with a head (folded, at a word start).

    A search of each head in the folded text runs in C; a regex of accent-insensitive
    alternatives, run over the whole body, cost ten times more.
    """
    folded = _folded_text(text)
    starts: set[int] = set()
    for head in heads:
        at = folded.find(head)
        while at != -1:
            if at == 0 or not _is_word_char(folded[at - 1]):
                starts.add(at)
            at = folded.find(head, at + 1)
    return sorted(starts)


def _is_word_char(char: str) -> bool:
    """Does `char` belong to a word (so that a head found right after it is inside one)?

    ʼ is a letter to `isalnum` but an apostrophe here, as to the analyzers: "dʼIvoire"
    holds the word "Ivoire" (bodies with letters beyond Latin-1 keep it when folded).
    """
    if char in LETTER_APOSTROPHES:
        return False
    return char.isalnum() or char == "_" or "\u0300" <= char <= "\u036f"


_folded_texts: dict[str, str] = {}
_FOLDED_TEXTS_LIMIT: Final = 4096


def _folded_text(text: str) -> str:
    """`text` lower-cased and without accents, character for character (same offsets).

    Kept for the bodies shown recently (the same hits recur across queries): folding
    a body is the costly part of finding its candidate words (`text.fold_same_length`).
    """
    found = _folded_texts.get(text)
    if found is None:
        found = fold_same_length(text)
        if len(_folded_texts) >= _FOLDED_TEXTS_LIMIT:
            _folded_texts.clear()
        _folded_texts[text] = found
    return found


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
