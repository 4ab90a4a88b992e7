"""The term tables and word lists of compiled views."""

from __future__ import annotations

from search_service.index.term_table import WordFrequencies

#: Words of one, two, three and four UTF-8 bytes a letter, and two of one length.
WORDS = {"zèbre": 4, "zebra": 9, "école": 2, "ñandú": 1, "€uro": 8, "x😀": 5, "a": 7, "über": 6}


def test_words_given_as_utf8_are_those_given_as_text_in_code_point_order() -> None:
    """A view's exact words come from term tables as UTF-8 bytes: sorted as bytes, they are
    in the order of their code points, the order `find` and typo correction expect."""
    encoded = {word.encode("utf-8"): df for word, df in WORDS.items()}

    found = WordFrequencies.from_utf8_counts(encoded)

    in_order = sorted(WORDS)
    assert found.table.terms() == in_order
    assert found.df.tolist() == [WORDS[word] for word in in_order]
    assert {n: group.tolist() for n, group in found.by_length.items()} == {
        n: [word for word in in_order if len(word) == n] for n in {len(w) for w in WORDS}
    }
    assert [found.table.find(word) for word in in_order] == list(range(len(WORDS)))
    assert found.same(WordFrequencies.from_counts(WORDS))
