"""Which language a text is in: language names and codes, and detection with lingua.

Only en, fr and es are indexed. Metadata names a language in many ways ("en-GB",
"English", "français"); text without metadata is read by lingua, restricted to the
three languages (one detector per process).
"""

from __future__ import annotations

from typing import Any

from search_service.articles import LANGUAGES, Language
from search_service.text import fold

# Language detection reads the start of title + body: a short sample first (fast), and
# a longer one when lingua is not sure of the short one (names of places and
# organisations in another language can sway a few sentences).
DETECTION_CHARS = 400
DETECTION_CHARS_UNSURE = 2000
DETECTION_SURE = 0.9

LANGUAGE_NAMES: dict[str, Language] = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "anglais": "en",
    "ingles": "en",
    "fr": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "francais": "fr",
    "frances": "fr",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espagnol": "es",
    "espanol": "es",
    "castellano": "es",
}


def normalise_language(value: Any) -> Language | None:
    """'en', 'EN', 'en-GB', 'English', 'français' -> a supported code; None otherwise."""
    if not isinstance(value, str):
        return None
    key = fold(value.strip()).replace("_", "-").split("-", 1)[0]
    language = LANGUAGE_NAMES.get(key)
    return language if language in LANGUAGES else None


_DETECTOR: Any = None


def detect_language(text: str) -> Language | None:
    """en, fr or es as lingua reads the text; None when it cannot tell (no letters)."""
    guess = language_guess(text)
    return guess[0] if guess is not None else None


def language_guess(text: str, first_sample: int = DETECTION_CHARS) -> tuple[Language, float] | None:
    """(en, fr or es, lingua's confidence in it), None when it cannot tell (no letters).

    lingua reads the first `first_sample` characters, and 2,000 when it is not sure of them.
    """
    detector = _detector()
    values = detector.compute_language_confidence_values(_sample(text, first_sample))
    if values and values[0].value < DETECTION_SURE and len(text) > first_sample:
        values = detector.compute_language_confidence_values(_sample(text, DETECTION_CHARS_UNSURE))
    if not values or values[0].value <= 0:
        return None
    language = LANGUAGE_NAMES.get(str(values[0].language.iso_code_639_1.name).lower())
    return (language, float(values[0].value)) if language is not None else None


def _sample(text: str, size: int) -> str:
    """The first `size` characters, cut at a space so no word is broken."""
    if len(text) <= size:
        return text
    cut = text.rfind(" ", 0, size)
    return text[: cut if cut > size // 2 else size]


def load_models() -> None:
    """Load lingua's models now (they load on first detection, ~1 s): before the ingest
    forks its workers, which then share them instead of each loading its own."""
    language_guess("Teachers meet. Les enseignants se réunissent. Los docentes se reúnen.")


def _detector() -> Any:
    """One lingua detector per process (building it loads nothing; models load lazily)."""
    global _DETECTOR
    if _DETECTOR is None:
        from lingua import Language as Lingua
        from lingua import LanguageDetectorBuilder

        _DETECTOR = LanguageDetectorBuilder.from_languages(
            Lingua.ENGLISH, Lingua.FRENCH, Lingua.SPANISH
        ).build()
    return _DETECTOR
