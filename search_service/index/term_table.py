"""A sorted dictionary of terms in flat arrays: looked up by binary search, never loaded.

A Python dict of a large index's terms costs hundreds of milliseconds to build and
tens of megabytes in every worker process. Here the terms are UTF-8 bytes sorted
bytewise (the order of Whoosh's term tables, and of code points), kept as:

- `keys`: each term's first `KEY_BYTES` bytes, a fixed-width numpy bytes array
  (`S16`), which `np.searchsorted` bisects in C;
- `blob` and `starts`: all the terms end to end and where each begins, to tell
  apart the few terms that share their first `KEY_BYTES` bytes.

A term shorter than `KEY_BYTES` is identified by its key alone (a longer term
has a longer key). The arrays can live in a memory map (`compiled_view`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

KEY_BYTES: Final = 16
_KEY_DTYPE: Final = np.dtype(f"S{KEY_BYTES}")


@dataclass(frozen=True, slots=True)
class TermTable:
    keys: npt.NDArray[np.bytes_]
    blob: npt.NDArray[np.uint8]
    starts: npt.NDArray[np.int64]

    @classmethod
    def from_sorted(cls, terms: Sequence[bytes]) -> TermTable:
        """The table of `terms` (UTF-8 bytes, sorted, distinct, no NUL byte)."""
        lengths = np.fromiter((len(term) for term in terms), dtype=np.int64, count=len(terms))
        starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        blob = np.frombuffer(b"".join(terms), dtype=np.uint8)
        keys = np.array([term[:KEY_BYTES] for term in terms], dtype=_KEY_DTYPE)
        return cls(keys=keys.reshape(len(terms)), blob=blob, starts=starts)

    @classmethod
    def from_strings(cls, words: Iterable[str]) -> TermTable:
        return cls.from_sorted(sorted({word.encode("utf-8") for word in words}))

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def term_bytes(self, i: int) -> bytes:
        return self.blob[self.starts[i] : self.starts[i + 1]].tobytes()

    def term(self, i: int) -> str:
        return self.term_bytes(i).decode("utf-8")

    def find(self, term: str) -> int:
        """The position of `term`, -1 when it is not in the table."""
        raw = term.encode("utf-8")
        key = raw[:KEY_BYTES]
        keys = self.keys
        lo = int(keys.searchsorted(key))
        if lo >= keys.shape[0] or keys[lo] != key:
            return -1
        if len(raw) < KEY_BYTES:
            return lo
        hi = int(keys.searchsorted(key, side="right"))
        for i in range(lo, hi):
            if self.term_bytes(i) == raw:
                return i
        return -1

    def find_many(self, terms: Sequence[str]) -> list[int]:
        """`find` of several terms in one bisection of the keys (a prefix's completions)."""
        if not terms or not len(self):
            return [-1] * len(terms)
        raws = [term.encode("utf-8") for term in terms]
        keys = np.array([raw[:KEY_BYTES] for raw in raws], dtype=_KEY_DTYPE)
        at = np.minimum(self.keys.searchsorted(keys), len(self) - 1)
        same = (self.keys[at] == keys).tolist()
        return [
            (i if same_key else -1) if len(raw) < KEY_BYTES else self.find(term)
            for term, raw, i, same_key in zip(terms, raws, at.tolist(), same, strict=True)
        ]

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """The positions [lo, hi) of the terms beginning with `prefix`.

        0xFF never occurs in UTF-8, so `prefix + 0xFF` sorts after every term
        beginning with `prefix`. A prefix longer than a key narrows the range by
        its key, then by the terms themselves.
        """
        raw = prefix.encode("utf-8")
        keys = self.keys
        if len(raw) < KEY_BYTES:
            lo = int(keys.searchsorted(raw))
            hi = int(keys.searchsorted(raw + b"\xff"))
            return lo, hi
        key = raw[:KEY_BYTES]
        lo = int(keys.searchsorted(key))
        hi = int(keys.searchsorted(key, side="right"))
        while lo < hi and not self.term_bytes(lo).startswith(raw):
            lo += 1
        end = lo
        while end < hi and self.term_bytes(end).startswith(raw):
            end += 1
        return lo, end

    def terms(self, lo: int = 0, hi: int | None = None) -> list[str]:
        """The terms at positions [lo, hi), decoded."""
        return [term.decode("utf-8") for term in self.terms_bytes(lo, hi)]

    def terms_bytes(self, lo: int = 0, hi: int | None = None) -> list[bytes]:
        """The terms at positions [lo, hi), as the table keeps them (UTF-8)."""
        hi = len(self) if hi is None else hi
        starts = self.starts[lo : hi + 1].tolist()
        data = self.blob[starts[0] : starts[-1]].tobytes() if hi > lo else b""
        base = starts[0] if starts else 0
        return [data[a - base : b - base] for a, b in itertools.pairwise(starts)]


@dataclass(frozen=True, slots=True)
class WordFrequencies:
    """Words with how many documents hold each, and the words of each length.

    `by_length[n]` are the words of `n` characters in sorted order, as a numpy
    unicode array (`U<n>`): what typo correction compares a word with, turned
    into Python strings only when a word of a nearby length is corrected.
    """

    table: TermTable
    df: npt.NDArray[np.int64]
    by_length: dict[int, npt.NDArray[np.str_]]

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> WordFrequencies:
        return cls.from_utf8_counts({word.encode("utf-8"): df for word, df in counts.items()})

    @classmethod
    def from_utf8_counts(cls, counts: dict[bytes, int]) -> WordFrequencies:
        """`from_counts` of words given as UTF-8 bytes, as term tables hold them: sorted
        as they are (bytewise: code point order), each decoded once."""
        encoded = sorted(counts)
        grouped: dict[int, list[str]] = {}
        for word in encoded:
            text = word.decode("utf-8")
            grouped.setdefault(len(text), []).append(text)
        return cls(
            table=TermTable.from_sorted(encoded),
            df=np.fromiter(map(counts.__getitem__, encoded), dtype=np.int64, count=len(encoded)),
            by_length={
                length: np.asarray(group, dtype=f"U{max(length, 1)}")
                for length, group in grouped.items()
            },
        )

    def __len__(self) -> int:
        return len(self.table)

    def same(self, other: WordFrequencies) -> bool:
        """The same words, frequencies and length lists (the view's check)."""
        return (
            self.table.terms() == other.table.terms()
            and np.array_equal(self.df, other.df)
            and sorted(self.by_length) == sorted(other.by_length)
            and all(
                self.by_length[n].tolist() == other.by_length[n].tolist() for n in other.by_length
            )
        )
