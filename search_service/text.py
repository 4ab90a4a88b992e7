"""Text normalisation shared by the vocabulary, the pages, the analyzers, the query
parser and the snippets.

One definition of "the same word" for the whole project: case, accents and the
shape of apostrophes never matter; what a word is (`WORD_RE`); and how a name is
written in title case (`capitalised_as_name`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt

APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07"
_APOSTROPHE_TABLE = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
#: Apostrophes that regular expressions take for letters (`\w`): ʼ (U+02BC) is a modifier
#: letter, so a word pattern would read "dʼIvoire" as one word where "d’Ivoire" is two.
LETTER_APOSTROPHES: Final = "".join(ch for ch in APOSTROPHES if re.fullmatch(r"\w", ch))
_APOSTROPHE_RE: Final = re.compile(f"[{re.escape(APOSTROPHES)}]")
# Letters that NFKD does not decompose into a base letter plus an accent.
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l"})
_SPECIAL_LETTER_RE: Final = re.compile(f"[{re.escape(''.join(map(chr, _SPECIAL_LETTERS)))}]")
#: The marks Latin letters decompose into (U+0300-U+036F), but for the grapheme joiner
#: U+034F, which is none (its combining class is 0).
_LATIN_MARKS_RE: Final = re.compile("[\u0300-\u034e\u0350-\u036f]+")

_LETTER = rf"[^\W_{LETTER_APOSTROPHES}]"
#: A word as the vocabulary and the query parser cut text: letters and digits (with
#: combining accents, for text that is not NFC); `_`, apostrophes and all else separate.
WORD_PATTERN: Final = rf"{_LETTER}+(?:[\u0300-\u036f]+{_LETTER}*)*"
WORD_RE: Final = re.compile(WORD_PATTERN)

#: Articles and "of"/"and" of English, French and Spanish (folded): they stay in lower
#: case in a line written in title case ("Vie de l'association", "News of the Network").
HEADING_CONNECTORS: Final = frozenset(
    "d de del des du l la le el los las of the and et y".split()  # noqa: SIM905
)
#: Those and the short prepositions, which also stay in lower case inside an
#: organisation's name ("Schools for Health in Europe", "Ligue de l'enseignement").
NAME_CONNECTORS: Final = HEADING_CONNECTORS | frozenset(
    "da do dos di van von for pour para a al au aux en in on at to with sur por con e".split()  # noqa: SIM905
)


def normalize_apostrophes(text: str) -> str:
    """Turn every apostrophe-like character into a plain ASCII `'`.

    Looked for first: `str.translate` with a table looks every character up (1.5 µs
    for a query of 22 characters, the search 0.2).
    """
    return text.translate(_APOSTROPHE_TABLE) if _APOSTROPHE_RE.search(text) else text


def normalize_letter_apostrophes(text: str) -> str:
    """`text` with the apostrophes `\\w` takes for letters made plain `'`, length kept.

    For tokenizers whose word pattern is built on `\\w`: "dʼIvoire" then gives two
    words as "d’Ivoire" does. Offsets into the result hold in `text`. Much cheaper
    than `normalize_apostrophes` on a whole body: the usual text holds no such
    character, and looking for one is a scan in C.
    """
    for apostrophe in LETTER_APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text


def strip_accents(text: str) -> str:
    """Remove combining marks: "Côte" -> "Cote" (case kept).

    Latin accents decompose into marks of one block, which one regular expression
    removes; only text still holding other characters than ASCII then (other scripts,
    their marks) is gone through a character at a time.
    """
    if text.isascii():
        return text
    stripped = _LATIN_MARKS_RE.sub("", unicodedata.normalize("NFKD", text))
    if stripped.isascii():
        return stripped
    return "".join(ch for ch in stripped if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form: "Côte d’Ivoire" -> "cote d'ivoire"."""
    if text.isascii():  # no accent, no special letter: the same result, ten times faster
        return text.replace("`", "'").lower()
    lowered = normalize_apostrophes(text).casefold()
    if _SPECIAL_LETTER_RE.search(lowered):
        lowered = lowered.translate(_SPECIAL_LETTERS)
    return strip_accents(lowered)


