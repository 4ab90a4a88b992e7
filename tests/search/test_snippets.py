"""Snippets on their own: which written words are marked, whatever the body's alphabet."""

from __future__ import annotations

from search_service.search.snippets import HighlightTerms, make_snippet


def test_unaccented_query_words_mark_accented_words_beside_curly_punctuation() -> None:
    body = "La Mutualité de Côte d’Ivoire – « santé pour tous » – à Abidjan."
    terms = HighlightTerms(exact=frozenset({"mutualite", "cote", "sante"}))
    snippet = make_snippet(body, terms, "fr")
    assert "<mark>Mutualité</mark>" in snippet
    assert "<mark>Côte</mark>" in snippet
    assert "<mark>santé</mark>" in snippet


def test_letters_beyond_latin1_are_folded_too() -> None:
    body = "Lech Wałęsa met the unions of Łódź and Brașov."
    terms = HighlightTerms(exact=frozenset({"walesa", "lodz", "brasov"}))
    snippet = make_snippet(body, terms, "en")
    assert "<mark>Wałęsa</mark>" in snippet
    assert "<mark>Łódź</mark>" in snippet
    assert "<mark>Brașov</mark>" in snippet


def test_a_word_after_a_modifier_letter_apostrophe_is_marked() -> None:
    body = "Lech Wałęsa à Abidjan, en Côte dʼIvoire."  # "ł": the per-character fold
    terms = HighlightTerms(exact=frozenset({"ivoire"}))
    assert "dʼ<mark>Ivoire</mark>" in make_snippet(body, terms, "fr")


def test_only_whole_words_are_marked_never_their_insides() -> None:
    body = "Teachers' healthcare and unhealthy schools; health first."
    terms = HighlightTerms(exact=frozenset({"health"}))
    snippet = make_snippet(body, terms, "en")
    assert snippet.count("<mark>") == 1
    assert "<mark>health</mark> first" in snippet


def test_stems_mark_forms_whose_stem_ends_differently_from_the_word() -> None:
    body = "Une publication sur les indications des mutuelles."
    terms = HighlightTerms(stems={"fr": frozenset({"publiqu", "indiqu", "mutuel"})})
    snippet = make_snippet(body, terms, "fr")
    assert "<mark>publication</mark>" in snippet
    assert "<mark>indications</mark>" in snippet
    assert "<mark>mutuelles</mark>" in snippet


def test_a_body_that_lower_casing_lengthens_still_gets_marks_in_place() -> None:
    body = "İstanbul hosted the teachers of Izmir."
    terms = HighlightTerms(exact=frozenset({"izmir", "teachers"}))
    snippet = make_snippet(body, terms, "en")
    assert "<mark>teachers</mark>" in snippet
    assert "<mark>Izmir</mark>" in snippet
