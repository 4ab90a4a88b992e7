"""`text.fold`'s shortcut for ASCII text gives what the full folding gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search_service.text import _SPECIAL_LETTERS, fold, normalize_apostrophes, strip_accents


def folded_the_long_way(text: str) -> str:
    return strip_accents(normalize_apostrophes(text).casefold().translate(_SPECIAL_LETTERS))


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_by_the_full_rule(text: str) -> None:
    assert fold(text) == folded_the_long_way(text)


def test_the_grave_accent_of_ascii_is_an_apostrophe_and_capitals_are_lower_case() -> None:
    assert fold("L`ECOLE d'Abidjan") == "l'ecole d'abidjan"
    assert fold("Côte d’Ivoire") == "cote d'ivoire"
