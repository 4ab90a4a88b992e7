"""The query parser never fails and reduces any text to words, phrases and exclusions."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_service.analysis import analyze_neutral
from search_service.errors import QueryError
from search_service.search import query
from search_service.search.query import (
    MAX_QUERY_BYTES,
    MAX_QUERY_CHARS,
    check_query_length,
    clean_query_text,
    parse_query,
)


def test_words_are_folded_and_elisions_dropped() -> None:
    parsed = parse_query("Côte D’Ivoire ", max_words=10)
    assert [part.terms for part in parsed.parts] == [("cote",), ("ivoire",)]


def test_the_modifier_letter_apostrophe_separates_words_like_the_others() -> None:
    """ʼ (U+02BC) is a letter to `\\w`: "dʼIvoire" must still give the word "ivoire"."""
    assert analyze_neutral("Côte dʼIvoire") == ["cote", "ivoire"]
    parsed = parse_query("Côte dʼIvoire ", max_words=10)
    assert [part.terms for part in parsed.parts] == [("cote",), ("ivoire",)]


def test_quoted_phrase_and_exclusion() -> None:
    parsed = parse_query('"mutual society" -abidjan teachers', max_words=10)
    phrase, excluded, word = parsed.parts
    assert phrase.terms == ("mutual", "society") and phrase.quoted
    assert excluded.terms == ("abidjan",) and excluded.excluded
    assert word.terms == ("teachers",) and word.prefix


def test_unbalanced_quote_closes_at_the_end() -> None:
    parsed = parse_query('health "mutual society', max_words=10)
    assert parsed.parts[-1].terms == ("mutual", "society")
    assert parsed.parts[-1].quoted


def test_lone_operators_and_wildcards_are_ignored() -> None:
    parsed = parse_query('- * ? + "" AND ( ) teachers*', max_words=10)
    assert [part.terms for part in parsed.positive][-1] == ("teachers",)
    assert all(part.terms != ("",) for part in parsed.parts)


def test_control_characters_are_spaces() -> None:
    parsed = parse_query("health\x00insurance\x1b", max_words=10)
    assert [part.terms for part in parsed.parts] == [("health",), ("insurance",)]


#: Characters of each category the cleaning looks at, and printable ones beside them.
_UNPRINTABLE_OR_NOT = st.characters(
    categories=("Cc", "Cf", "Zl", "Zp", "Cs", "Zs", "Co", "Cn", "Ll", "Lu", "Mn", "Pi", "Pf", "Nd")
)


@given(st.text(_UNPRINTABLE_OR_NOT, max_size=40))
def test_cleaning_a_query_makes_each_control_or_format_character_a_space(text: str) -> None:
    """The rule a character at a time, whichever way `clean_query_text` takes."""
    expected = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch
        for ch in text[:MAX_QUERY_CHARS].translate(query._QUOTES)
    )
    assert clean_query_text(text) == expected


def test_only_the_last_word_typed_without_a_space_is_a_prefix() -> None:
    assert parse_query("health insur", max_words=10).parts[-1].prefix
    assert not parse_query("health insur ", max_words=10).parts[-1].prefix
    assert not parse_query('"health insur"', max_words=10).parts[-1].prefix


def test_words_beyond_the_maximum_are_dropped() -> None:
    parsed = parse_query("a b c d e f g h", max_words=3)
    assert sum(len(part.terms) for part in parsed.parts) == 3


def test_huge_queries_are_bounded() -> None:
    parsed = parse_query("word " * 10_000, max_words=32)
    assert len(parsed.parts) == 32


@given(st.text())
def test_any_text_parses(text: str) -> None:
    parsed = parse_query(text, max_words=32)
    assert sum(len(part.terms) for part in parsed.parts) <= 32
    assert all(all(term for term in part.terms) for part in parsed.parts)


def test_words_past_the_maximum_are_counted_as_dropped() -> None:
    parsed = parse_query('one two "three four five" six -seven ★', max_words=3)
    assert [part.terms for part in parsed.parts] == [("one",), ("two",), ("three",)]
    assert parsed.dropped == 4  # four, five, six, seven; the star is no word


def test_a_query_within_the_maximum_drops_nothing() -> None:
    assert parse_query("one two three", max_words=3).dropped == 0


def test_the_last_kept_word_of_a_cut_query_is_no_prefix() -> None:
    parsed = parse_query("health insurance teach", max_words=2)
    assert not any(part.prefix for part in parsed.parts)


def test_only_symbols_and_emoji_hold_no_words_but_blank_text_is_no_query_at_all() -> None:
    assert parse_query("😀 ★ *** ?!", max_words=32).has_no_words
    assert parse_query('""', max_words=32).has_no_words
    assert not parse_query("", max_words=32).has_no_words
    assert not parse_query(" \t\x00 ", max_words=32).has_no_words
    assert not parse_query("-teachers", max_words=32).has_no_words


def test_queries_up_to_the_byte_limit_are_accepted_and_longer_ones_refused() -> None:
    check_query_length("a" * MAX_QUERY_BYTES)
    check_query_length("é" * (MAX_QUERY_BYTES // 2))  # two bytes each in UTF-8
    with pytest.raises(QueryError) as refused:
        check_query_length("é" * (MAX_QUERY_BYTES // 2 + 1))
    assert refused.value.code == "query_too_long"
    assert f"{MAX_QUERY_BYTES:,}" in str(refused.value)


def test_a_query_at_the_byte_limit_is_parsed_whole() -> None:
    text = "word " * (MAX_QUERY_BYTES // 5 - 1) + "last"
    parsed = parse_query(text, max_words=10_000)
    assert parsed.parts[-1].terms == ("last",)
