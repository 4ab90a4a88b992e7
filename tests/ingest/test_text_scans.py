"""The whole-file scans of the ingest give the regex engine's answers, faster."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search_service.ingest.text_repair import (
    _MOJIBAKE_LEADS,
    _NOT_TEXT,
    _mojibake_at_a_lead,
    _mojibake_patterns,
    repair_mojibake,
    utf8_holds_not_text,
)

#: Text made of what the scans look for and what surrounds it: every C0 control, DEL, C1
#: controls, characters whose UTF-8 starts with C2 as C1 controls' does (no-break space,
#: "¡", "«"), or whose second byte is one of 80-9F after another lead ("À", "ß": C3;
#: "Ā": C4; "’": E2 80), accents, a character past the BMP.
NEAR_NOT_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *map(chr, range(0x20)),
            "\x7f",
            *map(chr, range(0x80, 0xC0)),
            *["À", "ß", "Ā", "a", " ", "é", "’", "😀"],
        ]
    ),
    max_size=40,
)
#: Mojibake's lead characters and what may follow them, beside ordinary letters.
NEAR_MOJIBAKE = st.text(
    alphabet=st.sampled_from([*_MOJIBAKE_LEADS, "©", "€", "™", "\xad", "a", "ñ", "é", " ", "’"]),
    max_size=30,
)


@given(NEAR_NOT_TEXT, st.booleans())
def test_not_text_is_found_in_the_utf8_bytes_as_in_the_text(text: str, bom: bool) -> None:
    data = ("\ufeff" if bom else "").encode() + text.encode()
    assert utf8_holds_not_text(data) == (_NOT_TEXT.search(text) is not None)


@given(NEAR_MOJIBAKE)
def test_mojibake_is_found_at_its_lead_characters_as_by_a_scan(text: str) -> None:
    sequence, _ = _mojibake_patterns()
    assert _mojibake_at_a_lead(text, sequence) == (sequence.search(text) is not None)


def test_mojibake_past_a_lead_that_is_none_is_repaired() -> None:
    """The first "â" (of "château") begins no sequence; the second ("â€™") does."""
    assert repair_mojibake("château, dâ€™Ivoire") == (
        "château, d’Ivoire",
        [("dâ€™Ivoire", "d’Ivoire")],
    )
