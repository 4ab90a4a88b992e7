"""The analyzers on their own: the fast path and Whoosh's protocol agree, pickling
keeps them, and offsets point at the words they came from."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.analysis import (
    LanguageAnalyzer,
    NeutralAnalyzer,
    analyze,
    analyze_neutral,
    is_stop_word_somewhere,
    language_analyzer,
    neutral_analyzer,
    stop_words,
)
from search_service.articles import LANGUAGES
from search_service.text import fold

PIECES = st.sampled_from(
    [*"abcdeéèçôñüœß ’'*-.,;lLdDjJqu0123\n", "Côte", "l’", "qu’", "e\u0301", " \u0301"]
)
TEXTS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_whoosh_tokens_are_the_terms_of_the_fast_path(text: str) -> None:
    for analyzer in (*(language_analyzer(lang) for lang in LANGUAGES), neutral_analyzer()):
        tokens = [(t.text, t.pos) for t in analyzer(text, positions=True)]
        terms = analyzer.terms(text)
        assert [term for term, _ in tokens] == terms
        assert [pos for _, pos in tokens] == list(range(len(terms)))  # no gaps


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_character_offsets_point_at_the_analysed_word(text: str) -> None:
    for token in neutral_analyzer()(text, chars=True):
        assert fold(text[token.startchar : token.endchar]) == token.text


def test_stop_words_come_out_marked_when_kept_for_highlighting() -> None:
    tokens = [
        (t.text, t.stopped, t.pos)
        for t in language_analyzer("fr")("la mutuelle", positions=True, removestops=False)
    ]
    assert tokens == [("la", True, 0), ("mutuel", False, 0)]


def test_analyzers_pickle_to_their_language_only() -> None:
    analyzer = LanguageAnalyzer("es")
    analyzer.terms("educación")  # fill the cache
    restored = pickle.loads(pickle.dumps(analyzer))

    assert restored == analyzer and isinstance(restored, LanguageAnalyzer)
    assert len(pickle.dumps(analyzer)) < 200
    assert restored.terms("Educación") == ["educ"]
    assert pickle.loads(pickle.dumps(NeutralAnalyzer())) == neutral_analyzer()


def test_each_language_has_its_stemmer_and_stop_words() -> None:
    assert analyze("the insurances", "en") == ["insur"]
    assert analyze("les mutuelles", "fr") == ["mutuel"]
    assert analyze("las mutualidades", "es") == ["mutual"]
    assert analyze_neutral("The Mutuelles") == ["the", "mutuelles"]


def test_elisions_and_contractions_leave_no_word_behind() -> None:
    assert analyze_neutral("l’école d'été, qu’il, jusqu’à, ESN’s, aren’t") == [
        "ecole",
        "ete",
        "il",
        "a",
        "esn",
        "aren",
    ]


def test_a_word_analyzed_for_its_terms_is_kept_in_one_cache_not_two() -> None:
    """Query words, their expansions and synonyms fill a serving process's analyzers:
    each word kept once (`_terms`), not also as its classification (`_kinds`)."""
    english = language_analyzer("en")
    words = [f"healthcare{n}" for n in range(50)]

    assert english.terms(" ".join(words)) == words

    assert all(word in english._terms for word in words)
    assert not any(word in english._kinds for word in words)


@given(st.sampled_from(sorted({word for lang in LANGUAGES for word in stop_words(lang)})))
def test_a_stop_word_of_one_language_is_a_stop_word_somewhere(word: str) -> None:
    """Any language's stop word, whichever its case (a query's word is then no word to
    cover: `Scorer._word`)."""
    assert is_stop_word_somewhere(word)
    assert is_stop_word_somewhere(word.upper()) is _in_some_language(word.upper())


@given(st.text(max_size=12))
def test_a_word_is_a_stop_word_somewhere_when_a_language_says_so(word: str) -> None:
    assert is_stop_word_somewhere(word) is _in_some_language(word)


def _in_some_language(word: str) -> bool:
    return any(fold(word) in stop_words(lang) for lang in LANGUAGES)
