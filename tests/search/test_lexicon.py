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


def test_has_completions_says_whether_completions_hold_another_word() -> None:
    """It answers as the completions would (reading none, but for a limit of one, which
    keeps the most frequent word only, maybe the prefix itself), for every prefix of every
    word: a prefix that is itself a word, one whose only word is itself, words longer than
    a table key (16 bytes), accents."""
    words = {
        "mutual": 9,
        "mutuals": 4,
        "mu": 30,
        "music": 7,
        "alone": 3,
        "éducation": 5,
        "éducations": 1,
        "internationalisation": 2,
        "internationalisations": 6,
        "internationalist": 1,
    }
    lexicon = Lexicon.from_counts(words)
    prefixes = {word[:end] for word in words for end in range(1, len(word) + 1)}
    prefixes |= {"zz", "mutualist", "internationalisationsx", ""}
    for limit in (1, 2, 3, 64):
        for prefix in sorted(prefixes):
            expected = any(word != prefix for word, _ in lexicon.counted_completions(prefix, limit))
            assert lexicon.has_completions(prefix, limit) is expected, (prefix, limit)
    assert lexicon.has_completions("mu", 1) is False  # "mu" is its own most frequent word
    assert lexicon.has_completions("alone", 64) is False
    assert lexicon.has_completions("internationalisation", 64) is True
