"""An HTML page's bytes -> text: BOM, HTTP charset, declared charset, UTF-8, Windows-1252, guess."""

from __future__ import annotations

from search_service.ingest.html_encoding import declared_charset, decode_html

FRENCH = "Le réseau a réuni à Dakar les mutuelles de santé du Sénégal – « l’école »."


def page(head: str, text: str = FRENCH) -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


def test_the_meta_charset_and_the_http_equiv_declaration_are_read() -> None:
    assert declared_charset(b'<meta charset="ISO-8859-1">') == "iso-8859-1"
    assert declared_charset(b"<meta charset=windows-1252 />") == "windows-1252"
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
    assert declared_charset(http_equiv) == "iso-8859-15"
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-1"?><html>') == "iso-8859-1"
    assert declared_charset(b"<html><head><title>no charset</title>") is None


def test_a_declared_latin1_page_is_read_as_windows_1252_without_a_warning() -> None:
    data = page('<meta charset="iso-8859-1">').encode("cp1252")  # – and ’ are cp1252-only
    decoded = decode_html(data)
    assert FRENCH in decoded.text and decoded.warning is None


def test_the_http_header_wins_over_the_page() -> None:
    data = page('<meta charset="utf-8">').encode("cp1252")
    decoded = decode_html(data, "text/html; charset=windows-1252")
    assert FRENCH in decoded.text and decoded.warning is None


def test_a_byte_order_mark_wins_over_every_declaration() -> None:
    data = b"\xef\xbb\xbf" + page('<meta charset="iso-8859-1">').encode("utf-8")
    decoded = decode_html(data, "text/html; charset=iso-8859-1")
    assert FRENCH in decoded.text and decoded.encoding == "utf-8-sig"


def test_undeclared_utf8_is_utf8_and_undeclared_latin1_is_windows_1252() -> None:
    assert decode_html(page("").encode("utf-8")).text == page("")
    decoded = decode_html(page("").encode("cp1252"))
    assert decoded.text == page("") and "Windows-1252" in (decoded.warning or "")


def test_an_unknown_declared_charset_is_a_warning_and_the_bytes_are_still_read() -> None:
    decoded = decode_html(page('<meta charset="x-no-such-thing">').encode("utf-8"))
    assert FRENCH in decoded.text
    assert (
        decoded.warning == "unknown charset 'x-no-such-thing' declared by the page; read as UTF-8"
    )


def test_bytes_windows_1252_cannot_read_go_to_charset_normalizer() -> None:
    # Shift JIS writes "。" as 81 42: a byte Windows-1252 leaves undefined.
    japanese = "教育と連帯のネットワークは、ダカールで教員の医療保険について会議を開きました。" * 3
    data = page("", japanese).encode("shift_jis")
    decoded = decode_html(data)
    assert japanese in decoded.text and decoded.encoding == "shift_jis"
    assert "(guessed)" in (decoded.warning or "")
