"""The text of an HTML page saved as bytes: which encoding, in the order browsers use.

A fetched page is saved as the bytes the server sent, so its encoding must be found
again: a byte-order mark first, then the charset of the HTTP `Content-Type` header
(kept in the fetch sidecar), then the page's own declaration (`<meta charset>`, `<meta
http-equiv="Content-Type">`, an XML declaration) in its first bytes, as the HTML
standard's pre-scan reads them. A page that declares nothing is UTF-8 when it decodes
as UTF-8, else Windows-1252 when it fits the bytes (browsers' default for the site's
languages: a Latin-1 page saved by an old CMS), else charset-normalizer guesses. As in
browsers, "iso-8859-1", "latin1" and "ascii" mean Windows-1252 (ftfy's sloppy codec,
so no byte fails).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

PRESCAN_BYTES = 4096  # the standard says 1024; WordPress heads often put it later
GUESS_SAMPLE_BYTES = 20_000  # charset-normalizer reads the start and end of larger pages
TIED_CHAOS = 0.01  # charset-normalizer's "chaos" (mess ratio) differences below this are ties

_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)""")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels that browsers read as Windows-1252 (the WHATWG Encoding standard).
_WINDOWS_1252 = frozenset({"latin_1", "iso8859_1", "ascii", "cp1252", "windows_1252"})
# The legacy encodings browsers know (the WHATWG Encoding Standard), as Python names them:
# unrestricted, charset-normalizer proposes DOS code pages (cp850, cp775) too.
WEB_ENCODINGS = (
    *(f"cp{n}" for n in range(1250, 1259)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
    "koi8_r",
    "koi8_u",
    "mac_roman",
    "mac_cyrillic",
    "cp874",
    "gb18030",
    "big5",
    "euc_jp",
    "iso2022_jp",
    "shift_jis",
    "euc_kr",
)
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15", "iso8859_1"})  # charset-normalizer's names


@dataclass(frozen=True)
class DecodedPage:
    """A page's text, the encoding used, and a warning when it had to be guessed or forced."""

    text: str
    encoding: str
    warning: str | None = None


def decode_html(data: bytes, content_type: str | None = None) -> DecodedPage:
    """The page's text: BOM, HTTP charset, declared charset, UTF-8, then a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return DecodedPage(data.decode(encoding, errors="replace"), encoding)
    declared = [
        (source, name)
        for source, name in (
            ("the HTTP header", _header_charset(content_type)),
            ("the page", declared_charset(data[:PRESCAN_BYTES])),
        )
        if name is not None
    ]
    mismatch: str | None = None
    for source, name in declared:
        codec = _codec(name)
        if codec is None:
            mismatch = f"unknown charset {name!r} declared by {source}"
            continue
        text = _strict(data, codec)
        if text is not None:
            return DecodedPage(text, codec)
        mismatch = f"{source} declares {name!r} but the bytes are not {name}"
        break
    text = _strict(data, "utf-8")
    if text is not None:
        warning = f"{mismatch}; read as UTF-8" if mismatch else None
        return DecodedPage(text, "utf-8", warning)
    guess = guess_encoding(data)
    why = mismatch or "not valid UTF-8 and no charset declared"
    text = data.decode(guess, errors="replace")
    return DecodedPage(text, guess, f"{why}; read as {_display(guess)} (guessed)")


def declared_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta charset, http-equiv, XML)."""
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def guess_encoding(data: bytes) -> str:
    """The encoding of bytes that are not UTF-8 and declare none: Windows-1252 when it fits.

    Browsers read such a page in their locale's default, Windows-1252 for English, French
    and Spanish, the site's languages. charset-normalizer is asked only when the bytes
    hold one of the five that Windows-1252 leaves undefined; on Western text it cannot
    be trusted alone (for an English page whose only other characters are curly quotes
    and dashes, it ranked ISO-8859-4, DOS and Windows-1250 code pages above Windows-1252
    on 7 of 101 pages of the site). Among its guesses as good as the best, restricted to
    the encodings browsers know, a Western European one wins.
    """
    try:
        data.decode("cp1252")
        return _sloppy("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = data
    if len(data) > GUESS_SAMPLE_BYTES:
        half = GUESS_SAMPLE_BYTES // 2
        sample = data[:half] + b"\n" + data[-half:]
    matches = [
        m for m in from_bytes(sample, cp_isolation=list(WEB_ENCODINGS)) if _codec(m.encoding)
    ]
    if not matches:
        return _sloppy("cp1252")
    least_chaos = min(m.chaos for m in matches)
    good = [m for m in matches if m.chaos <= least_chaos + TIED_CHAOS]
    western = [m for m in good if m.encoding in _WESTERN]
    codec = _codec((western or good)[0].encoding)
    if codec is None or codec.startswith("utf"):
        return _sloppy("cp1252")
    return codec


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def _codec(label: str) -> str | None:
    """Python's codec for an encoding label, with the browsers' Windows-1252 aliases."""
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    if name in _WINDOWS_1252:
        return _sloppy("cp1252")
    if name.startswith("utf_16") or name.startswith("utf_32"):
        # A page read byte by byte cannot declare UTF-16 for itself; browsers read UTF-8.
        return "utf-8"
    return name


def _sloppy(name: str) -> str:
    import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy" codecs)

    return f"sloppy-{'windows-1252' if name == 'cp1252' else name}"


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _display(codec: str) -> str:
    return "Windows-1252" if codec == "sloppy-windows-1252" else codec