def fold_same_length(text: str) -> str:
    """`text` lower-cased and without accents, character for character: same offsets as the input.

    For finding folded words in a body by `str.find` and mapping the offsets back to
    what was written. Unlike `fold`, letters whose folded form is longer (ß, œ, æ, İ)
    are kept as they are. Only letters are meant to be compared: other characters may
    change (punctuation beyond Latin-1, "’" or "–", comes out as "?"). Most
    bodies are ASCII or Latin-1 plus punctuation, folded by a byte table in C; other
    letters of the Latin alphabets take a slower per-character table.
    """
    if text.isascii():
        return text.lower()
    latin1 = _latin1_bytes(text)
    if latin1 is not None:
        return latin1.translate(_LATIN1_FOLD).decode("latin-1")
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(char if len(low := char.lower()) > 1 else low for char in text)
    return _fold_accents(lowered)


def is_word_char(char: str) -> bool:
    """Does `char` belong to a word, as the analyzers cut text: a letter or digit, `_`, or
    a combining accent?

    ʼ is a letter to `isalnum` but an apostrophe here, as to the analyzers: "dʼIvoire"
    holds the word "Ivoire" (bodies with letters beyond Latin-1 keep it when folded).
    """
    if char in LETTER_APOSTROPHES:
        return False
    return char.isalnum() or char == "_" or "\u0300" <= char <= "\u036f"


def fold_to_words(text: str) -> str:
    """`fold_same_length(text)` with each character that belongs to no word
    (`is_word_char`) made a space: same offsets as the input.

    What snippets search a body for the words that begin like a query's: a word begins
    at the start or after a space, so one `str.find` of a space and the beginning finds
    them, with no look at the character before each place it is found inside a word.
    Latin-1 text takes one byte table for both (folding and spacing); other text is
    folded, then spaced as an array of code points, each distinct one beyond Latin-1
    asked once (a regex's character class cost about four times the folding).
    """
    latin1 = _latin1_bytes(text)
    if latin1 is not None:
        return latin1.translate(_LATIN1_WORDS).decode("latin-1")
    return space_non_words(fold_same_length(text))


def space_non_words(text: str) -> str:
    """`text` with each character that belongs to no word (`is_word_char`) made a space:
    `fold_to_words` of a body from its `fold_same_length`, which views before version 3
    kept (respaced, not folded again: folding twice is not always folding once)."""
    try:
        return text.encode("latin-1").translate(_LATIN1_SPACES).decode("latin-1")
    except UnicodeEncodeError:
        pass
    codes = _code_points(text)
    latin = codes <= 0xFF
    others, which = np.unique(codes[~latin], return_inverse=True)
    in_words = np.array([is_word_char(chr(code)) for code in others.tolist()], dtype=bool)
    spaced = codes.copy()
    spaced[latin] = _LATIN1_SPACE_CODES[codes[latin]]
    spaced[~latin] = np.where(in_words[which], codes[~latin], 32)
    return spaced.tobytes().decode("utf-32-le", "surrogatepass")


def is_plain(text: str) -> bool:
    """Does `text` hold no whitespace but spaces and line breaks, and nothing unprintable?

    `text.replace("\n", "").isprintable()`: a snippet cut from such a body needs no
    look at the printability of its passage (about 6 % of its instructions). The build
    asks it of every body, so its Latin-1 characters are looked through by a byte table
    in C (`bytes.translate` deletes the bytes that may be there; none must be left) and
    only the others (a few "’" or "–" in most bodies) by `isprintable`, which costs
    about 25 instructions a character.
    """
    try:
        latin1 = text.encode("latin-1")
    except UnicodeEncodeError:
        codes = _code_points(text)
        others = codes[codes > 0xFF].tobytes().decode("utf-32-le", "surrogatepass")
        if not others.isprintable():
            return False
        latin1 = text.encode("latin-1", errors="replace")  # the others as "?"
    return not latin1.translate(None, _PLAIN_LATIN1)


