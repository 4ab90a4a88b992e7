"""Organisations discovered in the corpus: definitions, names, acronyms, and the noise kept out.

Every text here is written for the test (made-up organisations in the site's style).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.ingest.corpus import IngestResult, ingest_corpus
from search_service.ingest.organisations import (
    ACRONYM_MIN_ARTICLES,
    DEFINITION_MIN_ARTICLES,
    NAME_MIN_ARTICLES,
    Discovery,
)

from .conftest import Write

Corpus = Callable[..., IngestResult]


@pytest.fixture
def corpus_of(write: Write, corpus: Path) -> Corpus:
    """A corpus of one Markdown article per text (language given: no detection)."""

    def build(*bodies: str, language: str = "en") -> IngestResult:
        for number, body in enumerate(bodies):
            write(
                f"a{number}.md",
                f"---\ntitle: Article {number}\nlanguage: {language}\n---\n{body}\n",
            )
        return ingest_corpus(corpus)

    return build


def partners_of(result: IngestResult) -> list[tuple[str, ...]]:
    return [article.partners for article in sorted(result.articles, key=lambda a: a.id)]


def listed(discovery: Discovery) -> set[str]:
    """Every form of every organisation the discovery shows editors (auto and proposed)."""
    return {form for o in discovery.organisations for form in (o.canonical, *o.forms)}


def test_the_thresholds_say_one_definition_two_articles_for_a_name_one_for_an_acronym() -> None:
    assert (DEFINITION_MIN_ARTICLES, NAME_MIN_ARTICLES, ACRONYM_MIN_ARTICLES) == (1, 2, 1)


@pytest.mark.parametrize(
    ("text", "acronym", "name"),
    [
        (
            "Teachers met the National Federation of Rural Teachers (NFRT) in Lomé.",
            "NFRT",
            "National Federation of Rural Teachers",
        ),
        (
            "Le Syndicat national des enseignants du Bénin (SNEB) a signé la convention.",
            "SNEB",
            "Syndicat national des enseignants du Bénin",
        ),
        (
            "La Federación de Maestros Rurales de Bolivia (FEMARB) se reunió en La Paz.",
            "FEMARB",
            "Federación de Maestros Rurales de Bolivia",
        ),
        (
            "The SMEK (Syndicat des Maîtres et Éducateurs du Kivu) joined the campaign.",
            "SMEK",
            "Syndicat des Maîtres et Éducateurs du Kivu",
        ),
        (
            "Present were the MUTEDUC – Mutuelle des Éducateurs du Congo and two others.",
            "MUTEDUC",
            "Mutuelle des Éducateurs du Congo",
        ),
        (
            "They thanked the CNTE, the Confederación Nacional de Trabajadores de la Educación, "
            "for it.",
            "CNTE",
            "Confederación Nacional de Trabajadores de la Educación",
        ),
        (
            "Elle a remercié la FENASE, la Fédération Nationale des Syndicats de l'Éducation.",
            "FENASE",
            "Fédération Nationale des Syndicats de l'Éducation",
        ),
        (
            "The Uganda Mutual Health Union (UMHU) hosted the workshop.",
            "UMHU",
            "Uganda Mutual Health Union",
        ),
    ],
)
def test_an_acronym_defined_once_is_a_partner_with_its_long_name(
    corpus_of: Corpus, text: str, acronym: str, name: str
) -> None:
    result = corpus_of(text)
    found = result.discovery.find(acronym)
    assert found is not None and found.status == "auto" and found.evidence == "definition"
    assert found.canonical == acronym and name in found.names
    assert acronym in result.articles[0].partners


def test_an_acronym_of_another_language_is_defined_by_a_name_in_brackets(
    corpus_of: Corpus,
) -> None:
    result = corpus_of("We met the National Union of Teachers of Gabon (SNEG) in Libreville.")
    found = result.discovery.find("SNEG")
    assert found is not None and found.names == ("National Union of Teachers of Gabon",)


def test_an_acronym_and_its_names_in_several_languages_are_one_partner_naming_either_gives_it(
    corpus_of: Corpus,
) -> None:
    result = corpus_of(
        "The Pan-African Teachers Federation (PATF) met in Accra.",
        "La Fédération Panafricaine des Enseignants (PATF) s'est réunie à Dakar.",
        "Delegates of the Pan-African Teachers Federation spoke first.",
        "Les délégués de la Fédération Panafricaine des Enseignants ont parlé.",
        "PATF members voted.",
    )
    found = result.discovery.find("PATF")
    assert found is not None
    assert set(found.names) == {
        "Pan-African Teachers Federation",
        "Fédération Panafricaine des Enseignants",
    }
    assert partners_of(result) == [("PATF",)] * 5
    assert found.articles == 5


def test_acronyms_are_matched_as_written_and_whole(corpus_of: Corpus) -> None:
    result = corpus_of(
        "The Syndicat National des Enseignants Agricoles du Burkina (SNEA-B) met.",
        "The SNEA-B and the EN3S signed.",
        "The snea-b was never written so. SNEA-BX is another acronym.",
    )
    assert partners_of(result)[:2] == [("SNEA-B",), ("SNEA-B", "EN3S")]
    assert partners_of(result)[2] == ("SNEA-BX",)


def test_a_name_headed_by_an_organisation_word_needs_two_articles(corpus_of: Corpus) -> None:
    once = "The Teachers Solidarity Foundation of Kivu gave books."
    result = corpus_of(once, "Nothing here.")
    found = result.discovery.find("Teachers Solidarity Foundation of Kivu")
    assert found is not None and found.status == "proposed" and found.evidence == "single"
    assert partners_of(result) == [(), ()]


def test_a_name_written_in_two_articles_is_a_partner(corpus_of: Corpus) -> None:
    result = corpus_of(
        "The Teachers Solidarity Foundation gave books in Bamako.",
        "Books came from the Teachers Solidarity Foundation again.",
    )
    found = result.discovery.find("Teachers Solidarity Foundation")
    assert found is not None and found.status == "auto" and found.evidence == "repeated"
    assert partners_of(result) == [("Teachers Solidarity Foundation",)] * 2


def test_a_name_and_its_translations_under_an_organisation_word_are_one(corpus_of: Corpus) -> None:
    result = corpus_of(
        "The Kofi Mensah Foundation funds the school.",
        "La Fondation Kofi Mensah finance l'école.",
        "La Fundación Kofi Mensah financia la escuela.",
    )
    found = result.discovery.find("Kofi Mensah Foundation")
    assert found is not None and found.status == "auto"
    assert set(found.names) == {
        "Kofi Mensah Foundation",
        "Fondation Kofi Mensah",
        "Fundación Kofi Mensah",
    }


def test_a_name_holding_a_country_is_a_partner_from_one_article(corpus_of: Corpus) -> None:
    result = corpus_of("The Malian Teachers Mutual Society opened an office.")
    found = result.discovery.find("Malian Teachers Mutual Society")
    assert found is not None and found.status == "auto" and found.evidence == "proper"


def test_an_acronym_nobody_defines_standing_alone_is_a_partner(corpus_of: Corpus) -> None:
    result = corpus_of("The teachers of the SYNESCI met the ministry.")
    found = result.discovery.find("SYNESCI")
    assert found is not None and found.status == "auto" and found.evidence == "acronym"
    assert partners_of(result) == [("SYNESCI",)]


def test_a_list_of_names_is_not_one_name(corpus_of: Corpus) -> None:
    text = "Thanks to the Kasai Mutual Society and the Lualaba Mutual Society for their help."
    result = corpus_of(text, text)
    names = listed(result.discovery)
    assert {"Kasai Mutual Society", "Lualaba Mutual Society"} <= names
    assert not any(" and " in name for name in names)


def test_a_conjunction_inside_a_name_stays_in_it(corpus_of: Corpus) -> None:
    text = (
        "The Southern Economic and Monetary Union praised the Network of Health and "
        "Education Workers."
    )
    result = corpus_of(text, text)
    names = listed(result.discovery)
    assert "Southern Economic and Monetary Union" in names
    assert "Network of Health and Education Workers" in names


def test_a_role_before_a_name_is_not_part_of_it(corpus_of: Corpus) -> None:
    result = corpus_of(
        "Said the President of the Lagos Teachers Union yesterday.",
        "The Secretary General of the Lagos Teachers Union agreed.",
    )
    assert result.discovery.find("Lagos Teachers Union") is not None
    assert not any(name.startswith(("President", "Secretary")) for name in listed(result.discovery))


NOISE = [
    # months and headings in capitals
    "JANUARY 2021: NEWS FROM THE FIELD",
    "Published in MARCH.",
    "PROGRAMME OF THE CONFERENCE",
    "CONTACT US",
    "NUESTRA RED, EN LA ENCRUCIJADA DE LOS MUNDOS DE LA SALUD",
    # people's names in capitals
    "JEAN DUPONT opened the session.",
    "The report by Aminata TRAORE was read.",
    "KABORE Issa, secretary, spoke.",
    "Thanks to M. OUEDRAOGO and Dr DIAKITE.",
    # country codes and names
    "Delegates from CIV, SEN and the USA came.",
    "The Union of the Comoros sent a letter.",
    # generic acronyms, the network itself, the site's furniture
    "The UHC agenda, the NGO sector, HIV and COVID-19 were discussed; see the PDF.",
    "The ESN and the RES met: the Education and Solidarity Network grows.",
    "PDF Print E-mail",
    # projects, events and bodies of other organisations
    "The KIBALI project ended. Le projet KIBALI continue.",
    "The Executive Committee met; the Board of Directors too.",
    "The General Meeting of the Kivu Mutual Society was held.",
    "The Ministry of Education signed.",
    "Health Ministry officials came.",
    # title case in a heading
    "Programme Of The Conference On Health",
]


def test_noise_is_never_shown_as_an_organisation(corpus_of: Corpus) -> None:
    result = corpus_of(*NOISE, *NOISE)
    shown = listed(result.discovery)
    forbidden = {
        "JANUARY", "MARCH", "PROGRAMME", "CONTACT", "NUESTRA", "MUNDOS", "JEAN", "DUPONT",
        "TRAORE", "KABORE", "OUEDRAOGO", "DIAKITE", "CIV", "SEN", "USA", "UHC", "NGO", "HIV",
        "COVID-19", "PDF", "ESN", "RES", "KIBALI", "Union of the Comoros",
        "Education and Solidarity Network", "Executive Committee", "Board of Directors",
        "Ministry of Education", "Health Ministry", "Programme Of The Conference On Health",
    }  # fmt: skip
    assert not shown & forbidden, shown & forbidden
    assert not any(name.startswith("General Meeting") for name in shown)
    assert all(article.partners == () for article in result.articles)


def test_the_vocabulary_wins_over_discovery(write: Write, corpus: Path) -> None:
    partners = corpus / "vocabulary" / "partners.yaml"
    partners.write_text(
        partners.read_text(encoding="utf-8") + "  - FENAMOB\n  - Mutuelle des Artisans de Kindu\n",
        encoding="utf-8",
    )
    write("a.md", "---\nlanguage: fr\n---\nLa FENAMOB et la Mutuelle des Artisans de Kindu.\n")
    write("b.md", "---\nlanguage: fr\n---\nLa FENAMOB et la Mutuelle des Artisans de Kindu.\n")
    result = ingest_corpus(corpus)
    assert result.discovery.organisations == []
    assert all(article.partners == () for article in result.articles)


def test_a_definition_gives_a_listed_partner_a_new_name(corpus_of: Corpus) -> None:
    result = corpus_of(
        "The International Association of Mutual Health Funds (AIM) met.",
        "Later the International Association of Mutual Health Funds voted.",
    )
    found = result.discovery.find("International Association of Mutual Health Funds")
    assert found is not None and found.extends == "AIM" and found.acronyms == ()
    assert partners_of(result) == [("AIM",), ("AIM",)]


def test_a_longer_discovered_name_holds_a_listed_one(corpus_of: Corpus) -> None:
    text = "The UNESCO Chair for Teachers Health met. The UNESCO Chair for Teachers Health agreed."
    result = corpus_of(text, text + " UNESCO itself was there.")
    assert partners_of(result) == [
        ("UNESCO Chair for Teachers Health",),
        ("UNESCO", "UNESCO Chair for Teachers Health"),
    ]


def test_partners_given_in_metadata_stay_as_given(write: Write, corpus: Path) -> None:
    write(
        "a.md",
        "---\nlanguage: en\npartners: [ILO]\n---\nThe Lake Chad Teachers Union (LCTU) met.\n",
    )
    write("b.md", "---\nlanguage: en\n---\nThe LCTU met again.\n")
    result = ingest_corpus(corpus)
    assert partners_of(result) == [("ILO",), ("LCTU",)]


def test_a_discovered_partner_changes_the_article_checksum(corpus_of: Corpus, corpus: Path) -> None:
    first = {a.id: a.checksum for a in corpus_of("The group met.", "Other text.").articles}
    (corpus / "a1.md").write_text(
        "---\ntitle: Article 1\nlanguage: en\n---\nThe Kindu Group of Teachers (KGT) met.\n"
        "The group met.\n",
        encoding="utf-8",
    )
    second: dict[str, str] = {a.id: a.checksum for a in ingest_corpus(corpus).articles}
    assert first["a0"] == second["a0"]
    assert first["a1"] != second["a1"]


def test_the_shipped_corpus_shows_no_noise(shipped_corpus: Path) -> None:
    discovery = ingest_corpus(shipped_corpus).discovery
    for organisation in discovery.organisations:
        for form in organisation.forms:
            assert not form.isupper() or len(form) > 2
            assert form.split()[0] not in {"December", "March", "Latest", "Education"}
    assert discovery.auto == []


def test_example_sentences_come_from_the_article(corpus_of: Corpus) -> None:
    result = corpus_of("Intro. The Kindu Group of Teachers (KGT) met in May. End.")
    found = result.discovery.find("KGT")
    assert found is not None
    assert found.example == "The Kindu Group of Teachers (KGT) met in May."
    assert found.ids == ("a0",)


def test_unknown_acronyms_and_names_are_shown_and_known_or_generic_ones_are_not(
    corpus_of: Corpus,
) -> None:
    text = (
        "The CSMF and the Fédération Nationale des Mutuelles de Santé met AIM, the NGO "
        "Asmade and the Sindicato Unitario de Trabajadores in Dakar under UHC plans."
    )
    shown = listed(corpus_of(text).discovery)
    assert {
        "CSMF",
        "Fédération Nationale des Mutuelles de Santé",
        "Sindicato Unitario de Trabajadores",
    } <= shown
    assert not {"AIM", "Asmade", "NGO", "UHC", "Dakar"} & shown


@pytest.mark.parametrize("text", ["WE AIM TO PASS", "CONTACT US | WHO WE ARE", "NEWS FROM THE ILO"])
def test_a_shouted_line_shows_no_organisation(corpus_of: Corpus, text: str) -> None:
    assert corpus_of(text).discovery.organisations == []


def test_an_unknown_acronym_in_a_shouted_line_is_still_shown(corpus_of: Corpus) -> None:
    assert listed(corpus_of("THE CSMF MEETS AIM").discovery) == {"CSMF"}


def test_an_acronym_with_its_country_after_a_hyphen_is_one_acronym(corpus_of: Corpus) -> None:
    result = corpus_of("The teachers trained with CEMEA-Bénin in May.", "The CEMEA-Bénin met.")
    assert partners_of(result) == [("CEMEA-Bénin",), ("CEMEA-Bénin",)]


def test_a_short_name_written_as_a_word_is_defined_by_its_long_name_in_brackets(
    corpus_of: Corpus,
) -> None:
    result = corpus_of("Delegates of Fenacoop (National Federation of Rural Cooperatives) came.")
    found = result.discovery.find("Fenacoop")
    assert found is not None and found.status == "auto"
    assert found.names == ("National Federation of Rural Cooperatives",)
    assert found.entry()["exact"] == ["Fenacoop"]


def countries_of(result: IngestResult) -> list[tuple[str, ...]]:
    return [article.countries for article in sorted(result.articles, key=lambda a: a.id)]


def test_a_country_named_only_inside_a_discovered_name_counts_for_the_organisation(
    corpus_of: Corpus,
) -> None:
    result = corpus_of(
        "The Malian Teachers Mutual Society met the ministry.",
        "The Malian Teachers Mutual Society met in Bamako. Mali voted a new law.",
    )
    assert countries_of(result) == [(), ("Mali",)]
    assert partners_of(result) == [("Malian Teachers Mutual Society",)] * 2


def test_countries_given_in_metadata_stay_as_given(write: Write, corpus: Path) -> None:
    write(
        "a.md",
        "---\nlanguage: en\ncountries: [Mali]\n---\nThe Malian Teachers Mutual Society met.\n",
    )
    assert countries_of(ingest_corpus(corpus)) == [("Mali",)]


def test_a_place_after_the_organisation_word_is_not_part_of_a_defined_name(
    corpus_of: Corpus,
) -> None:
    result = corpus_of("The KSMT (Kayes Solidarity Mutual of Teachers in Mali) met.")
    found = result.discovery.find("KSMT")
    assert found is not None and found.names == ("Kayes Solidarity Mutual of Teachers",)
    assert countries_of(result) == [("Mali",)]


# ---- names a classifying noun introduces ("the NGO …", "l'association …") ----


@pytest.mark.parametrize(
    ("language", "text", "name"),
    [
        ("en", "Teachers worked with the NGO Open Hands on school meals.", "Open Hands"),
        ("en", "The Bright Harbour association trained forty mediators.", "Bright Harbour"),
        ("en", "Partners from Togo (NGO Hope Forward, two unions) came.", "Hope Forward"),
        (
            "fr",
            "Les enseignants ont rejoint l'association Jeunes Solidaires en mai.",
            "Jeunes Solidaires",
        ),
        ("fr", "Un atelier animé par l'ONG toulousaine AVENIR a réuni les parents.", "AVENIR"),
        ("es", "Los docentes visitaron la fundación Manos Abiertas en Cali.", "Manos Abiertas"),
    ],
)
def test_a_name_a_classifying_noun_introduces_is_an_organisation(
    corpus_of: Corpus, language: str, text: str, name: str
) -> None:
    result = corpus_of(text, language=language)
    found = result.discovery.find(name)
    assert found is not None and found.status == "auto" and found.evidence == "classified"
    assert partners_of(result) == [(name,)]


def test_an_apposition_that_classifies_a_name_in_capitals_makes_it_an_organisation(
    corpus_of: Corpus,
) -> None:
    result = corpus_of(
        "We met HORIZON, an international organisation that trains rural teachers.",
        "HORIZON sent two trainers.",
    )
    found = result.discovery.find("HORIZON")
    assert found is not None and found.status == "auto"
    assert partners_of(result) == [("HORIZON",), ("HORIZON",)]


def test_an_apposition_that_calls_a_name_a_tool_makes_it_a_thing_everywhere(
    corpus_of: Corpus,
) -> None:
    result = corpus_of(
        "Ms Roy presented LUMIKA, a diagnostic and prevention tool for secondary schools.",
        "Forty schools now use LUMIKA every term.",
    )
    assert "LUMIKA" not in listed(result.discovery)
    assert partners_of(result) == [(), ()]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Le film a été projeté lors du festival des solidarités FESTIKO à Rennes."),
        ("en", "The play was shown at the festival of the city FESTIKO last spring."),
    ],
)
def test_an_acronym_after_a_things_noun_and_its_complement_names_the_thing(
    corpus_of: Corpus, language: str, text: str
) -> None:
    result = corpus_of(text, language=language)
    assert "FESTIKO" not in listed(result.discovery)


@pytest.mark.parametrize(
    "text",
    [
        "The union President opened the meeting with the association Annual Report.",
        "She posted the photos on the social network Instaview the same evening.",
        "The Teachers Network is working on three priority areas as planned.",
        "Our word list: mutual Kolomba network Tessaly union Varnek association Ombrel.",
        "The NGO Burkina Fasso gave books.",  # a country, misspelt
    ],
)
def test_roles_documents_platforms_codes_and_word_lists_are_not_classified_names(
    corpus_of: Corpus, text: str
) -> None:
    result = corpus_of(text)
    assert not [o for o in result.discovery.organisations if o.evidence == "classified"]
    assert not {"Network is", "Instaview", "President", "Burkina Fasso"} & listed(result.discovery)


def test_a_one_word_name_the_corpus_also_writes_as_a_place_is_a_place(
    corpus_of: Corpus,
) -> None:
    result = corpus_of(
        "Parents met the union Koudara to plan the new term.",
        "A training week took place in Koudara last year.",
    )
    assert "Koudara" not in listed(result.discovery)


def test_a_nationality_after_a_french_name_belongs_to_it(corpus_of: Corpus) -> None:
    text = "La Ligue des Maîtres luxembourgeoise a rejoint le réseau cette année."
    result = corpus_of(text, text, language="fr")
    assert "Ligue des Maîtres luxembourgeoise" in listed(result.discovery)


def test_a_french_role_before_a_name_is_not_part_of_it(corpus_of: Corpus) -> None:
    text = "Le Président de la Mutuelle des Instituteurs du Nord a ouvert la séance."
    result = corpus_of(text, text, language="fr")
    assert "Mutuelle des Instituteurs du Nord" in listed(result.discovery)
    assert not any(form.startswith("Président") for form in listed(result.discovery))


def test_statutes_are_a_document_not_an_organisation(corpus_of: Corpus) -> None:
    text = "The Statutes of the Rural Teachers Union were amended in June."
    result = corpus_of(text, text)
    assert not any(form.startswith("Statutes") for form in listed(result.discovery))


def test_a_community_defined_with_its_acronym_is_an_organisation(corpus_of: Corpus) -> None:
    result = corpus_of("The Lakeside Schools Community (LSC) hosted the forum.")
    found = result.discovery.find("LSC")
    assert found is not None and found.status == "auto" and found.evidence == "definition"


def test_a_persons_portfolio_in_brackets_does_not_define_her_surname(
    corpus_of: Corpus,
) -> None:
    result = corpus_of("- Marie Castagnet (Mutual Benefits and Health Coverage)")
    assert "Castagnet" not in listed(result.discovery)
