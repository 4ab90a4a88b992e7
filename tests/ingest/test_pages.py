"""Saved site pages: furniture removed, title and date lines found, paragraphs kept."""

from __future__ import annotations

import datetime as dt

import pytest

from search_service.ingest.pages import infer_title, parse_page

SITE = "Education and Solidarity Network"


def page(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("December 19, 2016", dt.date(2016, 12, 19)),
        ("Dec 19, 2016", dt.date(2016, 12, 19)),
        ("19 December 2016", dt.date(2016, 12, 19)),
        ("Monday, December 19, 2016", dt.date(2016, 12, 19)),
        ("22 septembre 2016", dt.date(2016, 9, 22)),
        ("8 juillet 2020", dt.date(2020, 7, 8)),
        ("2 décembre 2020", dt.date(2020, 12, 2)),
        ("2 decembre 2020", dt.date(2020, 12, 2)),
        ("1er juillet 2020", dt.date(2020, 7, 1)),
        ("lundi 19 décembre 2016", dt.date(2016, 12, 19)),
        ("22 octubre 2020", dt.date(2020, 10, 22)),
        ("9 agosto 2014", dt.date(2014, 8, 9)),
        ("19 de diciembre de 2016", dt.date(2016, 12, 19)),
        ("19/12/2016", dt.date(2016, 12, 19)),
        ("2016-12-19", dt.date(2016, 12, 19)),
    ],
)
def test_the_date_line_is_read_in_english_french_and_spanish(line: str, expected: dt.date) -> None:
    parsed = parse_page(page(SITE, line, "", "Body text of the article."))
    assert parsed.date == expected
    assert parsed.body == "Body text of the article."


def test_a_french_date_on_an_english_page_is_the_page_date() -> None:
    parsed = parse_page(page(SITE, "22 septembre 2016", "", "From 2 to 3 March 2016, AIM met."))
    assert parsed.date == dt.date(2016, 9, 22)
    assert parsed.title is None


def test_a_date_inside_the_body_is_never_the_page_date() -> None:
    text = page(
        "Espagnol English Français",
        "",
        "The meeting took place in Dakar.",
        "",
        "22 septembre 2016",
        "",
        "More text.",
    )
    parsed = parse_page(text)
    assert parsed.date is None
    assert "22 septembre 2016" in parsed.body


def test_an_invalid_date_line_leaves_the_date_empty_with_a_note() -> None:
    parsed = parse_page(page(SITE, "31 septembre 2016", "", "Texte de l'article."))
    assert parsed.date is None
    [note] = parsed.notes
    assert note.code == "bad_date" and note.line == 2 and "31 septembre 2016" in note.message
    assert parsed.body == "Texte de l'article."


def test_english_banner_site_name_twice_and_title_before_the_date() -> None:
    text = page(
        "🌎 Join online ESN’s International Meeting",
        SITE,
        "",
        "Masmut programme: a controlled landing",
        "",
        SITE,
        "December 19, 2016",
        "",
        "The MASMUT programme will come to an end.",
        "",
        "Second paragraph.",
        "",
        "",
        "Latest news",
        "Another article's teaser",
    )
    parsed = parse_page(text)
    assert parsed.title == "Masmut programme: a controlled landing"
    assert parsed.date == dt.date(2016, 12, 19)
    assert parsed.body == "The MASMUT programme will come to an end.\n\nSecond paragraph."


def test_spanish_banner_countdown_categories_and_footer_are_dropped() -> None:
    text = page(
        "🌎 Únete en línea a la Reunión Internacional de la RES",
        "Días",
        "Horas",
        "Minutos",
        "Segundos",
        SITE,
        SITE,
        "África / Personal educativo / Protección social",
        "La protección social en Senegal",
        SITE,
        "22 octubre 2020",
        "",
        "El sindicato organizó un taller en Dakar.",
        "",
        "Últimas noticias",
        "Otra noticia",
    )
    parsed = parse_page(text)
    assert parsed.title == "La protección social en Senegal"
    assert parsed.date == dt.date(2020, 10, 22)
    assert parsed.body == "El sindicato organizó un taller en Dakar."