def _latin1_bytes(text: str) -> bytes | None:
    """`text` in Latin-1 (other characters as "?") unless it holds letters beyond Latin-1.

    A text all in Latin-1 is encoded as it is (a copy); any other is looked through
    as an array of code points (a regex's character class cost about fifty
    instructions per character of a body).
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        if _holds_letters_beyond_latin1(_code_points(text)):
            return None
        return text.encode("latin-1", errors="replace")


def _code_points(text: str) -> npt.NDArray[np.uint32]:
    """The code points of `text` (lone surrogates included, as they are)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _holds_letters_beyond_latin1(codes: npt.NDArray[np.uint32]) -> bool:
    """Letters of Latin Extended-A/B (U+0100-U+024F) or combining accents (U+0300-U+036F)?"""
    extended = (codes >= 0x100) & (codes <= 0x24F)
    return bool(extended.any()) or bool(((codes >= 0x300) & (codes <= 0x36F)).any())


def _fold_accents(text: str) -> str:
    """`text.translate(_ACCENT_TABLE)`, by an array lookup of its code points.

    `str.translate` looks each character up in the table's dict (about thirty
    instructions per character of a body); here every code point below the table's
    end is mapped at once. Lone surrogates pass through, as in `translate`.
    """
    codes = _code_points(text)
    mapped = codes.copy()
    low = codes < _ACCENT_CODES.size
    mapped[low] = _ACCENT_CODES[codes[low]]
    return mapped.tobytes().decode("utf-32-le", "surrogatepass")


def capitalised_as_name(words: Iterable[str], connectors: frozenset[str] = NAME_CONNECTORS) -> bool:
    """Is each word capitalised, but for connectors (compared folded)?

    How a name or a heading is written in title case ("Schools for Health in Europe",
    "Home » News of the Network"), as opposed to the same words in a sentence.
    """
    return all(word[:1].isupper() or fold(word) in connectors for word in words)


def _accent_table() -> dict[int, str]:
    """Accented Latin lower-case letters -> their base letter: "é" -> "e"."""
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = fold(char)
        if char.islower() and len(base) == 1 and base.isascii() and base.isalpha():
            table[code] = base
    return table


def _latin1_fold() -> bytes:
    """The byte table of `fold_same_length` for Latin-1 text: "É" -> "e", "ß" kept."""
    out = bytearray(range(256))
    for code in range(256):
        lowered = chr(code).lower()
        if len(lowered) == 1 and ord(lowered) < 256:
            base = fold(lowered)
            out[code] = ord(base) if len(base) == 1 and base.isascii() else ord(lowered)
    return bytes(out)


def _latin1_words(folded: bytes) -> bytes:
    """The byte table `folded` (`_LATIN1_FOLD`: `fold_to_words`'; none:
    `space_non_words`'), then " " for each byte that belongs to no word."""
    return bytes(code if is_word_char(chr(code)) else ord(" ") for code in folded)


def _accent_codes(table: dict[int, str]) -> npt.NDArray[np.uint32]:
    """`table` as an array: code point -> code point, up to the last one it maps."""
    codes = np.arange(max(table) + 1, dtype=np.uint32)
    for code, base in table.items():
        codes[code] = ord(base)
    return codes


_LATIN1_FOLD: Final = _latin1_fold()
_LATIN1_WORDS: Final = _latin1_words(_LATIN1_FOLD)
_LATIN1_SPACES: Final = _latin1_words(bytes(range(256)))
#: `_LATIN1_SPACES` as an array, for text beyond Latin-1 spaced by code point.
_LATIN1_SPACE_CODES: Final = np.frombuffer(_LATIN1_SPACES, dtype=np.uint8)
#: The Latin-1 bytes a plain text may hold (`is_plain`).
_PLAIN_LATIN1: Final = bytes(
    code for code in range(256) if chr(code).isprintable() or chr(code) == "\n"
)
_ACCENT_TABLE: Final = _accent_table()
_ACCENT_CODES: Final = _accent_codes(_ACCENT_TABLE)
