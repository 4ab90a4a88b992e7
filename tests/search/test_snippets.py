"""Snippets on their own: which written words are marked, whatever the body's alphabet."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.index.compiled_view import HIGHLIGHTED_CHARS
from search_service.search.snippets import HighlightTerms, NameWords, make_snippet
from search_service.text import fold_to_words, is_plain


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


def test_a_query_word_holding_a_dot_is_marked_whole() -> None:
    """The folded copy searched has a space for the dot: its part before it is looked for."""
    body = "Budget 3.5 billion, up from 3,5 and 3.50; see U.S. unions (3.5)."
    terms = HighlightTerms(exact=frozenset({"3.5", "u.s"}))

    snippet = make_snippet(body, terms, "en")

    assert snippet == (
        "Budget <mark>3.5</mark> billion, up from 3,5 and 3.50; see <mark>U.S</mark>. unions "
        "(<mark>3.5</mark>)."
    )


def test_a_query_word_beyond_latin1_is_marked_whole() -> None:
    body = "Łódź et Москва, capitales."
    terms = HighlightTerms(exact=frozenset({"москва"}))

    assert make_snippet(body, terms, "fr") == "Łódź et <mark>Москва</mark>, capitales."


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


MUGEF = NameWords(("mugef", "ci"), capitals=True)
MUGEF_LONG = NameWords(("mutuelle", "generale", "des", "fonctionnaires", "de", "cote", "ivoire"))
FILLER = "They talked about pensions, schools and health for a long while. " * 5


def test_a_name_is_marked_whole_and_its_passage_wins_over_recurring_words() -> None:
    body = f"Unions of Côte d’Ivoire met in Abidjan, Côte d’Ivoire. {FILLER}MUGEF-CI joined."
    terms = HighlightTerms(exact=frozenset({"mugef", "ci", "cote", "ivoire"}), names=(MUGEF,))
    snippet = make_snippet(body, terms, "en")
    assert "<mark>MUGEF-CI</mark>" in snippet
    assert "Abidjan" not in snippet


def test_an_acronym_name_is_found_only_in_capitals() -> None:
    aim = NameWords(("aim",), capitals=True)
    snippet = make_snippet("We aim to help; the AIM met.", HighlightTerms(names=(aim,)), "en")
    assert snippet == "We aim to help; the <mark>AIM</mark> met."


def test_a_name_with_elisions_and_any_apostrophe_is_found_whole() -> None:
    for written in (
        "Côte d’Ivoire",
        "Côte d'Ivoire",
        "Côte dʼIvoire",
        "COTE D'IVOIRE",
        "Côte-d'Ivoire",
    ):
        body = f"{FILLER}Teachers of {written} met."
        snippet = make_snippet(body, HighlightTerms(names=(NameWords(("cote", "ivoire")),)), "fr")
        assert f"<mark>{written.replace(chr(39), '&#x27;')}</mark>" in snippet, written


def test_a_long_name_is_found_across_its_small_words_and_elisions() -> None:
    body = (
        f"{FILLER}La Mutuelle Générale des Fonctionnaires de Côte d’Ivoire est là. "
        "Le président de la mutuelle parle."
    )
    snippet = make_snippet(body, HighlightTerms(names=(MUGEF_LONG, MUGEF)), "fr")
    assert "<mark>Mutuelle Générale des Fonctionnaires de Côte d’Ivoire</mark>" in snippet


def test_words_of_a_name_written_apart_are_not_the_name() -> None:
    body = "The mugef. CI is a code. Later: MUGEF CI."
    snippet = make_snippet(body, HighlightTerms(names=(MUGEF,)), "en")
    assert snippet.count("<mark>") == 1
    assert "<mark>MUGEF CI</mark>" in snippet


def test_the_context_before_a_passage_never_pushes_its_last_match_out() -> None:
    body = (
        "Intro words here. "
        * 20
        + "alpha and then a long stretch of plain words without any match at all, "
        "going on and on for quite a few characters before the end, and more of "
        "them, still more of them, nearly there now, until "
        "beta ends it. " + "Tail words. " * 20
    )
    assert 165 < body.index("beta") + 4 - body.index("alpha") <= 220  # one window
    snippet = make_snippet(body, HighlightTerms(exact=frozenset({"alpha", "beta"})), "en")
    assert "<mark>alpha</mark>" in snippet and "<mark>beta</mark>" in snippet


@pytest.mark.parametrize(
    ("body", "words", "expected"),
    [
        (  # cut at the last space before its size: that space is inside the window
            "Some words come first, then health of solidarity a in society.",
            ["health", "solidarity"],
            "…<mark>health</mark> of <mark>solidarity</mark>…",
        ),
        (  # less context before the first match, so that the last one fits
            "Words before them and solidarity of mutual and more words after.",
            ["mutual", "solidarity"],
            "…<mark>solidarity</mark> of <mark>mutual</mark>…",
        ),
        (  # a match longer than a passage is shown whole
            "A word: antidisestablishmentarianism, then more words after it.",
            ["antidisestablishmentarianism"],
            "…<mark>antidisestablishmentarianism</mark>…",
        ),
        (  # the context before the match reaches the body's start: all of it is shown
            "Some education here and more words after it all.",
            ["education"],
            "Some <mark>education</mark> here…",
        ),
    ],
)
def test_a_short_passage_holds_every_match_of_its_window(
    body: str, words: list[str], expected: str
) -> None:
    terms = HighlightTerms(exact=frozenset(words))

    assert make_snippet(body, terms, "en", size=20) == expected


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["Santé", "sante", "SANTÉ", "d’Ivoire", "Straße", "İstanbul", "Łódź", "–", "teachers",
             "Teachers'", "«", "mutualité", "x"]
        ),
        max_size=60,
    ),
)  # fmt: skip
def test_a_body_folded_beforehand_gives_the_snippet_folding_it_here_gives(words: list[str]) -> None:
    """The index keeps each body folded (`compiled_view.FOLDED_BODY`); a snippet cut with
    it, or with a folded copy that does not fit the body (ignored), is the same."""
    body = " ".join(words)
    terms = HighlightTerms(exact=frozenset({"sante", "ivoire", "teachers"}), prefixes=("mutu",))
    expected = make_snippet(body, terms, "fr")

    assert make_snippet(body, terms, "fr", folded_words=fold_to_words(body)) == expected
    assert make_snippet(body, terms, "fr", folded_words="x" + fold_to_words(body)) == expected


def test_a_long_body_is_highlighted_from_its_first_part_folded_beforehand() -> None:
    body = "Teachers and unions. " * 2_000 + "Santé pour tous. " * 2_000  # santé after 40,000
    terms = HighlightTerms(exact=frozenset({"sante"}))
    folded = fold_to_words(body[:HIGHLIGHTED_CHARS])

    snippet = make_snippet(body, terms, "fr", folded_words=folded)

    assert len(body) > HIGHLIGHTED_CHARS and "<mark>Santé</mark>" in snippet
    assert snippet == make_snippet(body, terms, "fr")


@pytest.mark.parametrize(
    "body",
    [
        "Les enseignants\nse sont réunis.\n\nLa mutuelle aussi.",  # a body's line breaks
        "Les enseignants\n\n\nse sont réunis.",
        "Les  enseignants \n se sont réunis.",
        "Les\tenseignants se sont\u00a0réunis\u202f: la mutuelle\u2028aussi.",
        "\nLes enseignants se sont réunis.\n",  # whitespace at both ends
        "Les enseignants\u00ad se sont réunis.",  # not printable, not whitespace: kept
    ],
)
def test_a_passage_has_one_space_wherever_its_body_had_any_whitespace(body: str) -> None:
    terms = HighlightTerms(exact=frozenset({"enseignants"}))

    snippet = make_snippet(body, terms, "fr")

    assert snippet == " ".join(snippet.split())
    words = body.replace("enseignants", "<mark>enseignants</mark>").split()
    assert snippet == " ".join(words)
    assert make_snippet(body, terms, "fr", plain=is_plain(body)) == snippet  # as the view says
