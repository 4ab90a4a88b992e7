"""Highlighted passages: a short window of the body around the best matches.

Whoosh's highlighter costs about 5 ms for ten hits and escapes nothing in custom
formatters; this one looks in the body's folded copy (`text.fold_to_words`) for the
words that begin like a query term (`str.find`, in C), decides for each whether it
matched the query (its folded form is a query word, begins with the typed prefix, or
stems like a query word in the article's language) and picks the window holding the
most distinct matched words. Names come before words: a phrase of the query, or a
country or partner the query names (`MUGEF-CI`, `IAM`, `Ivory Coast`) written in the
body by any of its names, is found whole and marked as one, and the window naming
the most of them wins, so the passage shown is the one that names what was asked
for rather than one where a few of its words recur. Everything is HTML-escaped;
only our own `<mark>` tags are markup.
"""

from __future__ import annotations

import html
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, cast

from search_service.analysis import ELISIONS, TOKEN_PATTERN, language_analyzer
from search_service.articles import LANGUAGES, Language
from search_service.index.compiled_view import HIGHLIGHTED_CHARS
from search_service.text import APOSTROPHES, fold, fold_to_words, is_word_char

_WORD_RE: Final = re.compile(TOKEN_PATTERN)
#: What may separate two words of a name in a body: a space, a hyphen or an
#: apostrophe (a few of them), and an elision ("Côte d’Ivoire", "de l’État").
_NAME_GAP: Final = re.compile(
    rf"[\s\-\u2010\u2011'{APOSTROPHES}]{{1,3}}"
    rf"(?:(?:{'|'.join(sorted(ELISIONS, key=len, reverse=True))})['{APOSTROPHES}])?",
    re.IGNORECASE,
)
SNIPPET_CHARS: Final = 220
#: Letters of a stem that its word forms begin with (see `HighlightTerms.heads`).
_STEM_HEAD: Final = 3
#: Word forms snippets keep folded, per process (and as many stems, `_stems`): words of
#: the shown bodies that begin like the query's, so what visitors search for decides how
#: many come. On the 100k bench index, queries of one or two words of the corpus drawn at
#: random kept 22,700 folded forms and 52,000 stems after 20,000 searches, still growing,
#: about 140 bytes each: at the 200,000 of each kept before, some 50 MiB, a worker's whole
#: budget. Emptied when full (a word is folded again in about a µs, stemmed in two).
SNIPPET_WORDS_KEPT: Final = 32_768
_folded: dict[str, str] = {}


def _fold_word(word: str) -> str:
    """`fold(word)`, remembered (bounded) unless it is the word itself, unaccented and in
    lower case: most words of English bodies, which each worker would otherwise keep."""
    if word.islower() and word.isascii():
        return word
    found = _folded.get(word)
    if found is None:
        if len(_folded) >= SNIPPET_WORDS_KEPT:
            _folded.clear()
        folded = fold(word)
        found = _folded[word] = word if folded == word else folded
    return found


@dataclass(frozen=True, slots=True)
class NameWords:
    """A name to find whole in a body: its words in order, folded (elisions left out).

    `capitals`: the name is an acronym written in capitals ("AIM", "MUGEF-CI"), found
    only when written so ("we aim to" names nobody).
    """

    words: tuple[str, ...]
    capitals: bool = False


#: What a query makes of a written word (`HighlightTerms.judged`): its folded form, the
#: names that begin with it, and whether it matches on its own.
_Judged = tuple[str, Sequence[NameWords], bool]
#: What `HighlightTerms.names_from` gives a word that begins no name: one shared tuple, not
#: an empty list for each word a query judges.
_NO_NAMES: Final[tuple[NameWords, ...]] = ()


