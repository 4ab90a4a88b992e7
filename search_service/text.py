"""Text normalisation shared by the vocabulary, the analyzers and the query parser.

One definition of "the same word" for the whole project: case, accents and the
shape of apostrophes never matter.
"""

from __future__ import annotations

import unicodedata

APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07"
_APOSTROPHE_TABLE = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
# Letters that NFKD does not decompose into a base letter plus an accent.
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l"})


def normalize_apostrophes(text: str) -> str:
    """Turn every apostrophe-like character into a plain ASCII `'`."""
    return text.translate(_APOSTROPHE_TABLE)


def strip_accents(text: str) -> str:
    """Remove combining marks: "Côte" -> "Cote" (case kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form: "Côte d’Ivoire" -> "cote d'ivoire"."""
    lowered = normalize_apostrophes(text).casefold().translate(_SPECIAL_LETTERS)
    return strip_accents(lowered)