def test_countdown_with_numbers_and_french_banner_are_dropped() -> None:
    text = page(
        "🌎 Rejoignez en ligne la Rencontre internationale du RES",
        "12 Jours 05 Heures 33 Minutes 10 Secondes",
        SITE,
        "Gouvernance / Vie de l'association",
        "L'assemblée générale du Réseau",
        SITE,
        "8 juillet 2020",
        "L'assemblée s'est tenue en ligne.",
        "Les dernières actualités",
        "Un autre article",
    )
    parsed = parse_page(text)
    assert parsed.title == "L'assemblée générale du Réseau"
    assert parsed.date == dt.date(2020, 7, 8)
    assert parsed.body == "L'assemblée s'est tenue en ligne."


def test_region_menu_lines_are_dropped() -> None:
    text = page(
        "Africa Americas Europe",
        "Afrique / Amériques / Europe",
        "International",
        "Teachers' health in Europe",
        SITE,
        "2 décembre 2020",
        "",
        "A survey of teachers.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Teachers' health in Europe"
    assert parsed.body == "A survey of teachers."


def test_old_site_header_without_date_gives_title_and_body() -> None:
    text = page(
        "Espagnol English Français",
        "Rejoignez-nous sur facebook",
        "Assemblée générale 2012 à Paris",
        "PDF Imprimer Envoyer",
        "E-mail",
        "",
        "L'assemblée générale s'est tenue à Paris.",
        "",
        "Please login or register to see the full article",
        "Teaser of the next article",
    )
    parsed = parse_page(text)
    assert parsed.title == "Assemblée générale 2012 à Paris"
    assert parsed.date is None
    assert parsed.body == "L'assemblée générale s'est tenue à Paris."


@pytest.mark.parametrize(
    "footer",
    [
        "Latest news",
        "Les dernières actualités",
        "Últimas noticias",
        "Please login or register to see the full article",
    ],
)
def test_every_footer_and_what_follows_it_is_dropped(footer: str) -> None:
    text = page(SITE, "9 agosto 2014", "", "Body.", "", footer, "Teaser one", "", "Teaser two")
    parsed = parse_page(text)
    assert parsed.body == "Body."


def test_a_footer_on_the_last_line_without_newline_is_dropped() -> None:
    parsed = parse_page(f"{SITE}\n22 septembre 2016\n\nBody.\n\n\nLes dernières actualités")
    assert parsed.body == "Body."


def test_paragraphs_are_kept_and_blank_runs_collapsed() -> None:
    text = page(SITE, "9 agosto 2014", "", "First.", "", "", "", "  • item one", "  • item two")
    assert parse_page(text).body == "First.\n\n• item one\n• item two"


def test_a_page_without_furniture_has_no_title_line() -> None:
    parsed = parse_page("Just one paragraph of text. And another sentence.\n")
    assert parsed.title is None and parsed.date is None
    assert parsed.body == "Just one paragraph of text. And another sentence."


def test_inferred_title_is_the_first_sentence_without_asides_cut_at_a_word() -> None:
    body = (
        "From 2 to 3 March 2016, AIM (the International Association of Mutual Benefit "
        "Societies) organised an international conference in Abidjan (Côte d’Ivoire) on the "
        "African mutualist movement’s prospects regarding universal health coverage.\n\nMore."
    )
    title = infer_title(body)
    assert title.startswith("From 2 to 3 March 2016, AIM organised an international conference")
    assert "(" not in title
    assert title.endswith("…") and len(title) <= 91
    assert (
        body.replace("(the International Association of Mutual Benefit Societies) ", "")[
            : len(title) - 1
        ]
        == title[:-1]
    )


def test_a_short_first_sentence_is_the_whole_inferred_title() -> None:
    assert infer_title("Teachers meet in Lomé. Then they vote.") == "Teachers meet in Lomé"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Publié le 8 juillet 2020", dt.date(2020, 7, 8)),
        ("Posted on December 19, 2016", dt.date(2016, 12, 19)),
        ("Publicado el 22 octubre 2020", dt.date(2020, 10, 22)),
    ],
)
def test_date_lines_with_a_published_on_prefix_are_read(line: str, expected: dt.date) -> None:
    assert parse_page(page(SITE, line, "", "Body.")).date == expected


