"""Text as files bring it: told from binary data, decoded, its mojibake repaired, the
characters that are not text taken out, NFC.

What the ingest does to the text of every file before it reads articles in it
(`corpus._Run.decode` and `_Run.repaired`; a JSONL line's and a sidecar's values by
`clean_value` and `repair_mojibake`; an HTML page decoded by `html_encoding` first):
what goes wrong with text saved by hand (Windows encodings, UTF-16, a page decoded
twice, control characters) is repaired where it can be, with the messages the ingest
reports as warnings; a binary file is told apart, for the ingest to skip.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# Lead characters of UTF-8 read as cp1252/cp1250/latin-1 ("Ã©", "Ă©", "â€™", "Å“"): a
# cheap test first; the sequences themselves are built from ftfy's character classes.
_MOJIBAKE_LEADS = "ÃÂĂÅĹâ"
# "í" is C3 AD in UTF-8; read as cp1250 that is "Ă" + a soft hyphen, which is often lost.
_LOST_SOFT_HYPHEN = re.compile(r"Ă(?=[a-zñ])")
# Two definitions of "not text", for two questions. Is this file binary? Many C0 controls
# other than the white space of text (tab, line feed, vertical tab, form feed, carriage
# return: Word writes a manual line break as a vertical tab), or DEL, say so; the same
# bytes are counted before decoding (`_looks_binary`). Which characters must go from text?
# Those, plus vertical tab, form feed and NEL (line breaks, made line feeds), C1 controls
# (left by a wrong decoding, not a sign of binary data) and lone surrogates (a JSON
# "\ud800" escape).
_BINARY_CONTROLS = r"\x00-\x08\x0e-\x1f\x7f"
BINARY_CONTROL = re.compile(f"[{_BINARY_CONTROLS}]")
_BINARY_CONTROL_BYTE = re.compile(f"[{_BINARY_CONTROLS}]".encode())
_NOT_TEXT = re.compile(rf"[{_BINARY_CONTROLS}\x0b\x0c\x80-\x9f\ud800-\udfff]")
# `_NOT_TEXT` in the bytes of valid UTF-8 (`utf8_holds_not_text`): every byte but its C0
# controls and DEL (single bytes), deleted by `bytes.translate`; its C1 controls, C2 80-9F.
_ALL_BUT_NOT_TEXT_BYTES = bytes(b for b in range(256) if b > 0x7F or not _NOT_TEXT.match(chr(b)))
_C1_CONTROL_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_LINE_BREAKS = frozenset("\x0b\x0c\x85")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# JSON escapes that json.loads turns into such characters ("\u0000", "\b", "\ud800").
ESCAPED_NOT_TEXT = re.compile(r"\\(?:[bf]|u00[01]|u007[fF]|u00[89]|u[dD][89a-fA-F])")


def binary_bytes(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 kB: not text."""
    return b"\x00" in data[:8192] or _looks_binary(data[:8192])


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    return len(_BINARY_CONTROL_BYTE.findall(sample)) > max(4, len(sample) // 50)


def utf16_text(data: bytes) -> str | None:
    """Text saved as UTF-16 (Windows editors) starts with a byte-order mark."""
    if not data.startswith(UTF16_BOMS):
        return None
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError:
        return None


def decode_fallback(data: bytes) -> str:
    """Windows-1252, with Latin-1 for the five bytes it leaves undefined (ftfy's codec)."""
    import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy" codecs)

    return data.decode("sloppy-windows-1252")


def holds_not_text(text: str) -> bool:
    """Does `text` hold a character `clean_characters` takes out (`_NOT_TEXT`)?"""
    return _NOT_TEXT.search(text) is not None


def utf8_holds_not_text(data: bytes) -> bool:
    """`holds_not_text` of valid UTF-8 `data` decoded, asked of the bytes.

    Valid UTF-8 holds no lone surrogate; its C0 controls and DEL are single bytes, kept
    alone by one `bytes.translate`, and its C1 controls are C2 80-9F (C2 is never a
    continuation byte). The regex engine tries `_NOT_TEXT`'s class at every character
    of the text: 61 ms for the 11.7 MB of the 5k bench's export, 8 here; a whole
    file is scanned by the build's process alone, before the others get its lines.
    """
    return bool(data.translate(None, _ALL_BUT_NOT_TEXT_BYTES)) or (
        _C1_CONTROL_UTF8.search(data) is not None
    )


def nfc(text: str) -> str:
    """NFC text; checking is much cheaper than normalising, and most text already is."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def repair_mojibake(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Text with each wrongly decoded word repaired, and the (before, after) of each repair.

    UTF-8 read once as Windows-1252, Windows-1250 or Latin-1 leaves a lead character
    ("Ã", "Â", "Ă", "Å", "Ĺ", "â") followed by characters standing for continuation
    bytes ("QuĂ©bec", "dâ€™Ivoire"). ftfy decides on a whole string, and leaves a line
    alone when it also holds correct accents, curly quotes or dashes ("QuĂ©bec and
    Côte d’Ivoire"); so each word holding such a sequence is repaired on its own:
    `ftfy.fix_encoding`, else (when ftfy's heuristics find the word too short to
    judge, "MedellĂ\u00adn") the word re-encoded with ftfy's sloppy Windows-1252 or
    Windows-1250 codec must decode as UTF-8. Then one rule: "Ă" followed by a
    lower-case letter is "í" whose soft hyphen was lost ("MedellĂn").
    """
    if not any(lead in text for lead in _MOJIBAKE_LEADS):
        return text, []
    sequence, word = _mojibake_patterns()
    if not _mojibake_at_a_lead(text, sequence):  # the usual case, "â" of "château"
        return text, []
    pieces: list[str] = []
    repairs: list[tuple[str, str]] = []
    done = 0
    for match in sequence.finditer(text):
        if match.start() < done:
            continue  # inside a word already repaired
        start = match.start()
        while start > done and text[start - 1].isalpha():
            start -= 1
        found = word.match(text, start)
        end = found.end() if found is not None else match.end()
        if text[end - 1] == " " and text.startswith(" ", end):
            end += 1  # "Ã" + the space left of a no-break space, then the word's own space
        broken = text[start:end]
        fixed = _repair_word(broken)
        pieces.append(text[done:start])
        pieces.append(fixed)
        if fixed != broken:
            repairs.append((broken, fixed))
        done = end
    pieces.append(text[done:])
    return "".join(pieces), repairs


def _mojibake_at_a_lead(text: str, sequence: re.Pattern[str]) -> bool:
    """`sequence.search(text) is not None` for `_mojibake_patterns`' sequence, every match
    of which starts with a lead character: tried only where one is.

    Each lead is found by `str.find` (in C, a few bytes a nanosecond); a scan by the
    regex engine tries its class at every character: 74 ms for the 11.7 MB of the 5k
    bench's export, where this takes 5 (its 700 leads, "â" of French words, tried). A
    text full of "â" and no mojibake (Romanian, Vietnamese: not the site's languages)
    would cost a `match` call each.
    """
    for lead in _MOJIBAKE_LEADS:
        at = text.find(lead)
        while at != -1:
            if sequence.match(text, at):
                return True
            at = text.find(lead, at + 1)
    return False


@lru_cache(maxsize=1)
def _mojibake_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a mojibake sequence, a word made of letters and such sequences), from ftfy's classes."""
    from ftfy.chardata import UTF8_CLUES

    continuation = UTF8_CLUES["utf8_continuation"]  # a character class body, space included
    two = "".join(ch for ch in _MOJIBAKE_LEADS if ch != "â")
    # Led by one character class, so that the regex engine scans for it quickly.
    sequence = (
        f"[{_MOJIBAKE_LEADS}](?:(?<=[{two}])[{continuation}]|(?<=â)[{continuation}]{{2}}"
        "|(?<=Ă)(?=[a-zñ]))"
    )
    return re.compile(sequence), re.compile(f"(?:{sequence}|[^\\W\\d_])+")


