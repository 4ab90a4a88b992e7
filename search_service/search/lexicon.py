"""The exact-word dictionary of one generation: prefixes, completions and spelling.

The terms of the neutral fields (`title_exact`, `body_exact`) and their
document frequencies: compiled with the generation's serving view
(`index.compiled_view`), or read from the segments when a generation has none.
A sorted table (`index.term_table`) answers "which words begin with `mu`" by
bisection; the most frequent of them
are the bounded expansion of a prefix (Whoosh itself expands a prefix to every
matching term, which is what makes its prefix queries slow). Spelling
candidates come from rapidfuzz's Levenshtein distance over the words of
nearby lengths only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search_service.index.term_table import WordFrequencies
from search_service.index.view import exact_word_counts


def max_typos(word: str) -> int:
    """Edits tolerated in a word, as the hosted products do: 1 from 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Sorted exact words with how many documents contain each (title or body).

    Over a generation's compiled view the arrays are memory-mapped: nothing is
    loaded when a generation is opened, and worker processes share the pages.
    """

    words: WordFrequencies

    @classmethod
    def from_reader(cls, reader: Any) -> Lexicon:
        """Words of the exact fields with their document frequency (the larger field's)."""
        return cls(WordFrequencies.from_counts(exact_word_counts(reader)))

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> Lexicon:
        return cls(WordFrequencies.from_counts(counts))

    def __len__(self) -> int:
        return len(self.words)

    def frequency(self, word: str) -> int:
        position = self.words.table.find(word)
        return 0 if position < 0 else int(self.words.df[position])

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The `limit` most frequent words beginning with `prefix` (itself included)."""
        return [word for word, _ in self.counted_completions(prefix, limit)]

    def counted_completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """`completions` with the frequency of each (read with them, not looked up again)."""
        if not prefix or limit <= 0:
            return []
        table = self.words.table
        lo, hi = table.prefix_range(prefix)
        if lo >= hi:
            return []
        window = self.words.df[lo:hi]
        if window.size > limit:
            top = (-window).argpartition(limit - 1)[:limit]
        else:
            top = np.arange(window.size)
        top = top[np.lexsort((top, -window[top]))]
        return [
            (table.term(lo + i), frequency)
            for i, frequency in zip(top.tolist(), window[top].tolist(), strict=True)
        ]

    def has_completions(self, prefix: str, limit: int) -> bool:
        """Whether `counted_completions(prefix, limit)` holds a word other than `prefix`,
        found without reading them.

        A search asks it of its last word, whose scores are most often kept already:
        only when they are not are the completions read (`Scorer._expansions`). Of two
        or more completions one at least is not `prefix`; the sorted table puts `prefix`
        itself, when it is a word, first of the words beginning with it.
        """
        if not prefix or limit <= 0:
            return False
        if limit == 1:
            return any(word != prefix for word, _ in self.counted_completions(prefix, 1))
        table = self.words.table
        lo, hi = table.prefix_range(prefix)
        if lo < hi and table.term_bytes(lo) == prefix.encode("utf-8"):
            lo += 1
        return lo < hi

    def correction(self, word: str) -> str | None:
        """The closest known word within the tolerated edits of an unknown `word`.

        Fewest edits first; then the longest shared beginning (typos and inflections
        are mostly at the end of a word, and in a three-language dictionary the
        Spanish "relacions" should become "relacion", not the English "relations");
        then the most frequent.
        """
        allowed = max_typos(word)
        if allowed == 0 or self.words.table.find(word) >= 0:
            return None
        best: tuple[int, int, int, str] | None = None
        for length in range(len(word) - allowed, len(word) + allowed + 1):
            found = self.words.by_length.get(length)
            if found is None or not found.size:
                continue
            for candidate, distance, _ in process.extract(
                word,
                found.tolist(),
                scorer=Levenshtein.distance,
                score_cutoff=allowed,
                limit=8,
            ):
                shared = _shared_start(word, candidate)
                key = (int(distance), -shared, -self.frequency(candidate), candidate)
                if best is None or key < best:
                    best = key
        return best[3] if best else None


def _shared_start(first: str, second: str) -> int:
    """How many leading characters two words have in common."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count