def test_unknown_menu_lines_above_the_title_do_not_hide_it() -> None:
    text = page(
        "Home Who we are Our actions Contact",
        "Accueil",
        "Solidarity with Haiti",
        SITE,
        "December 19, 2016",
        "",
        "The network sent help to Haitian teachers.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Solidarity with Haiti"
    assert parsed.body == "The network sent help to Haitian teachers."


def test_a_body_sentence_followed_by_a_date_line_is_not_a_title() -> None:
    text = page(
        "The assembly met in Lomé and elected its board for the next three years.",
        "",
        "December 19, 2016",
        "",
        "More text.",
    )
    parsed = parse_page(text)
    assert parsed.title is None and parsed.date is None
    assert parsed.body.startswith("The assembly met in Lomé")


def test_a_page_without_furniture_takes_a_short_first_line_as_title() -> None:
    parsed = parse_page(page("Teachers' health in Togo", "", "The union met in Lomé.", "", "More."))
    assert parsed.title == "Teachers' health in Togo"
    assert parsed.body == "The union met in Lomé.\n\nMore."


@pytest.mark.parametrize("line", ["PDF Imprimer Envoyer", "PDF Print E-mail", "E-mail", "Imprimir"])
def test_old_site_tool_lines_are_dropped_from_the_body_too(line: str) -> None:
    text = page(SITE, "9 agosto 2014", "", "First part.", line, "", "Second part.")
    assert parse_page(text).body == "First part.\n\nSecond part."


@pytest.mark.parametrize(
    "line", ["Share this: Facebook Twitter LinkedIn", "Partager : Facebook", "Compartir"]
)
def test_share_lines_are_dropped(line: str) -> None:
    text = page(SITE, "9 agosto 2014", "", "Body.", "", line)
    assert parse_page(text).body == "Body."


def test_a_category_line_without_spaces_around_the_slash_is_dropped() -> None:
    text = page(SITE, "8 juillet 2020", "Gouvernance/Vie de l’association", "", "Texte.")
    parsed = parse_page(text)
    assert (parsed.title, parsed.body) == (None, "Texte.")


@pytest.mark.parametrize(
    "line",
    [
        "Thursday 22 September 2016 10:30",
        "22 septembre 2016 à 10h30",
        "September 22, 2016 - 3:45 pm",
        "2016-09-22 10:30",
        "22 de septiembre de 2016, 18:00",
    ],
)
def test_a_time_after_the_date_is_ignored(line: str) -> None:
    parsed = parse_page(page(SITE, line, "", "Body."))
    assert (parsed.date, parsed.body) == (dt.date(2016, 9, 22), "Body.")


def test_a_title_with_a_slash_is_not_taken_for_a_category_line() -> None:
    text = page(
        SITE, "Haiti / Chile: solidarity after the earthquakes", SITE, "9 agosto 2014", "Body."
    )
    parsed = parse_page(text)
    assert parsed.title == "Haiti / Chile: solidarity after the earthquakes"


def test_breadcrumbs_after_the_date_are_dropped() -> None:
    text = page(SITE, "9 agosto 2014", "Home » News » Latin America", "", "Body.")
    assert parse_page(text).body == "Body."


@pytest.mark.parametrize(
    "banner",
    [
        "🌎 Join online ESN’s International Meeting",
        "Join online ESN's International Meeting",
        "🌎 Únete en línea a la Reunión Internacional de la RES",
        "Rejoignez en ligne la Rencontre internationale du RES",
    ],
)
def test_banners_with_or_without_the_globe_are_dropped(banner: str) -> None:
    parsed = parse_page(page(banner, SITE, "A title", SITE, "9 agosto 2014", "", "Body."))
    assert (parsed.title, parsed.body) == ("A title", "Body.")


def test_a_title_about_joining_a_meeting_is_not_a_banner() -> None:
    text = page("Teachers join the international meeting in Dakar", SITE, "9 agosto 2014", "Body.")
    assert parse_page(text).title == "Teachers join the international meeting in Dakar"


@pytest.mark.parametrize(
    "line",
    [
        "Education and Solidarity Network Menu",
        "Education and Solidarity Network – Réseau Education et Solidarité",
        "EDUCATION AND SOLIDARITY NETWORK",
    ],
)
def test_site_name_lines_with_menu_words_or_both_names_are_anchors(line: str) -> None:
    parsed = parse_page(page(line, "A title", line, "9 agosto 2014", "", "Body."))
    assert (parsed.title, parsed.body) == ("A title", "Body.")


def test_category_labels_glued_under_the_site_name_are_not_a_title() -> None:
    text = page(
        SITE,
        "Education personnel",
        "Youth engagement",
        "",
        "",
        SITE,
        "September 5, 2014",
        "",
        "The network is building a social network for young teachers.",
    )
    parsed = parse_page(text)
    assert parsed.title is None and parsed.date == dt.date(2014, 9, 5)
    assert parsed.body == "The network is building a social network for young teachers."


@pytest.mark.parametrize("first", [SITE, "🌎 Join online ESN’s International Meeting"])
def test_a_label_under_the_site_name_then_a_title_apart(first: str) -> None:
    text = page(
        first,
        "The Network",
        "",
        "Best wishes for 2022!",
        "",
        SITE,
        "January 10, 2022",
        "",
        "Dear friends,",
        "",
        "Text.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Best wishes for 2022!"
    assert parsed.body == "Dear friends,\n\nText."


def test_a_label_on_the_first_line_then_a_title() -> None:
    text = page(
        "The Network", "", "Remote board meeting", "", SITE, "December 2, 2020", "", "Text."
    )
    parsed = parse_page(text)
    assert (parsed.title, parsed.body) == ("Remote board meeting", "Text.")


def test_site_name_twice_with_blank_lines_and_no_title() -> None:
    text = page(SITE, "", "", SITE, "September 22, 2016", "", "On 5 July 2016 the assembly met.")
    parsed = parse_page(text)
    assert parsed.title is None and parsed.date == dt.date(2016, 9, 22)


def test_a_title_repeated_as_the_first_body_line_is_kept_once() -> None:
    text = page(
        "Teachers meet in Lomé", SITE, "9 agosto 2014", "", "Teachers meet in Lomé", "", "Body."
    )
    parsed = parse_page(text)
    assert (parsed.title, parsed.body) == ("Teachers meet in Lomé", "Body.")


@pytest.mark.parametrize(
    "first_line",
    ["Thank you, Marie.", "A whole paragraph, " + "word " * 60 + "over 250 characters long."],
)
def test_a_line_above_the_anchor_that_is_no_title_keeps_the_page_date_and_opens_the_body(
    first_line: str,
) -> None:
    parsed = parse_page(
        page(SITE, "", first_line, SITE, "December 19, 2016", "", "Body text here.")
    )
    assert parsed.date == dt.date(2016, 12, 19)
    assert parsed.title is None
    assert parsed.body == f"{first_line}\n\nBody text here."


def test_a_menu_line_above_a_line_that_is_no_title_is_dropped_and_the_date_kept() -> None:
    text = page(SITE, "Home", "", "Thank you, Marie.", SITE, "December 19, 2016", "", "Body.")
    parsed = parse_page(text)
    assert (parsed.title, parsed.date) == (None, dt.date(2016, 12, 19))
    assert parsed.body == "Thank you, Marie.\n\nBody."


def test_a_sentence_before_a_heading_and_its_old_site_tools_is_body_text() -> None:
    text = page("Old heading", "E-mail", "", "Body of the old page.", "", "Subheading", "E-mail")
    parsed = parse_page(text + "\nText.\n")
    assert parsed.title == "Old heading"
    assert parsed.body == "Body of the old page.\n\nSubheading\n\nText."


# ---- the old site's and the new site's page shapes ------------------------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Bilan de l'atelier de Lomé PDF Imprimer Envoyer", "Bilan de l'atelier de Lomé"),
        ("Report of the Lomé workshop PDF Print E-mail", "Report of the Lomé workshop"),
        ("Informe del taller de Lomé PDF Imprimir E-mail", "Informe del taller de Lomé"),
    ],
)
def test_the_old_site_tools_after_the_title_on_its_line_leave_the_title(
    line: str, title: str
) -> None:
    text = page(
        "Espagnol English Français",
        "",
        line,
        "Le rapport de l'atelier a été envoyé aux membres.",
        "",
        "Deuxième paragraphe.",
    )
    parsed = parse_page(text)
    assert parsed.title == title
    assert parsed.body == (
        "Le rapport de l'atelier a été envoyé aux membres.\n\nDeuxième paragraphe."
    )


