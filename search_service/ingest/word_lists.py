"""The word lists of English, French and Spanish: is a word a word, and how common it is.

wordfreq's small lists (words of 1 per million and more). The vocabulary reads them to
tell names from words ("Pass", "Care", "CONTACT US") and a lone capitalised word from a
misspelt name; the organisations' reader to tell an acronym from a word in capitals.

The lists are wordfreq's own data files, read as wordfreq reads them but without
importing wordfreq, whose import (its tokenizer's `regex` patterns, langcodes' tables)
the build's start paid on one core while the other waited (docs/build-speed.md, "The word
lists without wordfreq's import"). A word of Latin letters is looked up as wordfreq
looks it up; any other (digits, other scripts) is still asked of wordfreq, imported then
(0.1-0.2 s once): by an ingest's worker for a name's typo that is such a word (none in the
5k bench corpus), by any process building a vocabulary that matches such a name in capitals
(none in the shipped one).

A serving process needs the lists only to build a vocabulary from its files, which then
keeps the answers it needs (`Vocabulary._shouted`): it lets them go (`forget_word_lists`).
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import math
import re
import unicodedata
import zlib
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Final, NamedTuple

import msgpack

from search_service.text import fold_same_length

logger = logging.getLogger(__name__)

LANGUAGES: Final = ("en", "fr", "es")
#: wordfreq's lists of words of frequency 1e-6 and above (its "large" ones go to 1e-8).
WORDLIST: Final = "small"

#: Words that wordfreq's tokenizer reads as one token, the word NFC-normalised and
#: case-folded: Latin letters, but ŉ (folded to "ʼn", which wordfreq reads as "'n").
#: `tests/ingest/test_word_lists.py` checks each of them against wordfreq.
_PLAIN_WORD: Final = re.compile("[A-Za-zªµºÀ-ÖØ-öø-\u0148\u014a-\u024f\u1e00-\u1eff]+")


class _WordLists(NamedTuple):
    #: Every word of the three lists, as wordfreq keys them (NFC, case-folded).
    words: frozenset[str]
    #: Folded word -> its highest Zipf frequency in the three lists (`word_zipf`).
    zipf: dict[str, float]


def load_word_lists() -> None:
    """Load now the word lists `word_zipf` and `is_a_word` read on first use."""
    _word_lists()


def forget_word_lists() -> None:
    """Let the lists go (about 10 MiB): read again if asked again."""
    _word_lists.cache_clear()


def word_zipf(word: str) -> float:
    """How common `word` is (any case or accents), on wordfreq's Zipf scale; 0 when it is
    no word of English, French or Spanish (4.2 ≈ 16 uses per million words).

    Folded with the same table as `text.fold_same_length`, so that a word written in
    capitals without its accents ("ASSEMBLEE", "SANTE") is still a word.
    """
    return _word_lists().zipf.get(fold_same_length(word), 0.0)


@lru_cache(maxsize=65_536)
def is_a_word(word: str) -> bool:
    """Is `word` (as written) a known word or name of English, French or Spanish?

    What `wordfreq.zipf_frequency(word, language, wordlist="small") > 0` answers for any
    of the three.
    """
    if not word:
        return False  # wordfreq finds no token in it
    if _PLAIN_WORD.fullmatch(word):
        return _wordfreq_key(word) in _word_lists().words
    return _is_a_word_by_wordfreq(word)


def _wordfreq_key(word: str) -> str:
    """A word of one token as wordfreq's tokenizer keys it for English, French and
    Spanish (`preprocess_text`, then `simple_tokenize`): NFC, case-folded, twice. The
    apostrophes stripped, as `simple_tokenize` strips them, are none for a `_PLAIN_WORD`."""
    folded = unicodedata.normalize("NFC", word).casefold()
    return unicodedata.normalize("NFC", folded).strip("'").casefold()


def _is_a_word_by_wordfreq(word: str) -> bool:
    import wordfreq

    return any(
        wordfreq.zipf_frequency(word, language, wordlist=WORDLIST) > 0 for language in LANGUAGES
    )


@lru_cache(maxsize=1)
def _word_lists() -> _WordLists:
    """Both tables, made from one reading of the three lists (25-50 ms), which is not kept."""
    buckets = [_buckets_of(language) for language in LANGUAGES]
    words = frozenset(chain.from_iterable(chain.from_iterable(buckets)))
    return _WordLists(words=words, zipf=_folded_zipf(buckets))


def _folded_zipf(buckets: list[list[list[str]]]) -> dict[str, float]:
    """Folded word -> its highest Zipf frequency in any of the languages' buckets.

    The i-th bucket holds the words of frequency 10^(-i/100) (as
    `wordfreq.get_frequency_dict` reads it): filled from the rarest up, so that a more
    common word of the same folded form overwrites a rarer one.
    """
    zipf: dict[str, float] = {}
    for index in reversed(range(max(map(len, buckets)))):
        # wordfreq's frequency, then its logarithm: the floats the code before had, bit for bit.
        value = math.log10(10 ** (-index / 100)) + 9
        for language in buckets:
            if index < len(language):
                zipf.update(dict.fromkeys(map(fold_same_length, language[index]), value))
    return zipf


def _buckets_of(language: str) -> list[list[str]]:
    """`language`'s small list, its words by frequency in centibels (bucket i: -i cB).

    wordfreq's data file read as `wordfreq.read_cBpack` reads it (a gzipped msgpack list
    whose first item is a header); through wordfreq itself, with a warning, when the file
    is not where wordfreq 3 keeps it or not in that format.
    """
    path = _data_file(language)
    if path is not None:
        try:
            return _read_cbpack(path)
        except (OSError, EOFError, zlib.error, ValueError) as error:  # msgpack's are ValueErrors
            logger.warning("%s: %s; reading wordfreq's list through wordfreq", path, error)
    import wordfreq

    return wordfreq.get_frequency_list(language, WORDLIST)


def _data_file(language: str) -> Path | None:
    """Where wordfreq 3 keeps `language`'s small list, found without importing wordfreq;
    None when wordfreq is not an installed package."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / "data" / f"{WORDLIST}_{language}.msgpack.gz"


def _read_cbpack(path: Path) -> list[list[str]]:
    """A cBpack file's buckets (`wordfreq.read_cBpack`), its header checked."""
    with gzip.open(path, "rb") as handle:
        data = msgpack.unpackb(handle.read(), raw=False)
    header = data[0] if isinstance(data, list) and data else None
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        raise ValueError(f"{path}: not a cBpack file of version 1")
    buckets: list[list[str]] = data[1:]
    return buckets
