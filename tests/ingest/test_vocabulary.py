"""Countries and partners found in text: aliases, adjectives, apostrophes, typos, acronyms."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from search_service.errors import VocabularyError
from search_service.ingest import vocabulary as vocabulary_module
from search_service.ingest.vocabulary import DISCOVERED_FILE, Vocabulary, words_of


def countries(vocabulary: Vocabulary, text: str) -> list[str]:
    return vocabulary.find_countries(text)


def partners(vocabulary: Vocabulary, text: str) -> list[str]:
    return vocabulary.find_partners(text)


@pytest.mark.parametrize(
    "text",
    [
        "Abidjan (Côte d’Ivoire)",
        "Abidjan (Côte d'Ivoire)",
        "Abidjan (Cote d'Ivoire)",
        "ABIDJAN (CÔTE D’IVOIRE)",
        "Abidjan (Cote dIvoire)",  # the elision's apostrophe left out
        "Abidjan (Côte dʼIvoire)",  # U+02BC, a letter to regular expressions
        "Abidjan (Côte d‘Ivoire)",  # U+2018
        "abidjan cote divoire",
        "the Ivory Coast",
        "la Costa de Marfil",
        "an Ivorian mutual society",
        "une mutuelle ivoirienne",
        "les Ivoiriens",
        "un sindicato marfileño",
    ],
)
def test_cote_d_ivoire_is_found_under_every_name_apostrophe_and_adjective(
    vocabulary: Vocabulary, text: str
) -> None:
    assert countries(vocabulary, text) == ["Côte d'Ivoire"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the Belgian society Solidaris", "Belgium"),
        ("une mutuelle belge", "Belgium"),
        ("la cooperación belga", "Belgium"),
        ("en Belgique", "Belgium"),
        ("en Bélgica", "Belgium"),
        ("the French organisation", "France"),
        ("au Sénégal", "Senegal"),
        ("en Guinée-Conakry", "Guinea"),
        ("in Guinea-Conakry", "Guinea"),
        ("in Guinea Conakry", "Guinea"),
        ("en Guinea-Bisáu", "Guinea-Bissau"),
        ("la RDC", "Democratic Republic of the Congo"),
        ("the DR Congo", "Democratic Republic of the Congo"),
        ("la République démocratique du Congo", "Democratic Republic of the Congo"),
        ("le Congo-Brazzaville", "Republic of the Congo"),
        ("en España", "Spain"),
        ("au Mexique", "Mexico"),
        ("in Peru", "Peru"),
    ],
)
def test_aliases_and_adjectives_in_three_languages_give_the_canonical_country(
    vocabulary: Vocabulary, text: str, expected: str
) -> None:
    assert countries(vocabulary, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The mutual of Kinshasa works across Congo.", "Democratic Republic of the Congo"),
        ("Unions of the RDC met in Congo last year.", "Democratic Republic of the Congo"),
        ("Teachers in Brazzaville: Congo ratified the convention.", "Republic of the Congo"),
        ("Les enseignants congolais de Brazzaville", "Republic of the Congo"),
        ("A study for Central Africa (Congo).", "Democratic Republic of the Congo"),
    ],
)
def test_bare_congo_is_resolved_from_context_else_to_dr_congo(
    vocabulary: Vocabulary, text: str, expected: str
) -> None:
    assert countries(vocabulary, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("training in Bukina Faso and Togo", ["Burkina Faso", "Togo"]),
        ("a mission to the Ivory Cost", ["Côte d'Ivoire"]),
        ("au Sénagal", ["Senegal"]),
        ("a trip to Madagaskar", ["Madagascar"]),
        ("en Etiopia", ["Ethiopia"]),
        ("in Camerun", ["Cameroon"]),
    ],
)
def test_one_typo_is_tolerated_in_capitalised_names_of_six_letters_or_more(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert countries(vocabulary, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Pope Francis spoke.",  # one letter from "France"/"Francia", but another word
        "Spains and Belgiums",  # a changed last letter is another word, not a typo
        "in Malo",  # names under six letters take no typo
        "bukina faso",  # typos only in capitalised spans
        "Granada, the city",  # a real place one letter from Grenada: a typo exception
        "with Angela Merkel and George Bush",  # real names one letter from Angola, Georgia
        "a Malaria programme",  # a real word one letter from Malaysia
        "Senagal was first.",  # a lone word at the start of a sentence is capitalised anyway
        "Senagall",  # two typos
    ],
)
def test_typo_tolerance_does_not_invent_countries(vocabulary: Vocabulary, text: str) -> None:
    assert countries(vocabulary, text) == []


def test_typos_are_off_in_match_names_unless_asked(vocabulary: Vocabulary) -> None:
    text = "Bukina Faso"
    assert vocabulary.match_names(text) == []
    [match] = vocabulary.match_names(text, typos=True)
    assert (match.canonical, text[match.start : match.end]) == ("Burkina Faso", "Bukina Faso")


@pytest.mark.parametrize(
    "text",
    [
        "We aim to pass the essential reforms.",
        "Essential reforms are needed.".lower(),
        "a pass for all, an aim for each",
        "who knows",
        "a bit of help",
        "he said: ie the members",
    ],
)
def test_acronyms_and_common_word_names_match_only_as_written(
    vocabulary: Vocabulary, text: str
) -> None:
    assert partners(vocabulary, text) == []


def test_acronyms_written_in_capitals_are_partners(vocabulary: Vocabulary) -> None:
    text = "AIM, PASS and Essential met the WHO, the BIT and IE."
    assert partners(vocabulary, text) == [
        "AIM",
        "PASS",
        "Essential",
        "WHO",
        "ILO",
        "Education International",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the International Labour Organization", "ILO"),
        ("l'Organisation internationale du Travail", "ILO"),
        ("la OIT", "ILO"),
        ("l’Internationale de l’Education", "Education International"),
        ("l'Internationale de l'Éducation", "Education International"),
        ("la Internacional de la Educación", "Education International"),
        ("the Christian Mutual Society", "Mutualité Chrétienne"),
        ("la Mutualité chrétienne", "Mutualité Chrétienne"),
        ("la Mutuelle Générale de l’Éducation Nationale", "MGEN"),
        ("la Asociación Internacional de la Mutualidad", "AIM"),
        ("the International Association of Mutual Benefit Societies", "AIM"),
        ("la mugef-ci", "MUGEF-CI"),
        ("UAM AFRO", "UAM-AFRO"),
    ],
)
def test_partner_long_names_in_three_languages_give_the_canonical_partner(
    vocabulary: Vocabulary, text: str, expected: str
) -> None:
    assert partners(vocabulary, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "the Education and Solidarity Network",
        "le Réseau Education et Solidarité",
        "la Red Educación y Solidaridad",
        "ESN and RES",
    ],
)
def test_the_network_itself_is_not_a_partner(vocabulary: Vocabulary, text: str) -> None:
    assert vocabulary.match_names(text, typos=True) == []


@pytest.mark.parametrize(
    "text",
    [
        "La Reunión Internacional de la RES",
        "la réunion du bureau",
        "a Christmas reunion",
        "Salvador Allende",
        "Jersey cows",
        "the French part",
    ],
)
def test_iso_names_that_are_ordinary_words_are_not_countries(
    vocabulary: Vocabulary, text: str
) -> None:
    assert vocabulary.find_countries(text) in ([], ["France"])
    assert not {"Réunion", "Christmas Island", "El Salvador", "Jersey", "Saint Martin"} & set(
        vocabulary.find_countries(text)
    )


@pytest.mark.parametrize("text", ["Nigeria", "Perugia", "Romania", "Malians"])
def test_names_match_whole_words_only(vocabulary: Vocabulary, text: str) -> None:
    found = countries(vocabulary, text)
    assert "Niger" not in found and "Peru" not in found and "Oman" not in found
    assert "Mali" not in found or text == "Malians"


def test_names_are_deduplicated_in_order_of_first_mention(vocabulary: Vocabulary) -> None:
    text = "Togo, Benin and Togo again; then Bénin and the Togolese."
    assert countries(vocabulary, text) == ["Togo", "Benin"]


def test_match_names_gives_spans_in_the_text(vocabulary: Vocabulary) -> None:
    text = "Ivory Coast and OIT"
    spans = [(m.kind, m.canonical, text[m.start : m.end]) for m in vocabulary.match_names(text)]
    assert spans == [("country", "Côte d'Ivoire", "Ivory Coast"), ("partner", "ILO", "OIT")]


def test_entries_list_aliases_in_all_languages_and_adjectives_apart(
    vocabulary: Vocabulary,
) -> None:
    ivory = vocabulary.entry("country", "Côte d'Ivoire")
    assert {"Côte d'Ivoire", "Ivory Coast", "Costa de Marfil"} <= set(ivory.aliases)
    assert {"Ivorian", "ivoirien", "ivoirienne", "marfileño"} <= set(ivory.adjectives)
    assert "Ivorian" not in ivory.aliases
    ilo = vocabulary.entry("partner", "ILO")
    assert {"ILO", "BIT", "OIT", "Organización Internacional del Trabajo"} <= set(ilo.aliases)
    with pytest.raises(KeyError):
        vocabulary.entry("partner", "Nobody")


def test_an_editor_adds_a_partner_without_touching_code(tmp_path: Path) -> None:
    (tmp_path / "partners.yaml").write_text(
        "partners:\n  - canonical: CSMF\n    acronyms: [CSMF]\n"
        "    names: [Confédération des syndicats médicaux français]\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(tmp_path)
    text = "La CSMF, Confédération des Syndicats Médicaux Français, et la csmf"
    assert [m.canonical for m in vocabulary.match_names(text)] == ["CSMF", "CSMF"]


def test_fingerprint_changes_when_a_vocabulary_file_changes(tmp_path: Path) -> None:
    partners_file = tmp_path / "partners.yaml"
    partners_file.write_text("partners:\n  - canonical: Alpha Mutual\n", encoding="utf-8")
    before = Vocabulary.load(tmp_path).fingerprint
    partners_file.write_text("partners:\n  - canonical: Beta Mutual\n", encoding="utf-8")
    assert Vocabulary.load(tmp_path).fingerprint != before


def test_missing_vocabulary_files_leave_pycountry_countries_and_no_partners(
    tmp_path: Path,
) -> None:
    vocabulary = Vocabulary.load(tmp_path / "nowhere")
    assert vocabulary.find_countries("Sénégal y Bélgica") == ["Senegal", "Belgium"]
    assert vocabulary.find_partners("AIM and ILO") == []


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("partners.yaml", "partners: [\n", "cannot read"),
        ("partners.yaml", "- just a list\n", "mapping"),
        ("partners.yaml", "partners:\n  - acronyms: [X]\n", "canonical"),
        ("partners.yaml", "partners:\n  - canonical: X\n    nmaes: [Y]\n", "unknown key"),
        (
            "partners.yaml",
            "partners:\n  - canonical: A\n    names: [Same Name]\n"
            "  - canonical: B\n    names: [Same Name]\n",
            "two entries",
        ),
        ("countries.yaml", "ambiguous:\n  Congo:\n    context: {CD: [Kinshasa]}\n", "default"),
        ("countries.yaml", "ambiguous:\n  X:\n    default: Atlantis\n", "unknown country"),
        ("countries.yaml", "countries:\n  FR: [not, a, mapping]\n", "mapping"),
        ("countries.yaml", "countries:\n  SV: {}\n  SV: {}\n", "given twice"),
    ],
)
def test_malformed_vocabulary_files_raise_vocabulary_error_naming_the_file(
    tmp_path: Path, file: str, content: str, message: str
) -> None:
    (tmp_path / file).write_text(content, encoding="utf-8")
    with pytest.raises(VocabularyError, match=message) as raised:
        Vocabulary.load(tmp_path)
    assert file in str(raised.value) or "two entries" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the French organisation Essential, which operates in Guinea", ["Essential"]),
        ("partners: Essential and AIM", ["Essential", "AIM"]),
        ("Essential to this work is the AIM.", ["AIM"]),
        ("Reforms are due. Essential steps remain.", []),
        ("an essential step", []),
    ],
)
def test_a_partner_named_by_an_ordinary_word_is_decided_by_case_and_place(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert partners(vocabulary, text) == expected


def test_capitalised_adjectives_still_count_at_the_start_of_a_sentence(
    vocabulary: Vocabulary,
) -> None:
    assert countries(vocabulary, "Mutuals met. Belgian and Polish unions came.") == [
        "Belgium",
        "Poland",
    ]


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("partner", "Essential", "Essential"),
        ("partner", "oit", "ILO"),
        ("country", "Ivorian", "Côte d'Ivoire"),
        ("country", "Bukina Faso", "Burkina Faso"),
        ("country", "Congo", "Democratic Republic of the Congo"),
        ("country", "SN", "Senegal"),
        ("country", "CIV", "Côte d'Ivoire"),
        ("country", "Tanzania, United Republic of", "Tanzania"),
        ("country", "Atlantis", None),
        ("partner", "Senegal", None),
    ],
)
def test_canonical_maps_a_name_given_alone(
    vocabulary: Vocabulary, kind: str, name: str, expected: str | None
) -> None:
    assert vocabulary.canonical(kind, name) == expected  # type: ignore[arg-type]


AFRICA = (
    "DZ AO BJ BW BF BI CV CM CF TD KM CD CG CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG "
    "MW ML MR MU MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD TZ TG TN UG ZM ZW"
)
EUROPE = (
    "AL AD AT BY BE BA BG HR CY CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT MD MC ME NL MK "
    "NO PL PT RO RU SM RS SK SI ES SE CH UA GB"
)
LATIN_AMERICA = "AR BO BR CL CO CR CU DO EC SV GT HT HN MX NI PA PY PE UY VE PR"


@pytest.mark.parametrize("code", f"{AFRICA} {EUROPE} {LATIN_AMERICA}".split())
def test_every_african_european_and_latin_american_country_has_names_and_adjectives(
    vocabulary: Vocabulary, code: str
) -> None:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    assert country is not None
    canonical = vocabulary.canonical("country", country.name)
    assert canonical is not None
    entry = vocabulary.entry("country", canonical)
    assert entry.adjectives, f"{canonical} has no adjectives"
    assert vocabulary.find_countries(f"News from {canonical}.") == [canonical]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONTACT US", []),
        ("ABOUT US | WHO WE ARE", []),
        ("WE AIM TO PASS", []),
        ("NEWS FROM THE ILO", ["ILO"]),
        ("AIM, PASS and the US", ["AIM", "PASS", "United States"]),
    ],
)
def test_acronyms_that_are_words_do_not_count_inside_a_run_of_capitals(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert [m.canonical for m in vocabulary.match_names(text, typos=True)] == expected


@pytest.mark.parametrize(
    "text",
    ["the report is available in French", "une version en espagnol", "French-speaking Africa"],
)
def test_language_names_are_not_countries(vocabulary: Vocabulary, text: str) -> None:
    assert vocabulary.find_countries(text) == []


@pytest.mark.parametrize(
    ("kind", "names", "canonical"),
    [
        (
            "partner",
            [
                "AIM",
                "IAM",
                "International Association of Mutual Benefit Societies",
                "Association Internationale de la Mutualité",
                "Asociación Internacional de la Mutualidad",
            ],
            "AIM",
        ),
        (
            "partner",
            [
                "ILO",
                "BIT",
                "OIT",
                "International Labour Office",
                "International Labour Organization",
            ],
            "ILO",
        ),
        (
            "partner",
            ["Education International", "EI", "IE", "Internationale de l’Education"],
            "Education International",
        ),
        ("partner", ["MGEN", "Mutuelle Générale de l’Education Nationale"], "MGEN"),
        ("partner", ["Mutualité Chrétienne", "Christian Mutual Society"], "Mutualité Chrétienne"),
        (
            "country",
            [
                "Ivory Coast",
                "Côte d’Ivoire",
                "Côte d'Ivoire",
                "Cote d'Ivoire",
                "Ivorian",
                "ivoirien",
                "ivoirienne",
                "marfileño",
            ],
            "Côte d'Ivoire",
        ),
        ("country", ["Belgian", "belge"], "Belgium"),
        ("country", ["Guinea-Conakry"], "Guinea"),
        ("country", ["RDC", "DR Congo"], "Democratic Republic of the Congo"),
    ],
)
def test_the_examples_of_the_issue_map_to_their_canonical_name(
    vocabulary: Vocabulary, kind: str, names: list[str], canonical: str
) -> None:
    for name in names:
        found = [m.canonical for m in vocabulary.match_names(f"news: {name} met", typos=False)]
        assert found == [canonical], name
        assert vocabulary.canonical(kind, name) == canonical  # type: ignore[arg-type]


def test_a_name_with_an_elision_is_found_without_its_apostrophe(vocabulary: Vocabulary) -> None:
    assert partners(vocabulary, "le congrès de l'Internationale de lEducation") == [
        "Education International"
    ]
    assert countries(vocabulary, "divoire") == []  # the glued word alone is no name


def test_a_name_of_ordinary_words_without_its_apostrophe_is_written_as_the_name_is(
    vocabulary: Vocabulary,
) -> None:
    """The apostrophe-less form of a name needs the capitals the name itself needs."""
    assert partners(vocabulary, "l'internationale de leducation") == []
    assert partners(vocabulary, "l'Internationale De LEducation") == ["Education International"]
    assert partners(vocabulary, "L'INTERNATIONALE DE LEDUCATION") == ["Education International"]


def test_the_spanish_article_el_may_stay_in_lower_case_in_a_name_written_with_capitals(
    tmp_path: Path,
) -> None:
    (tmp_path / "partners.yaml").write_text(
        "partners:\n  - canonical: ASD\n    names: [Acción solidaria para el desarrollo]\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(tmp_path)
    assert partners(vocabulary, "la Acción Solidaria para el Desarrollo") == ["ASD"]
    assert partners(vocabulary, "una acción solidaria para el desarrollo") == []


# ---- review of issue 2: names made of ordinary words, shouting -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Improving teachers' health",
        "Improving Teachers Health in Africa",
        "a call for world solidarity",
        "a free mutual society in Togo",
        "the Christian mutual society of Togo",
        "la mutualité socialiste",
        "les mutualités chrétiennes du pays",
        "la mutualidad francesa",
    ],
)
def test_partner_names_made_of_ordinary_words_do_not_match_ordinary_phrases(
    vocabulary: Vocabulary, text: str
) -> None:
    assert partners(vocabulary, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the Christian Mutual Society and the Free Mutual Society",
            ["Mutualité Chrétienne", "Mutualités Libres"],
        ),
        ("A CALL FROM WORLD SOLIDARITY", ["Solidarité Mondiale"]),
        (
            "la Mutualité socialiste et la Mutualité chrétienne",
            ["Solidaris", "Mutualité Chrétienne"],
        ),
        ("l'Organisation mondiale de la santé", ["WHO"]),
        ("the Schools for Health in Europe network", ["Schools for Health in Europe"]),
        ("avec la Coopération belge au développement", ["Belgian Development Cooperation"]),
        ("the masmut programme and the solidaris mutual society", ["Masmut", "Solidaris"]),
    ],
)
def test_partner_names_match_when_written_as_names_and_distinctive_ones_in_any_case(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert partners(vocabulary, text) == expected


def test_a_name_made_of_ordinary_words_matches_as_listed_or_capitalised(tmp_path: Path) -> None:
    (tmp_path / "partners.yaml").write_text(
        "partners:\n"
        "  - canonical: Teachers Fund\n    names: [Fonds des enseignants]\n"
        "  - canonical: Zorbla Fund\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(tmp_path)
    assert partners(vocabulary, "a teachers fund; the fonds des enseignants") == []
    assert partners(vocabulary, "the Teachers Fund, le Fonds des enseignants") == ["Teachers Fund"]
    assert partners(vocabulary, "THE TEACHERS FUND") == ["Teachers Fund"]
    assert partners(vocabulary, "the zorbla fund") == ["Zorbla Fund"]  # a word of its own


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("christian mutual society", "Mutualité Chrétienne"),
        ("internationale de l'éducation", "Education International"),
        ("internationale de leducation", "Education International"),  # no apostrophe
        ("world solidarity", "Solidarité Mondiale"),
    ],
)
def test_a_query_or_a_name_given_alone_matches_names_of_ordinary_words_in_any_case(
    vocabulary: Vocabulary, name: str, canonical: str
) -> None:
    """Only an article's text (`prose`, what the ingest uses) asks for a name's capitals."""
    assert [m.canonical for m in vocabulary.match_names(name)] == [canonical]
    assert vocabulary.canonical("partner", name) == canonical
    assert vocabulary.match_names(name, prose=True) == []


def test_a_country_adjective_inside_a_partner_name_that_did_not_match_gives_the_country(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.find_names("MGEN, a French mutual society, signed.") == (
        ["France"],
        ["MGEN"],
    )
    assert vocabulary.find_names("MGEN and the French Mutual Society signed.") == (
        [],
        ["MGEN", "Mutualité Française"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the NGO Essential, which works in Guinea.", ["Essential"]),
        ("the NGO PASS and the ONG AIM", ["PASS", "AIM"]),
        ("WE AIM TO PASS", []),
        ("AN ESSENTIAL STEP", []),
        ("we aim to", []),
        ("a pass", []),
        ("essential", []),
    ],
)
def test_a_capital_next_to_an_acronym_is_no_shouting(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert partners(vocabulary, text) == expected


def test_no_typo_is_read_inside_a_word_of_three_letters(vocabulary: Vocabulary) -> None:
    # "SHE Network" is a name of Schools for Health in Europe; "The Network" is not a typo of it.
    assert partners(vocabulary, "The Network met in Paris.") == []
    assert partners(vocabulary, "The SHE Network met in Paris.") == ["Schools for Health in Europe"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Adosen trained the teachers.", ["ADOSEN"]),
        ("with the help of Unesco and Unicef", ["UNESCO", "UNICEF"]),
        ("KABORE Issa spoke.", []),  # ISSA is too short to be read in title case: a first name
        ("Pass the salt.", []),  # PASS is a common word
    ],
)
def test_a_long_acronym_written_as_a_name_is_still_the_partner(
    vocabulary: Vocabulary, text: str, expected: list[str]
) -> None:
    assert partners(vocabulary, text) == expected


def test_a_name_holds_an_ampersand_and_an_acronym_pair_a_slash(tmp_path: Path) -> None:
    (tmp_path / "partners.yaml").write_text(
        "partners:\n"
        "  - canonical: Chair of Health & Education\n"
        "  - canonical: CTF/FCE\n    acronyms: [CTF/FCE]\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(tmp_path)
    text = "The Chair of Health & Education and the CTF/FCE wrote."
    assert partners(vocabulary, text) == ["Chair of Health & Education", "CTF/FCE"]


def test_discovered_organisations_load_below_the_curated_ones(tmp_path: Path) -> None:
    (tmp_path / "partners.yaml").write_text(
        "partners:\n"
        "  - canonical: AIM\n    acronyms: [AIM]\n"
        "  - canonical: KTU\n    acronyms: [KTU]\n"
        "ignore: [Kayes Network]\n"
        "not_organisations: [NOPE]\n",
        encoding="utf-8",
    )
    (tmp_path / "discovered.yaml").write_text(
        "partners:\n"
        "  - canonical: AIM\n    names: [World Mutual Health Alliance]\n"
        "  - canonical: SNEB\n    acronyms: [SNEB]\n"
        "    names: [Syndicat des Enseignants du Bénin, KTU]\n"
        "  - canonical: NOPE\n    acronyms: [NOPE]\n"
        "  - canonical: Kayes Network\n    names: [Kayes Network]\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(tmp_path)
    text = (
        "The World Mutual Health Alliance, the Syndicat des Enseignants du Bénin, the SNEB, "
        "the KTU, the NOPE, the Kayes Network and the aim of it all."
    )
    assert partners(vocabulary, text) == ["AIM", "SNEB", "KTU"]
    assert "World Mutual Health Alliance" in vocabulary.entry("partner", "AIM").aliases
    assert "KTU" not in vocabulary.entry("partner", "SNEB").aliases  # the curated KTU's
    with pytest.raises(KeyError):
        vocabulary.entry("partner", "NOPE")


def test_a_snapshot_vocabulary_finds_the_words_of_its_corpus_names_remembered(
    vocabulary_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build compiles its corpus's vocabulary, then its snapshot's (the same files and
    `discovered.yaml`): the second works out the words of the names it adds, and only
    those."""
    monkeypatch.setattr(vocabulary_module, "_LOADED", {})  # each `load` builds
    snapshot = tmp_path / "snapshot"
    shutil.copytree(vocabulary_dir, snapshot)
    (snapshot / DISCOVERED_FILE).write_text(
        "partners:\n- canonical: Zorblax Teachers Guild\n  names:\n  - Zorblax Teachers Guild\n",
        encoding="utf-8",
    )
    words_of.cache_clear()
    corpus = Vocabulary.load(vocabulary_dir)
    first = words_of.cache_info()
    built = Vocabulary.load(snapshot)
    second = words_of.cache_info()
    worked_out, added = first.misses, second.misses - first.misses

    assert built is not corpus
    assert 0 < added < worked_out // 100
    assert second.hits - first.hits > worked_out  # every name met again, none worked out
    assert built.find_partners("AIM and the Zorblax Teachers Guild") == [
        "AIM",
        "Zorblax Teachers Guild",
    ]


def test_a_query_s_acronym_is_told_from_a_shouted_word_without_loading_the_word_lists(
    vocabulary: Vocabulary, tmp_path: Path
) -> None:
    """A service unpickles its vocabulary; answering "AIM" must not load the word lists
    (about 11 MiB a worker) to see whether the acronym is also a word."""
    queries = ["AIM", "WHO WE ARE", "the NGO PASS and the ONG AIM", "NEWS FROM THE ILO"]
    expected = [[match.canonical for match in vocabulary.match_query_names(q)] for q in queries]
    assert expected == [["AIM"], [], ["PASS", "AIM"], ["ILO"]]  # "WHO WE ARE" is shouting
    pickled = tmp_path / "vocabulary.pickle"
    pickled.write_bytes(pickle.dumps(vocabulary))
    script = textwrap.dedent(
        f"""
        import json, pickle, sys
        from search_service.ingest import word_lists
        vocabulary = pickle.loads(open({str(pickled)!r}, "rb").read())
        found = [[m.canonical for m in vocabulary.match_query_names(q)] for q in {queries!r}]
        loaded = word_lists._word_lists.cache_info().currsize
        print(json.dumps([found, loaded, "wordfreq" in sys.modules]))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [expected, 0, False]