@dataclass(frozen=True, slots=True)
class HighlightTerms:
    """What counts as a match in a body: exact words, prefixes, stems per language.

    Each distinct written word is judged once per query (`judged`): bodies repeat
    their words, and the ten hits of a page share most of them. Only words that
    begin with one of the `heads` are judged at all.
    """

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    stems: dict[str, frozenset[str]] = field(default_factory=dict)
    names: tuple[NameWords, ...] = ()
    _judged: dict[tuple[str, str], _Judged] = field(default_factory=dict, compare=False)
    _heads: list[tuple[str, ...]] = field(default_factory=list, compare=False)
    _names_by_first: dict[str, list[NameWords]] = field(default_factory=dict, compare=False)

    def heads(self) -> tuple[str, ...]:
        """What a matching word begins with, folded: the shortest such beginnings.

        An exact word or a typed prefix begins the words it matches; a stem's first
        three letters begin nearly every word that stems to it (French "publication"
        stems to "publiqu", so more than three would miss it). A term holding a dot
        ("3.5") begins with its part before it: the folded copy searched has a space for
        the dot. Heads that begin with another head are left out: that one finds their
        words already.
        """
        if not self._heads:
            found = {term for term in self.exact | set(self.prefixes) if term}
            found |= {name.words[0] for name in self.names if name.words}
            found |= {
                stem[: min(_STEM_HEAD, max(2, len(stem) - 1))]
                for stems in self.stems.values()
                for stem in stems
                if stem
            }
            found = {_word_part(head) for head in found} - {""}
            ordered = sorted(found, key=len)
            kept = [h for i, h in enumerate(ordered) if not h.startswith(tuple(ordered[:i]))]
            self._heads.append(tuple(sorted(kept)))
        return self._heads[0]

    def names_from(self, first: str) -> Sequence[NameWords]:
        """The names whose first word is `first` (folded), longest first."""
        if not self._names_by_first and self.names:
            for name in sorted(self.names, key=lambda name: len(name.words), reverse=True):
                if name.words:
                    self._names_by_first.setdefault(name.words[0], []).append(name)
        return self._names_by_first.get(first, _NO_NAMES)

    def judged(self, word: str, lang: str) -> _Judged:
        """The written `word` of a body in `lang`: its folded form, the names that may begin
        with it, and whether it is a match on its own. Once the query has met the word,
        one dictionary lookup (three calls cost a snippet 7 % more instructions)."""
        found = self._judged.get((word, lang))
        if found is None:
            folded = _fold_word(word)
            found = (folded, self.names_from(folded), self._judge(word, folded, lang))
            self._judged[(word, lang)] = found
        return found

    def _judge(self, word: str, folded: str, lang: str) -> bool:
        if folded in self.exact:
            return True
        if self.prefixes and folded.startswith(self.prefixes):
            return True
        stems = self.stems.get(lang)
        if not stems:
            return False
        return _word_stem(word, folded, lang) in stems


#: Per language, a written word's stem: the folded word itself (the same string) when it
#: stems to it, "" when it has none (a stop word).
_stems: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
#: Words whose stem a language keeps: all three together as many as the fold cache.
_STEMS_LIMIT: Final = SNIPPET_WORDS_KEPT // len(LANGUAGES)


def _word_stem(word: str, folded: str, lang: str) -> str:
    """The stem of a written word, as the language's analyzer makes it; computed once per
    process (bounded per language), and kept in one dictionary entry: no key or value
    tuples, no second copy of the folded word."""
    known = _stems.get(lang)
    if known is None:  # not a language of the index: no stem to match
        return ""
    found = known.get(word)
    if found is None:
        if len(known) >= _STEMS_LIMIT:
            known.clear()
        language = cast(Language, lang)  # a key of `_stems`: one of LANGUAGES
        terms = language_analyzer(language).uncached_terms(word)
        stem = terms[0] if terms else ""
        found = known[word] = folded if stem == folded else stem
    return found


def make_snippet(
    body: str,
    terms: HighlightTerms,
    lang: str,
    size: int = SNIPPET_CHARS,
    folded_words: str | None = None,
    plain: bool = False,
) -> str:
    """An escaped passage of about `size` characters with matched words in `<mark>`.

    `folded_words`: the `text.fold_to_words` of the body's first `HIGHLIGHTED_CHARS`, when
    the index keeps it (a copy that does not fit is left aside). `plain`: that part of
    the body is `text.is_plain`, as the index knows (False: not known).
    """
    text = body[:HIGHLIGHTED_CHARS]
    if folded_words is not None and len(folded_words) != len(text):
        folded_words = None
    heads = terms.heads()
    matches = _matched_spans(text, terms, lang, heads, folded_words) if heads else []
    if not matches:
        return _escape_window(text, 0, size, [], plain=plain)
    start, keep = _best_window(text, matches, size)
    return _escape_window(text, start, size, matches, keep, plain)


