"""Folding a body for snippets: lower case and no accents, character for character."""

from __future__ import annotations

import random

from search_service.text import _ACCENT_TABLE, fold_same_length


def test_every_code_point_folds_as_the_accent_table_says() -> None:
    text = "".join(chr(code) for code in range(0x110000))  # lone surrogates included
    lowered = "".join(c if len(low := c.lower()) > 1 else low for c in text)
    assert fold_same_length(text) == lowered.translate(_ACCENT_TABLE)


def test_folded_bodies_keep_their_offsets_whatever_their_letters() -> None:
    rng = random.Random(7)
    alphabet = "aéÉßœŒłŁőŐčČ’—İ\u0301 xyzÀÿ"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80)))
        folded = fold_same_length(text)
        assert len(folded) == len(text)


def test_latin1_bodies_lose_case_and_accents() -> None:
    assert fold_same_length("Éducation à Genève, Ærø") == "education a geneve, æro"


def test_bodies_beyond_latin1_lose_case_and_accents() -> None:
    assert fold_same_length("Łódź: Œuvre d’Ébène") == "lodz: œuvre d’ebene"


def test_one_letter_beyond_latin1_keeps_the_other_characters_of_a_body() -> None:
    assert fold_same_length("Été’\u0100") == "ete’a"
    assert fold_same_length("Été’\u024f") == "ete’\u024f"
    assert fold_same_length("Été’\u0300") == "ete’\u0300"
    assert fold_same_length("Été’\u036f") == "ete’\u036f"


def test_other_characters_beyond_latin1_alone_are_replaced() -> None:
    assert fold_same_length("Été’\u0250") == "ete??"
    assert fold_same_length("Été’\u02ff") == "ete??"