@lru_cache(maxsize=1)
def _ftfy_config() -> Any:
    import ftfy

    return ftfy.TextFixerConfig(
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        normalization="NFC",
        explain=False,
    )


def _repair_word(word: str) -> str:
    import ftfy
    import ftfy.bad_codecs  # registers the "sloppy" codecs

    fixed = ftfy.fix_encoding(word, _ftfy_config())
    if fixed == word:
        for encoding in ("sloppy-windows-1252", "sloppy-windows-1250"):
            try:
                fixed = word.encode(encoding).decode("utf-8")
                break
            except UnicodeError:
                continue
    return _LOST_SOFT_HYPHEN.sub("í", fixed)


def mojibake_message(repairs: Sequence[tuple[str, str]]) -> str:
    broken, fixed = repairs[0]
    more = f" and {len(repairs) - 1} more" if len(repairs) > 1 else ""
    return f"wrongly encoded characters repaired: {broken!r} -> {fixed!r}{more}"


def clean_characters(text: str) -> tuple[str, list[str]]:
    """Text without controls (tab and line breaks kept) or lone surrogates, and what went.

    Vertical tab, form feed and NEL become line feeds; a lone surrogate (which no
    encoder accepts) becomes U+FFFD; other controls are removed. The list names each
    character removed or replaced ("U+0000"), line breaks excepted.
    """
    if not holds_not_text(text):
        return text, []
    removed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        char = match.group()
        if char in _LINE_BREAKS:
            return "\n"
        removed.append(f"U+{ord(char):04X}")
        return "\ufffd" if "\ud800" <= char <= "\udfff" else ""

    return _NOT_TEXT.sub(replace, text), removed


def clean_value(value: Any) -> tuple[Any, list[str]]:
    """`clean_characters` through the strings of a JSON / YAML value (keys included)."""
    removed: list[str] = []

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            cleaned, gone = clean_characters(item)
            removed.extend(gone)
            return cleaned
        if isinstance(item, list):
            return [clean(v) for v in item]
        if isinstance(item, dict):
            return {clean(k): clean(v) for k, v in item.items()}
        return item

    return clean(value), removed


def characters_message(removed: Sequence[str]) -> str:
    kinds = ", ".join(dict.fromkeys(removed))
    return f"{len(removed)} character(s) that are not text removed or replaced ({kinds})"