def test_an_image_file_name_and_the_join_box_above_the_title_are_not_titles() -> None:
    text = page(
        "Espagnol English Français",
        "",
        "Rejoignez-nous sur facebook",
        "",
        "logo-res_2011",
        "",
        "Rejoindre le réseau",
        "",
        "Votre association partage nos valeurs et veut agir avec nous dans ses projets.",
        "",
        "» Remplir le formulaire",
        "",
        "Lettre d'information 2011.2",
        "",
        "Le bureau s'est réuni à Rabat en mai.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Lettre d'information 2011.2"
    assert parsed.body == "Le bureau s'est réuni à Rabat en mai."


def test_the_join_box_in_english_and_spanish_is_dropped_too() -> None:
    for heading, link in (("Join us", "» Get the form"), ("Únete a la red", "» Ver el formulario")):
        text = page(
            heading,
            "Your union shares our goals and wants to act with us.",
            link,
            "",
            "Newsletter 2012.1",
            "",
            "The board met in Rabat.",
        )
        parsed = parse_page(text)
        assert (parsed.title, parsed.body) == ("Newsletter 2012.1", "The board met in Rabat.")


def test_two_category_lines_above_a_country_and_title_line_then_the_site_name_and_date() -> None:
    title = (
        "Niger | A long title about the mutual health insurance of teachers that the union "
        "and the ministry will build together over three years"
    )
    assert len(title) > 120  # longer than a menu line
    text = page(
        "Teachers at work",
        "Prevention at school",
        "",
        title,
        "",
        SITE,
        "March 3, 2022",
        "",
        "The union and the ministry met in Niamey.",
    )
    parsed = parse_page(text)
    assert parsed.title == title
    assert parsed.date == dt.date(2022, 3, 3)
    assert parsed.body == "The union and the ministry met in Niamey."


def test_the_author_line_above_the_date_is_not_the_title() -> None:
    for author in ("Marie Kouassi", "m.kouassi"):
        text = page(
            "Teachers of Abidjan build a mutual",
            "",
            author,
            "12 mars 2019",
            "",
            "The teachers met in Abidjan.",
        )
        parsed = parse_page(text)
        assert parsed.title == "Teachers of Abidjan build a mutual"
        assert parsed.date == dt.date(2019, 3, 12)
        assert parsed.body == "The teachers met in Abidjan."


def test_a_short_title_glued_above_the_date_stays_the_title() -> None:
    parsed = parse_page(page(SITE, "", "Teachers meet", "12 mars 2019", "", "Body."))
    assert (parsed.title, parsed.body) == ("Teachers meet", "Body.")


@pytest.mark.parametrize(
    "second",
    [
        "OUR MISSION, BETWEEN HEALTH AND EDUCATION…",
        "After two years of work, the network opens its first office in the region of Kayes.",
    ],
)
def test_a_page_title_followed_by_a_heading_or_a_paragraph_without_a_blank(second: str) -> None:
    parsed = parse_page(page("What do we do?", second, "More text here.", "And more."))
    assert parsed.title == "What do we do?"
    assert parsed.body.startswith(second)


def test_a_first_line_followed_by_more_of_its_text_is_no_title() -> None:
    parsed = parse_page(page("The teachers of Kayes", "met the minister.", "", "More text."))
    assert parsed.title is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("published 4 March 2019 updated 11 April 2019", dt.date(2019, 3, 4)),
        ("Published on 4 March 2019 (last updated 5 March 2019)", dt.date(2019, 3, 4)),
        ("Publié 4 mars 2019 Mis à jour 11 avril 2019", dt.date(2019, 3, 4)),
        ("publicado 4 marzo 2019 actualizado 11 abril 2019", dt.date(2019, 3, 4)),
        ("Mis en ligne le 4 mars 2019", dt.date(2019, 3, 4)),
    ],
)
def test_a_publication_line_that_also_gives_the_update_date_gives_the_publication_date(
    line: str, expected: dt.date
) -> None:
    parsed = parse_page(page("A partner site", "", "Unions meet in Lomé", "", line, "", "Body."))
    assert (parsed.title, parsed.date, parsed.body) == ("Unions meet in Lomé", expected, "Body.")


