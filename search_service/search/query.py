"""Safe parsing of what a visitor types: words, "quoted phrases" and -exclusions.

There is no query syntax error: anything that is not a well-formed phrase or
exclusion is searched as plain words. Unbalanced quotes close at the end of the
query, lone symbols (`-`, `*`, `?`, `+`…) are ignored because they yield no word,
`AND`/`OR`/`NOT` are no operators but the words "and", "or", "not", control
characters are spaces, and words beyond the configured maximum are dropped
(counted in `ParsedQuery.dropped`, so the response can say so). Words are the
neutral analyzer's terms (folded, elisions dropped), so case, accents and
apostrophes never matter. How long a query may be at all is `MAX_QUERY_BYTES`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from search_service.analysis import analyze_neutral
from search_service.errors import QueryError
from search_service.text import WORD_RE

#: A phrase (closing quote optional), or a run of non-space characters; each may
#: start with `-` (exclusion). Typographic quotes count as quotes.
_PART_RE: Final = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_QUOTES: Final = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "„": '"'})
#: Longest query accepted, in bytes of UTF-8: a pasted paragraph fits (about 600
#: words of English), and its percent-encoded URL (at most 3 × this) stays well
#: under the 16 KiB of request head that HTTP servers commonly accept.
MAX_QUERY_BYTES: Final = 4096
#: More characters than this are never looked at (a character is at least one byte,
#: so a query within `MAX_QUERY_BYTES` is never cut).
MAX_QUERY_CHARS: Final = MAX_QUERY_BYTES


@dataclass(frozen=True, slots=True)
class QueryPart:
    """One unit of a query: a word, or a phrase of several words matched in order.

    `prefix` marks the last word of a query typed without a trailing space: it
    also matches the words it begins. `start`/`end` locate the part in the
    cleaned query text (used to map vocabulary names onto parts).
    """

    terms: tuple[str, ...]
    excluded: bool = False
    quoted: bool = False
    prefix: bool = False
    start: int = 0
    end: int = 0
    original: str = ""

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query reduced to its parts; `text` is the cleaned text the offsets refer to.

    `typed` is the query as the visitor typed it; cleaning replaces characters one
    for one, so the offsets hold in it too.
    """

    text: str
    parts: tuple[QueryPart, ...]
    typed: str = field(default="", compare=False, repr=False)
    #: Words left out because the query had more than the maximum.
    dropped: int = 0

    @property
    def positive(self) -> tuple[QueryPart, ...]:
        return tuple(part for part in self.parts if not part.excluded)

    @property
    def excluded(self) -> tuple[QueryPart, ...]:
        return tuple(part for part in self.parts if part.excluded)

    @property
    def is_empty(self) -> bool:
        return not self.positive

    @property
    def has_no_words(self) -> bool:
        """Text was typed but none of it is a word: only symbols, punctuation, emoji."""
        return not self.parts and bool(self.text.strip())

    def retyped(self, replacements: Mapping[str, str]) -> str:
        """The query as typed with the words of some terms replaced, all else kept.

        Only words searched on their own are replaced (not words of a phrase, nor
        exclusions), each in the case it was typed in ("Conferense" -> "Conference");
        quotes, exclusions, punctuation and the other words stay as typed. Spacing is
        normalised (one space; control characters are spaces, as when parsing).
        """
        typed = self.typed if len(self.typed) == len(self.text) else self.text
        shown = "".join(" " if c == " " else t for t, c in zip(typed, self.text, strict=True))
        pieces: list[str] = []
        at = 0
        for part in self.positive:
            new = replacements.get(part.terms[0]) if len(part.terms) == 1 else None
            if new is None:
                continue
            start, end = _word_span(shown, part)
            pieces += [shown[at:start], _in_case_of(shown[start:end], new)]
            at = end
        pieces.append(shown[at:])
        return " ".join("".join(pieces).split())

    def normalized(self) -> str:
        """A canonical form of the query, used as a cache key."""
        out = []
        for part in self.parts:
            words = " ".join(part.terms)
            if part.quoted:
                words = f'"{words}"'
            if part.prefix:
                words += "*"
            out.append(("-" if part.excluded else "") + words)
        return " ".join(out)


def check_query_length(text: str) -> None:
    """Refuse a query longer than `MAX_QUERY_BYTES` (QueryError `query_too_long`)."""
    if len(text) <= MAX_QUERY_BYTES // 4:  # no character takes more than 4 bytes
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_QUERY_BYTES:
        raise QueryError(
            f"the query is {size:,} bytes long (UTF-8); at most {MAX_QUERY_BYTES:,} are "
            "accepted: shorten it",
            code="query_too_long",
        )


def clean_query_text(text: str) -> str:
    """Control and format characters become spaces; typographic quotes become `"`.

    A printable text holds none of them (`str.isprintable` is false for each of these
    categories) and is returned as it is, without a look at each character.
    """
    text = text[:MAX_QUERY_CHARS].translate(_QUOTES)
    if text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch for ch in text
    )


def parse_query(text: str, max_words: int) -> ParsedQuery:
    """Parse a visitor's query; never raises on any string."""
    cleaned = clean_query_text(text)
    parts: list[QueryPart] = []
    words = dropped = 0
    for match in _PART_RE.finditer(cleaned):
        excluded = match.group(1) == "-"
        quoted = match.group(2) is not None
        raw = match.group(2) if quoted else match.group(3)
        found = tuple(analyze_neutral(raw or ""))
        terms = found[: max(0, max_words - words)]
        if len(terms) < len(found):  # the limit: the rest is only counted, in one pass
            dropped = len(found) - len(terms) + len(analyze_neutral(cleaned[match.end() :]))
        if terms:
            words += len(terms)
            parts.append(
                QueryPart(
                    terms=terms,
                    excluded=excluded,
                    quoted=quoted,
                    start=match.start(),
                    end=match.end(),
                    original=raw or "",
                )
            )
        if dropped:
            break
    parts = _mark_prefix(parts, cleaned)
    return ParsedQuery(
        text=cleaned, parts=tuple(parts), typed=text[:MAX_QUERY_CHARS], dropped=dropped
    )


def _word_span(text: str, part: QueryPart) -> tuple[int, int]:
    """Where the word of a one-word part lies in the text (without quotes, elision…)."""
    for match in WORD_RE.finditer(text, part.start, part.end):
        if part.terms[0] in analyze_neutral(match.group()):
            return match.span()
    start = text.find(part.original, part.start, part.end)
    return (start, start + len(part.original)) if start >= 0 else (part.start, part.end)


def _in_case_of(written: str, word: str) -> str:
    """`word` in the case of `written`: "MASMUT", "Masmut" or as is."""
    if len(written) > 1 and written.isupper():
        return word.upper()
    if written[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _mark_prefix(parts: list[QueryPart], text: str) -> list[QueryPart]:
    """The last word, if it is a plain word at the very end of the text, is a prefix."""
    if not parts:
        return parts
    last = parts[-1]
    at_end = last.end == len(text.rstrip()) and not text[last.end :].strip()
    typed_on = at_end and len(text) == len(text.rstrip())
    # "…properties." ends a sentence: a word followed by punctuation is complete.
    ends_in_word = bool(last.original) and (last.original[-1].isalnum())
    if last.excluded or last.quoted or last.is_phrase or not typed_on or not ends_in_word:
        return parts
    parts[-1] = QueryPart(
        terms=last.terms,
        excluded=False,
        quoted=False,
        prefix=True,
        start=last.start,
        end=last.end,
        original=last.original,
    )
    return parts