#: A matched span of the body: start, end, what it matched (a folded word or a name's
#: words), and whether it is a whole name.
Span = tuple[int, int, str, bool]


def _matched_spans(
    text: str,
    terms: HighlightTerms,
    lang: str,
    heads: tuple[str, ...],
    folded_words: str | None = None,
) -> list[Span]:
    """Spans of matched names and words, in order, never overlapping.

    Candidates are the words that begin with one of `heads` (`terms.heads()`), found
    by `str.find` in the text's `folded_words` (`text.fold_to_words`); a candidate that
    begins a name found whole is that name (the words inside it are not looked at
    again); any other is a word, judged once per query.
    """
    spans: list[Span] = []
    covered = 0
    if folded_words is None:
        folded_words = _folded_text(text)
    for start in _candidate_starts(folded_words, heads):
        if start < covered:
            continue
        match = _WORD_RE.match(text, start)
        if match is None:
            continue
        folded, names, matched = terms.judged(match.group(), lang)
        name = _name_at(text, match, names) if names else None
        if name is not None:
            spans.append(name)
            covered = name[1]
        elif matched:
            spans.append((start, match.end(), folded, False))
    return spans


def _name_at(text: str, first: re.Match[str], names: Sequence[NameWords]) -> Span | None:
    """The longest of `names` written in `text` from the word `first` on, as a span."""
    for name in names:
        if name.capitals and not first.group().isupper():
            continue
        end = first.end()
        for expected in name.words[1:]:
            gap = _NAME_GAP.match(text, end)
            word = _WORD_RE.match(text, gap.end()) if gap is not None else None
            if word is None or _fold_word(word.group()) != expected:
                break
            if name.capitals and not word.group().isupper():
                break
            end = word.end()
        else:
            return (first.start(), end, " ".join(name.words), True)
    return None


def _candidate_starts(folded_words: str, heads: tuple[str, ...]) -> list[int]:
    """Sorted starts of the words of a text that begin with a head, found in its
    `folded_words` (`text.fold_to_words`), where a word begins at the start or after a space.

    A search of a space and each head runs in C: no look at what comes before each
    place a head is found (most are inside words), which cost 4 % of a snippet's
    instructions. No head begins with another (`HighlightTerms.heads`), so no two find
    the same start.
    """
    starts: list[int] = []
    find = folded_words.find
    for head in heads:
        if folded_words.startswith(head):
            starts.append(0)
        spaced = " " + head
        at = find(spaced)
        while at != -1:
            starts.append(at + 1)
            at = find(spaced, at + 1)
    if len(heads) > 1:
        starts.sort()
    return starts


def _word_part(head: str) -> str:
    """What a word that begins with `head` (folded) begins with in its folded copy: `head`
    up to its first character that belongs to no word ("3.5": "3")."""
    if head.isascii() and head.isalnum():
        return head
    for at, char in enumerate(head):
        if not is_word_char(char):
            return head[:at]
    return head


#: Bytes of bodies and their folded copies kept at most, per process (about 900
#: bodies of 2,000 characters): the hits of the popular queries. Bounded in bytes, not
#: in bodies, since a body may be up to `HIGHLIGHTED_CHARS` characters long.
FOLDED_TEXTS_BYTES: Final = 4 * 1024 * 1024


