"""The generation's word dictionary: completions and spelling corrections."""

from __future__ import annotations

from search_service.search.lexicon import Lexicon, max_typos


def test_typos_allowed_grow_with_word_length() -> None:
    assert [max_typos("x" * n) for n in (4, 5, 8, 9, 12)] == [0, 1, 1, 2, 2]


def test_a_correction_keeps_the_longest_shared_beginning() -> None:
    lexicon = Lexicon.from_counts({"relacion": 5, "relations": 50})
    assert lexicon.correction("relacions") == "relacion"


def test_a_correction_prefers_fewer_edits_then_frequency() -> None:
    lexicon = Lexicon.from_counts({"masmut": 3, "massmute": 90, "mascot": 40})
    assert lexicon.correction("masmutt") == "masmut"
    assert Lexicon.from_counts({"cable": 9, "table": 2}).correction("xable") == "cable"


def test_known_and_short_words_are_not_corrected() -> None:
    lexicon = Lexicon.from_counts({"union": 3, "unions": 5})
    assert lexicon.correction("union") is None
    assert lexicon.correction("unio") is None


def test_completions_are_the_most_frequent_words_with_the_prefix() -> None:
    lexicon = Lexicon.from_counts({"mutual": 9, "mutuals": 4, "mugef": 2, "music": 7, "other": 99})
    assert lexicon.completions("mu", 3) == ["mutual", "music", "mutuals"]
    assert lexicon.completions("mut", 10) == ["mutual", "mutuals"]
    assert lexicon.completions("zz", 5) == []


def test_counted_completions_carry_how_many_documents_hold_each_word() -> None:
    lexicon = Lexicon.from_counts({"mutual": 9, "mutuals": 4, "mugef": 2, "music": 7, "other": 99})
    assert lexicon.counted_completions("mu", 3) == [("mutual", 9), ("music", 7), ("mutuals", 4)]
    assert lexicon.counted_completions("zz", 5) == []
