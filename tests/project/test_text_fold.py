"""`text.fold` and its parts give what the folding rule, applied a character at a time,
gives: their shortcuts (ASCII text, Latin accents, apostrophes and special letters
looked for before they are replaced) change no result."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from search_service.text import (
    _SPECIAL_LETTERS,
    APOSTROPHES,
    fold,
    normalize_apostrophes,
    strip_accents,
)


def without_marks(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def folded_by_the_rule(text: str) -> str:
    plain = "".join("'" if ch in APOSTROPHES else ch for ch in text)
    return without_marks(plain.casefold().translate(_SPECIAL_LETTERS))


#: What the shortcuts turn on: Latin letters with accents, marks alone, the grapheme
#: joiner (in the Latin marks' block, but no mark), other scripts and their marks, the
#: special letters, every apostrophe.
TRICKY = (
    "aeiouAEIOUcnyCé\u00e9\u00c9\u00f1\u00e7\u00fc\u00e0\u0153\u0152\u00df\u1e9e\u00e6"
    "\u00f8\u0111\u0142\u0141\u0130\u0131\u0301\u0300\u0327\u0303\u034f\u0350\u036f"
    "\u05b0\u05d0\u093c\u0915\u0652\u0627\u3099\u304b\u1dc0\u20d0\ufb01\u2163 ." + APOSTROPHES
)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_by_the_rule(text: str) -> None:
    assert fold(text) == folded_by_the_rule(text)


@given(st.text(alphabet=st.sampled_from(TRICKY)) | st.text())
def test_any_text_folds_as_by_the_rule(text: str) -> None:
    assert fold(text) == folded_by_the_rule(text)
    assert strip_accents(text) == without_marks(text)
    assert normalize_apostrophes(text) == "".join("'" if ch in APOSTROPHES else ch for ch in text)


def test_the_grapheme_joiner_among_the_latin_marks_is_kept_as_no_mark() -> None:
    assert strip_accents("e\u034f\u0301x") == "e\u034fx"


def test_the_grave_accent_of_ascii_is_an_apostrophe_and_capitals_are_lower_case() -> None:
    assert fold("L`ECOLE d'Abidjan") == "l'ecole d'abidjan"
    assert fold("Côte d’Ivoire") == "cote d'ivoire"
    assert fold("Œuvre ÆSTHETIC Straße Łódź") == "oeuvre aesthetic strasse lodz"