def test_another_sites_header_lines_above_a_dated_title_are_not_the_title() -> None:
    text = page(
        "Fed-Ed",
        "",
        "Federación de Educadores",
        "Federación de Educadores",
        "",
        "Los docentes de Lomé eligen a su junta",
        "",
        "publicado 4 marzo 2019 actualizado 4 marzo 2019",
        "",
        "La asamblea votó ayer.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Los docentes de Lomé eligen a su junta"
    assert parsed.date == dt.date(2019, 3, 4)
    assert parsed.body == "La asamblea votó ayer."


def test_a_headline_ending_with_a_full_stop_is_the_title_above_a_published_line() -> None:
    text = page(
        "Fed-Ed",
        "",
        "“Teachers after the storm”, by Ana Ruiz.",
        "",
        "Published 3 March 2021 Updated 5 March 2021",
        "",
        "The storm closed forty schools.",
    )
    parsed = parse_page(text)
    assert parsed.title == "“Teachers after the storm”, by Ana Ruiz."
    assert parsed.date == dt.date(2021, 3, 3)
    assert parsed.body == "The storm closed forty schools."


def test_a_sentence_above_a_bare_date_line_is_still_body_text() -> None:
    text = page("The board met in Lomé.", "", "4 March 2019", "", "It elected a treasurer.")
    parsed = parse_page(text)
    assert (parsed.title, parsed.date) == (None, None)
    assert parsed.body.startswith("The board met in Lomé.")


@pytest.mark.parametrize(
    "credit",
    ["Photo: Ana Ruiz / Flickr", "Credit: FEDU/Ana Ruiz", "Crédit photo : A. Ruiz", "© Ana Ruiz"],
)
def test_photo_credit_lines_are_neither_menu_lines_nor_article_text(credit: str) -> None:
    text = page(
        "Fed-Ed",
        "",
        "World of education",
        credit,
        credit,
        "",
        "Teachers after the storm",
        "",
        "Published 3 March 2021",
        "",
        "The storm closed forty schools.",
        "",
        credit,
        "",
        "Classes resumed in May.",
    )
    parsed = parse_page(text)
    assert parsed.title == "Teachers after the storm"
    assert parsed.body == "The storm closed forty schools.\n\nClasses resumed in May."
