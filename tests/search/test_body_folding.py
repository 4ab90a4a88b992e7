"""Folding a body for snippets: lower case and no accents, character for character; what
is no word a space; whether it is plain."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.text import (
    _ACCENT_TABLE,
    fold_same_length,
    fold_to_words,
    is_plain,
    is_word_char,
    space_non_words,
)

#: Letters, digits and punctuation of Latin-1 and beyond, combining accents, apostrophes
#: (ʼ a letter to `isalnum`), whitespace of every kind, controls, a lone surrogate.
BODY_TEXT = st.text(
    alphabet="aZé9É_ß.,’ʼ'łŁİ\u0301\u0250—\u00ad \n\t\r\u00a0\u2028\u202f\x00\x85\x7f\ud800xyz«»",
    max_size=60,
)


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


def test_every_code_point_is_a_space_in_the_words_copy_unless_it_belongs_to_a_word() -> None:
    text = "".join(chr(code) for code in range(0x110000))  # lone surrogates included
    folded = fold_same_length(text)
    expected = "".join(char if is_word_char(char) else " " for char in folded)
    assert fold_to_words(text) == expected


@settings(max_examples=500, deadline=None)
@given(BODY_TEXT)
def test_the_words_copy_is_the_folded_body_with_spaces_for_what_is_no_word(text: str) -> None:
    """Latin-1 bodies take a byte table, the others an array of code points: both as the
    definition says."""
    folded = fold_same_length(text)
    assert fold_to_words(text) == "".join(char if is_word_char(char) else " " for char in folded)


def test_respacing_a_body_folded_by_fold_same_length_gives_its_words_copy() -> None:
    """What a view before version 3 kept, made what snippets search, for every code point."""
    text = "".join(chr(code) for code in range(0x110000))
    assert space_non_words(fold_same_length(text)) == fold_to_words(text)


@settings(max_examples=500, deadline=None)
@given(BODY_TEXT)
def test_respacing_any_folded_body_gives_its_words_copy(text: str) -> None:
    assert space_non_words(fold_same_length(text)) == fold_to_words(text)


@settings(max_examples=500, deadline=None)
@given(BODY_TEXT)
def test_a_body_is_plain_when_only_its_line_breaks_are_unprintable(text: str) -> None:
    assert is_plain(text) == text.replace("\n", "").isprintable()


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        ("Les enseignants\nse sont réunis.\n\nLa mutuelle aussi.", True),
        ("Łódź, d’Ivoire — « santé »", True),  # beyond Latin-1, printable
        ("Les\tenseignants", False),
        ("Les\u00a0enseignants", False),  # a no-break space is whitespace, not printable
        ("Les enseignants\u00ad", False),  # a soft hyphen is not printable
        ("Łódź\u2028Abidjan", False),
    ],
)
def test_a_plain_body_holds_no_whitespace_but_spaces_and_line_breaks(
    body: str, plain: bool
) -> None:
    assert is_plain(body) is plain