class FoldedTexts:
    """Folded copies of the bodies shown recently (`text.fold_to_words`), the least
    recently used forgotten first, for indexes that keep none (`make_snippet`'s
    `folded_words`).

    The same hits recur across queries, and folding a body is the costly part of
    finding its candidate words (30-50 µs for 2,000 characters). Each entry costs its
    body (the key, kept alive) and its folded copy: both count against `limit`.
    Thread-safe (a new generation is warmed up on a thread of its own).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def folded(self, text: str) -> str:
        with self._lock:
            found = self._entries.get(text)
            if found is not None:
                self._entries.move_to_end(text)
                return found
        found = fold_to_words(text)
        cost = _entry_bytes(text, found)
        if cost > self.limit:
            return found
        with self._lock:
            if text not in self._entries:
                self._entries[text] = found
                self.size += cost
                while self.size > self.limit:
                    old_text, old_folded = self._entries.popitem(last=False)
                    self.size -= _entry_bytes(old_text, old_folded)
        return found


def _entry_bytes(text: str, folded: str) -> int:
    return sys.getsizeof(text) + sys.getsizeof(folded)


_folded_texts: Final = FoldedTexts(FOLDED_TEXTS_BYTES)


def _folded_text(text: str) -> str:
    """`text.fold_to_words(text)`, kept a while."""
    return _folded_texts.folded(text)


def _best_window(text: str, spans: list[Span], size: int) -> tuple[int, int]:
    """The passage naming the most distinct names, then words, then matches.

    Returns where it starts and the end of its last match, which it must keep.
    """
    if len(spans) == 1:
        return _window_start(text, spans[0][0], spans[0][1], size), spans[0][1]
    best_key = (-1, -1, -1)
    best_left = best_right = 0
    right = 0
    count = len(spans)
    for left in range(count):
        reached = right
        if right <= left:
            right = left + 1
        while right < count and spans[right][1] - spans[left][0] <= size:
            right += 1
        if right == reached:
            # The window lost its first span and gained none: it holds fewer of every
            # kind than the one before, which was weighed already.
            continue
        window = spans[left:right]
        names = {matched for _, _, matched, is_name in window if is_name}
        words = {matched for _, _, matched, is_name in window if not is_name}
        key = (len(names), len(words), len(window))
        if key > best_key:
            best_key, best_left, best_right = key, left, right
    first, last = spans[best_left][0], spans[best_right - 1][1]
    return _window_start(text, first, last, size), last


def _window_start(text: str, first: int, last: int, size: int) -> int:
    """A little before the first match, at a word boundary, for context, but not so early
    that the last match of the window falls out of the passage."""
    start = first - size // 4
    if last - size > start:
        start = last - size
    if start <= 0:
        return 0
    space = text.find(" ", start, first)
    return space + 1 if space != -1 else first


def _escape_window(
    text: str, start: int, size: int, spans: list[Span], keep: int = 0, plain: bool = False
) -> str:
    """The passage from `start`, about `size` long and through `keep` at least, marked
    (`plain`: `text` is `text.is_plain`).

    Comparisons, not `min` and `max`: their calls were 5 % of a snippet's instructions.
    """
    length = len(text)
    end = start + size if start + size > keep else keep
    if end < length:
        space = text.rfind(" ", start if start > keep else keep, end)
        if space > start:
            end = space
    out: list[str] = ["…"] if start > 0 else []
    cursor = start
    for span_start, span_end, _, _ in spans:
        if span_start < start or span_end > end:
            continue
        out.append(_escaped(text[cursor:span_start]))
        out.append("<mark>" + _escaped(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    out.append(_escaped(text[cursor:end]))
    if end < length:
        out.append("…")
    return _collapsed("".join(out), plain)


def _collapsed(passage: str, plain: bool = False) -> str:
    """`" ".join(passage.split())`: each run of whitespace one space, none at the ends.

    Splitting a passage into its words and joining them again was about a fifth of a
    snippet's instructions. Bodies keep their line breaks (a paragraph's lines one
    "\n" apart, paragraphs "\n\n"), which are made spaces by `str.replace`; a passage
    that then holds no other whitespace than single spaces between words (no
    whitespace but " " is printable) is that already. Any other is split and joined.
    A passage of a `plain` body, with its marks and escapes, is printable: not looked
    through again (`str.isprintable` was 6 % of a snippet's instructions).
    """
    if "\n" in passage:
        passage = passage.replace("\n\n", " ").replace("\n", " ")
    if (
        (plain or passage.isprintable())
        and "  " not in passage
        and not passage.startswith(" ")
        and not passage.endswith(" ")
    ):
        return passage
    return " ".join(passage.split())


def _escaped(text: str) -> str:
    """`html.escape(text, quote=True)`, without its five replacements when `text` has none
    of the characters they replace (most of a passage)."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text, quote=True)
    return text
