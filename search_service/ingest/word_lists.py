"""The word lists of English, French and Spanish: is a word a word, and how common it is.

wordfreq's small lists (words of 1 per million and more). The vocabulary reads them to
tell names from words ("Pass", "Care", "CONTACT US") and a lone capitalised word from a
misspelt name; the organisations' reader to tell an acronym from a word in capitals.
"""

from __future__ import annotations

import math
from functools import lru_cache

from search_service.text import fold_same_length


def load_word_lists() -> None:
    """Load now the word lists `word_zipf` and `is_a_word` read on first use (a word of
    no language, so that `is_a_word` reads the lists of all three)."""
    _word_frequencies()
    is_a_word("qxzvbj")


@lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, float]:
    """Folded word -> its highest Zipf frequency in English, French or Spanish.

    wordfreq's small lists (words of 1 per million and more), folded with the same
    table as `text.fold_same_length`, so that a word written in capitals without its
    accents ("ASSEMBLEE", "SANTE") is still a word. Built in ~0.1 s, once.
    """
    import wordfreq

    zipf: dict[str, float] = {}
    for language in ("en", "fr", "es"):
        for word, frequency in wordfreq.get_frequency_dict(language, wordlist="small").items():
            key = fold_same_length(word)
            value = math.log10(frequency) + 9 if frequency > 0 else 0.0
            if value > zipf.get(key, 0.0):
                zipf[key] = value
    return zipf


def word_zipf(word: str) -> float:
    """How common `word` is (any case or accents), on wordfreq's Zipf scale; 0 when it is
    no word of English, French or Spanish (4.2 ≈ 16 uses per million words)."""
    return _word_frequencies().get(fold_same_length(word), 0.0)


@lru_cache(maxsize=65_536)
def is_a_word(word: str) -> bool:
    """Is `word` (as written) a known word or name of English, French or Spanish?

    wordfreq's small lists: words of frequency 1e-6 and above, loaded in ~0.05 s.
    """
    import wordfreq

    return any(
        wordfreq.zipf_frequency(word, language, wordlist="small") > 0
        for language in ("en", "fr", "es")
    )
