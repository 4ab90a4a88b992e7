"""What snippets keep between requests is bounded in bytes, whatever the bodies' length."""

from __future__ import annotations

import gc
import sys
import tracemalloc

from search_service.analysis import language_analyzer
from search_service.search import snippets
from search_service.search.snippets import FoldedTexts, HighlightTerms, make_snippet

MIB = 1024 * 1024


def _long_body(n: int) -> str:
    """A distinct body of about 30,000 characters (Latin-1, folded by the byte table)."""
    return f"Article {n}: la santé des enseignants, note {n}. " * 600


def test_snippets_of_many_long_bodies_keep_no_more_than_the_folded_texts_bound() -> None:
    terms = HighlightTerms(exact=frozenset({"sante", "enseignants"}))
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(300):  # 300 x (30,000 characters + their folded copy): about 18 MiB
            assert "<mark>santé</mark>" in make_snippet(_long_body(n), terms, "fr")
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept - before <= snippets.FOLDED_TEXTS_BYTES + MIB


def test_the_least_recently_used_body_is_forgotten_first() -> None:
    first, second, third = (f"Body {letter}: la santé. " * 100 for letter in "ABC")
    entry = sys.getsizeof(first) + sys.getsizeof(first.lower())
    cache = FoldedTexts(limit=2 * entry + 100)  # two bodies, not three
    folded_first = cache.folded(first)
    folded_second = cache.folded(second)
    assert cache.folded(first) is folded_first  # used again: now the most recent
    cache.folded(third)  # over the limit: the least recently used goes
    assert len(cache) == 2
    assert cache.folded(first) is folded_first
    assert cache.size <= cache.limit
    assert cache.folded(second) is not folded_second  # forgotten: folded anew


def test_a_body_larger_than_the_whole_bound_is_folded_but_not_kept() -> None:
    cache = FoldedTexts(limit=1000)
    body = "Côte d'Ivoire " * 200
    assert cache.folded(body) == "cote d ivoire " * 200
    assert len(cache) == 0
    assert cache.size == 0


def test_the_words_snippets_judge_are_kept_once_not_in_the_analyzers_too() -> None:
    """Shown bodies hold far more words than queries: each is kept in `_stems` alone."""
    french = language_analyzer("fr")
    words = [f"mutualisations{n}" for n in range(50)]
    terms = HighlightTerms(stems={"fr": frozenset({"mutualis"})})
    make_snippet(" ".join(words), terms, "fr")
    assert all(word in snippets._stems["fr"] for word in words)
    assert not any(word in french._terms or word in french._kinds for word in words)


def test_a_judged_word_stems_as_the_analyzer_stems_it() -> None:
    french = language_analyzer("fr")
    for word in ("Mutualité", "l'éducation", "enseignants", "les", "dʼIvoire"):
        assert french.uncached_terms(word) == french.terms(word)


def test_a_word_whose_stem_is_its_fold_keeps_one_string_for_both() -> None:
    word = "".join(["Hea", "lth"])  # built at run time: a string of its own
    terms = HighlightTerms(stems={"en": frozenset({"health"})})
    assert make_snippet(f"{word} grows.", terms, "en") == "<mark>Health</mark> grows."
    assert snippets._stems["en"][word] is snippets._folded[word]


def test_a_lower_case_unaccented_word_is_its_own_fold_and_kept_nowhere_else() -> None:
    word = "".join(["hea", "lth"])  # stems to itself
    terms = HighlightTerms(stems={"en": frozenset({"health"})})
    assert make_snippet(f"Our {word} grows.", terms, "en") == "Our <mark>health</mark> grows."
    assert word not in snippets._folded
    ((kept, stem),) = [(key, value) for key, value in snippets._stems["en"].items() if key == word]
    assert stem is kept  # the word's own string, not a folded copy


def test_the_word_forms_met_in_shown_bodies_stay_within_a_serving_budget() -> None:
    """Which words come is up to what visitors search for: 70,000 new ones keep few MiB."""
    snippets._folded.clear()
    for known in snippets._stems.values():
        known.clear()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(70_000):
            word = f"Élan{n}"
            snippets._word_stem(word, snippets._fold_word(word), ("en", "fr", "es")[n % 3])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(snippets._folded) <= snippets.SNIPPET_WORDS_KEPT
    assert sum(map(len, snippets._stems.values())) <= snippets.SNIPPET_WORDS_KEPT
    assert peak - before <= 10 * MIB  # the caches at their fullest: 6.2 MiB (14.2 at 200,000)
