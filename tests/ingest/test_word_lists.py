"""The word lists read from wordfreq's data files answer as wordfreq itself does."""

from __future__ import annotations

import gzip
import importlib.util
import math
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest
import wordfreq
from wordfreq.tokens import lossy_tokenize

from search_service.ingest import word_lists
from search_service.text import fold_same_length

#: Words beside the lists' own: capitals, accents left out, other scripts, digits, and
#: none of the three languages.
ODD_WORDS = (
    "Organisation", "ORGANISATION", "Santé", "SANTE", "Assemblée", "ASSEMBLEE", "Muñoz",
    "Łódź", "Straße", "STRASSE", "Ŋoma", "ŉ", "λόγος", "Москва", "東京", "COVID19", "2024",
    "G20", "qxzvbj", "Adosen", "UNESCO", "MASMUT", "cœur", "ŒUVRE", "Ǆemal", "ǰ",
)  # fmt: skip


def _wordfreq_says_a_word(word: str) -> bool:
    return any(
        wordfreq.zipf_frequency(word, language, wordlist="small") > 0
        for language in word_lists.LANGUAGES
    )


def _plain_letters() -> list[str]:
    return [chr(point) for point in range(0x3000) if word_lists._PLAIN_WORD.fullmatch(chr(point))]


def test_every_plain_letter_is_keyed_as_wordfreq_tokenizes_it() -> None:
    letters = _plain_letters()
    assert len(letters) > 600 and all(letter.isalpha() for letter in letters)
    for letter in letters:
        for word in (letter, f"ab{letter}cd", letter * 3, f"{letter.upper()}xy"):
            for language in word_lists.LANGUAGES:
                assert lossy_tokenize(word, language) == [word_lists._wordfreq_key(word)], word


def test_is_a_word_answers_as_wordfreq_does() -> None:
    listed = sorted(
        {
            word
            for language in word_lists.LANGUAGES
            for word in wordfreq.iter_wordlist(language, wordlist="small")
        }
    )
    sample = random.Random(7).sample(listed, 3000)
    words = [*ODD_WORDS, *sample, *(w.upper() for w in sample), *(w.title() for w in sample)]
    words += [word[:-1] + "q" for word in sample]  # mostly no word at all
    answers = {word: word_lists.is_a_word(word) for word in words}
    assert answers == {word: _wordfreq_says_a_word(word) for word in words}
    plain = [word for word in words if word_lists._PLAIN_WORD.fullmatch(word)]
    assert len(plain) > 0.9 * len(words)  # most took the way without wordfreq
    assert answers["ASSEMBLEE"] is False and answers["Assemblée"] is True  # as written
    assert answers["COVID19"] is False and answers["G20"] is True  # digits, asked of wordfreq


def test_word_zipf_is_the_highest_zipf_of_any_word_of_the_same_folded_form() -> None:
    expected: dict[str, float] = {}
    for language in word_lists.LANGUAGES:
        for word, frequency in wordfreq.get_frequency_dict(language, wordlist="small").items():
            key = fold_same_length(word)
            expected[key] = max(expected.get(key, 0.0), math.log10(frequency) + 9)
    assert word_lists._word_lists().zipf == expected
    assert word_lists.word_zipf("SANTE") == expected["sante"] > 4
    assert word_lists.word_zipf("qxzvbj") == 0.0


def test_the_lists_are_read_without_importing_wordfreq_until_a_word_needs_its_tokenizer(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(
        """
        import sys
        from search_service.ingest.word_lists import is_a_word, load_word_lists, word_zipf
        load_word_lists()
        print(is_a_word("Organisation"), is_a_word("Łódź"), is_a_word(""), word_zipf("SANTE") > 4)
        print("wordfreq" in sys.modules)
        print(is_a_word("G20"), "wordfreq" in sys.modules)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == ["True False False True", "False", "True True"]


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "small_fr.msgpack.gz"
    path.write_bytes(data)
    return path


def _another_version(folder: Path) -> Path:
    return _write(folder, gzip.compress(msgpack.packb([{"format": "cB", "version": 2}, ["le"]])))


def _cut_short(folder: Path) -> Path:
    return _write(
        folder, gzip.compress(msgpack.packb([{"format": "cB", "version": 1}, ["le"]]))[:12]
    )


def _corrupted(folder: Path) -> Path:
    packed = bytearray(gzip.compress(msgpack.packb([{"format": "cB", "version": 1}, ["le"]])))
    packed[10:14] = b"\xff\xff\xff\xff"  # the deflate stream, past gzip's header
    return _write(folder, bytes(packed))


def _not_gzip(folder: Path) -> Path:
    return _write(folder, msgpack.packb([{"format": "cB", "version": 1}, ["le"]]))


def _msgpack_cut_short(folder: Path) -> Path:
    return _write(
        folder, gzip.compress(msgpack.packb([{"format": "cB", "version": 1}, ["le"]])[:5])
    )


@pytest.mark.parametrize(
    "data_file", [_another_version, _cut_short, _corrupted, _not_gzip, _msgpack_cut_short]
)
def test_a_data_file_not_as_wordfreq_3_keeps_it_is_read_through_wordfreq_with_a_warning(
    data_file: Callable[[Path], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = data_file(tmp_path)
    monkeypatch.setattr(word_lists, "_data_file", lambda language: path)
    assert word_lists._buckets_of("fr") == wordfreq.get_frequency_list("fr", "small")
    assert f"{path}: " in caplog.text and "through wordfreq" in caplog.text


def test_a_data_file_that_is_missing_is_read_through_wordfreq(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_lists, "_data_file", lambda language: tmp_path / "missing.gz")
    assert word_lists._buckets_of("es") == wordfreq.get_frequency_list("es", "small")


def test_without_wordfreq_found_as_a_package_the_lists_are_asked_of_wordfreq(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    assert word_lists._data_file("en") is None
    assert word_lists._buckets_of("en") == wordfreq.get_frequency_list("en", "small")


def test_the_data_file_read_directly_holds_what_wordfreq_reads() -> None:
    for language in word_lists.LANGUAGES:
        path = word_lists._data_file(language)
        assert path is not None
        assert word_lists._read_cbpack(path) == wordfreq.get_frequency_list(language, "small")
