"""Accent-, case- and apostrophe-insensitive matching and per-language stemming,
checked on a real index built in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles

from .conftest import MakeArticle, matching_ids, phrase_ids


@pytest.fixture
def built(small_corpus: list[Article], index_root: Path) -> Path:
    build_from_articles(small_corpus, index_root)
    return index_root


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mutuelles", "fr-mutuelles"),  # plural finds singular/plural through the stem
        ("mutuelle", "fr-mutuelles"),
        ("Mutualité", "fr-mutuelles"),
        ("mutualite", "fr-mutuelles"),  # no accent: found through the exact field
        ("COTE", "fr-mutuelles"),
        ("Afrique", "fr-mutuelles"),  # indexed as "l’Afrique"
        ("l'afrique", "fr-mutuelles"),
        ("Ivoire", "fr-mutuelles"),  # indexed as "d’Ivoire"
        ("d’Ivoire", "fr-mutuelles"),
        ("insurances", "en-insurance"),  # English stemming
        ("teacher", "en-insurance"),
        ("senegal", "en-insurance"),  # "Senegal*" in the text: `*` is not part of the word
        ("educacion", "es-educacion"),  # Spanish, accent folded
        ("EDUCACIÓN", "es-educacion"),
        ("solidaridad", "es-educacion"),
    ],
)
def test_words_match_whatever_their_case_accents_and_elisions(
    built: Path, query: str, expected: str
) -> None:
    assert matching_ids(built, query) == {expected}


@pytest.mark.parametrize(
    "phrase", ["cote d'ivoire", "Côte d’Ivoire", "CÔTE D'IVOIRE", "côte d’ivoire"]
)
def test_phrase_with_elision_matches_across_apostrophe_shapes(built: Path, phrase: str) -> None:
    assert phrase_ids(built, phrase) == {"fr-mutuelles"}


def test_french_stop_words_stay_out_of_french_fields_but_not_exact_ones(built: Path) -> None:
    # Whoosh's French list lacks "les" and "jusqu": the analyzer adds them.
    from search_service.analysis import analyze
    from search_service.index.generations import open_live_index

    assert analyze("les la jusqu’à", "fr") == []
    _, index = open_live_index(built)
    with index.searcher() as searcher:
        assert b"les" not in set(searcher.lexicon("title_fr"))
        assert b"les" in set(searcher.lexicon("title_exact"))


def test_words_of_one_language_are_not_stemmed_by_another(built: Path) -> None:
    # The English article's text is only in the English (and exact) fields.
    from search_service.index.generations import open_live_index

    _, index = open_live_index(built)
    with index.searcher() as searcher:
        english_terms = set(searcher.lexicon("body_en"))
        french_terms = set(searcher.lexicon("body_fr"))
    assert b"insur" in english_terms
    assert b"insur" not in french_terms
    assert b"mutual" in french_terms


def test_the_issue_examples_in_both_directions(index_root: Path, make_article: MakeArticle) -> None:
    build_from_articles(
        [
            make_article("singular", "Une mutuelle", "Une mutuelle en Afrique et au Togo.", "fr"),
            make_article("ivory", "Nouvelles", "Réunion à Abidjan, Côte d’Ivoire.", "fr"),
            make_article("plain", "News", "Ivoire is a word here, and so is Afrique.", "en"),
        ],
        index_root,
    )

    assert matching_ids(index_root, "mutuelles") == {"singular"}
    assert matching_ids(index_root, "l’Afrique") == {"singular", "plain"}
    assert matching_ids(index_root, "d’Ivoire") == {"ivory", "plain"}
    assert phrase_ids(index_root, "cote d'ivoire") == {"ivory"}
    assert phrase_ids(index_root, "Côte d’Ivoire") == {"ivory"}
