"""HTML pages in the corpus: main content, title/date/language/url sources, non-articles, bytes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article
from search_service.ingest.corpus import IngestResult, ingest_paths
from search_service.ingest.html import cut_site_name
from search_service.ingest.vocabulary import Vocabulary
from search_service.settings import MAX_PAGE_BYTES

from .conftest import Write
from .html_site import (
    FOOTER,
    LATEST,
    MENUS,
    NEWSLETTER,
    PARAGRAPHS,
    SITE_NAMES,
    TEASERS,
    TITLES,
    Page,
    article_page,
    listing_main,
    teaser,
)

Ingest = Callable[[], IngestResult]
LANGS = ("en", "fr", "es")


def only(result: IngestResult) -> Article:
    assert len(result.articles) == 1, result.problems
    return result.articles[0]


def codes(result: IngestResult) -> list[tuple[str, str]]:
    return [(p.code, p.severity) for p in result.problems]


def page_article(
    write: Write, ingest: Ingest, page: Page | str, name: str = "page.html"
) -> Article:
    write(name, page if isinstance(page, str) else page.render())
    return only(ingest())


def skipped(write: Write, ingest: Ingest, page: Page | str, name: str = "page.html") -> str:
    """The message of the one `not_an_article` problem the page gives (and no article)."""
    write(name, page if isinstance(page, str) else page.render())
    result = ingest()
    assert result.articles == []
    assert [(p.code, p.severity, p.path) for p in result.problems] == [
        ("not_an_article", "error", name)
    ]
    return result.problems[0].message


# ---- main content ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_body_is_the_article_text_without_the_site_furniture(
    write: Write, ingest: Ingest, lang: str
) -> None:
    article = page_article(write, ingest, article_page(lang))
    assert article.body.split("\n\n") == list(PARAGRAPHS[lang])
    for furniture in (
        "Menuword",
        MENUS[lang][0],
        "Skip to content",
        "Join",
        "Meeting" if lang == "en" else "Rencontre" if lang == "fr" else "Reunión",
        "41",
        "»",
        "Facebook",
        "LinkedIn",
        LATEST[lang],
        "teaserword",
        TEASERS[lang][0][0],
        "footerword",
        NEWSLETTER[lang],
        FOOTER[lang][:20],
        "scriptword",
        "dataLayer",
        "Social protection",
        SITE_NAMES[lang],
    ):
        assert furniture not in article.body, furniture
    assert article.title == TITLES[lang] and article.title_inferred is False
    assert article.language == lang
    assert article.date == dt.date(2023, 11, 14)


@pytest.mark.parametrize("lang", LANGS)
def test_countries_and_partners_come_from_the_article_not_the_teasers(
    write: Write, ingest: Ingest, lang: str
) -> None:
    article = page_article(write, ingest, article_page(lang))
    assert set(article.countries) == {"Senegal", "Côte d'Ivoire"}  # not the teasers' Peru
    assert article.partners == ("ILO",)


def test_text_around_the_paragraphs_is_kept_headings_lists_and_tables_included(
    write: Write, ingest: Ingest
) -> None:
    main = (
        "<article><h1>Teachers and health insurance in Togo</h1>"
        f"<p>{PARAGRAPHS['en'][0]}</p><h2>Three decisions</h2>"
        "<ul><li>Contributions are shared by the teachers' unions.</li>"
        "<li>Clinics in Kara and Lomé sign an agreement.</li></ul>"
        "<table><tr><td>Members</td><td>12,400</td></tr></table>"
        f"<p>{PARAGRAPHS['en'][1]}</p></article>"
    )
    article = page_article(write, ingest, Page(title="x", main_html=main, teasers=False))
    assert article.title == "Teachers and health insurance in Togo"
    for kept in ("Three decisions", "Clinics in Kara and Lomé", "12,400", PARAGRAPHS["en"][1]):
        assert kept in article.body
    assert article.body.startswith(PARAGRAPHS["en"][0])  # the title is not repeated


def test_a_latest_news_block_inside_the_article_is_cut_like_a_saved_pages_footer(
    write: Write, ingest: Ingest
) -> None:
    main = (
        "<div class='post'><h1>Teachers and health insurance in Togo</h1>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["en"])
        + "<h2>Latest news</h2><ul>"
        + "".join(f"<li><p>{t} – {x}</p></li>" for t, _, x in TEASERS["en"])
        + "</ul></div>"
    )
    article = page_article(write, ingest, Page(title="x", main_html=main, teasers=False))
    assert "teaserword" not in article.body and "Latest news" not in article.body
    assert article.body.endswith(PARAGRAPHS["en"][-1])


def test_a_category_and_date_line_left_at_the_top_of_the_text_are_furniture(
    write: Write, ingest: Ingest
) -> None:
    main = (
        "<div class='post'><p>África / Protección social</p><h1>Docentes de Perú</h1>"
        "<p>22 octubre 2020</p>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["es"]) + "</div>"
    )
    page = Page(language="es", title="x", main_html=main, teasers=False, og_type=None)
    article = page_article(write, ingest, page)
    assert article.body.split("\n\n") == list(PARAGRAPHS["es"])
    assert article.date == dt.date(2020, 10, 22)
    assert article.title == "Docentes de Perú"


def test_broken_markup_is_read_as_a_browser_would(write: Write, ingest: Ingest) -> None:
    broken = (
        "<html><head><title>Unclosed – Education and Solidarity Network</title><body>"
        "<nav class=menu><a href=/>Home</a><a href=/news>Menuword</a></nav><div>"
        "<article><h1>Teachers of Benin meet</h2>"
        + "".join(f"<p>{p}" for p in PARAGRAPHS["en"])
        + "</div></div></span><footer>footerword"
    )
    article = page_article(write, ingest, broken)
    assert article.title == "Teachers of Benin meet"
    assert PARAGRAPHS["en"][2] in article.body
    assert "footerword" not in article.body and "Menuword" not in article.body


# ---- title ----------------------------------------------------------------------------


def test_the_h1_wins_over_og_title_and_the_head_title(write: Write, ingest: Ingest) -> None:
    page = article_page(
        "en", og_title="Agreement signed (social card)", head_title="Agreement – a different one"
    )
    assert page_article(write, ingest, page).title == TITLES["en"]


def test_a_section_name_in_the_h1_gives_way_to_the_h2_the_head_title_names(
    write: Write, ingest: Ingest
) -> None:
    main = (
        "<div class='page-banner'><h1>Actualités</h1></div><article class='post'>"
        f"<h2 class='entry-title'>{TITLES['fr']}</h2>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["fr"])
        + "</article>"
    )
    page = Page(language="fr", title=TITLES["fr"], main_html=main)
    article = page_article(write, ingest, page)
    assert article.title == TITLES["fr"]
    assert article.body.split("\n\n") == list(PARAGRAPHS["fr"])


def test_a_logo_in_an_h1_is_not_the_title(write: Write, ingest: Ingest) -> None:
    page = article_page("fr", logo_in_h1=True)
    assert page_article(write, ingest, page).title == TITLES["fr"]


def test_without_h1_the_og_title_without_the_site_name(write: Write, ingest: Ingest) -> None:
    page = article_page("es", h1=False, og_title=f"{TITLES['es']} | {SITE_NAMES['es']}")
    assert page_article(write, ingest, page).title == TITLES["es"]


@pytest.mark.parametrize("lang", LANGS)
def test_without_h1_or_og_title_the_head_title_without_the_site_name(
    write: Write, ingest: Ingest, lang: str
) -> None:
    article = page_article(write, ingest, article_page(lang, h1=False))  # "Title – Site"
    assert article.title == TITLES[lang] and article.title_inferred is False


@pytest.mark.parametrize(
    ("head_title", "site", "expected"),
    [
        ("Masmut ends – Education and Solidarity Network", None, "Masmut ends"),
        ("Education and Solidarity Network | Masmut ends", None, "Masmut ends"),
        ("Assemblée générale - Réseau Éducation et Solidarité", None, "Assemblée générale"),
        ("Asamblea general — Red Educación y Solidaridad", None, "Asamblea general"),
        ("Teachers meet · Acme Unions", "Acme Unions", "Teachers meet"),
        ("Teachers meet | Acme", None, "Teachers meet"),
        ("Haiti – Chile: teachers' solidarity", None, "Haiti – Chile: teachers' solidarity"),
        ("Programme MASMUT : fin", None, "Programme MASMUT : fin"),
    ],
)
def test_the_site_name_is_cut_from_a_head_title(
    head_title: str, site: str | None, expected: str
) -> None:
    assert cut_site_name(head_title, site) == expected


def test_a_page_without_any_title_gets_one_from_its_first_sentence(
    write: Write, ingest: Ingest
) -> None:
    page = article_page("en", h1=False, head_title=None)
    article = page_article(write, ingest, page)
    assert article.title_inferred is True
    assert article.title.startswith("The mutual health societies of Senegal")


# ---- date -----------------------------------------------------------------------------


def test_article_published_time_wins(write: Write, ingest: Ingest) -> None:
    page = article_page("en", published_meta="2021-06-03T10:00:00+02:00")
    assert page_article(write, ingest, page).date == dt.date(2021, 6, 3)


def test_json_ld_date_published_in_a_graph(write: Write, ingest: Ingest) -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": SITE_NAMES["en"]},
            {"@type": "Article", "headline": "x", "datePublished": "2019-02-28T08:00:00Z"},
        ],
    }
    page = article_page("en", json_ld=graph, time_datetime=None, date_text=None)
    assert page_article(write, ingest, page).date == dt.date(2019, 2, 28)


def test_the_articles_time_element_not_a_teasers(write: Write, ingest: Ingest) -> None:
    page = article_page("en", time_datetime="2018-04-09", date_text="9 April 2018")
    assert page_article(write, ingest, page).date == dt.date(2018, 4, 9)


def test_teasers_dates_are_never_the_articles_date(write: Write, ingest: Ingest) -> None:
    page = article_page("en", time_datetime=None, date_text=None)
    assert page_article(write, ingest, page).date is None


@pytest.mark.parametrize(
    ("lang", "line", "expected"),
    [
        ("en", "December 19, 2016", dt.date(2016, 12, 19)),
        ("fr", "Publié le 1er juillet 2020", dt.date(2020, 7, 1)),
        ("es", "19 de diciembre de 2016", dt.date(2016, 12, 19)),
    ],
)
def test_a_visible_date_line_is_read_in_english_french_and_spanish(
    write: Write, ingest: Ingest, lang: str, line: str, expected: dt.date
) -> None:
    page = article_page(lang, time_datetime=None, date_text=line)
    assert page_article(write, ingest, page).date == expected


def test_htmldate_reads_the_date_from_the_fetched_url_as_a_last_resort(
    write: Write, ingest: Ingest
) -> None:
    page = article_page("en", time_datetime=None, date_text=None)
    write("page.html.fetch.json", json.dumps({"url": "https://example.org/2021/05/17/agreement/"}))
    assert page_article(write, ingest, page).date == dt.date(2021, 5, 17)


# ---- language -------------------------------------------------------------------------


def test_html_lang_gives_the_language(write: Write, ingest: Ingest) -> None:
    article = page_article(write, ingest, article_page("fr"))
    assert article.language == "fr"


def test_og_locale_when_html_has_no_lang(write: Write, ingest: Ingest) -> None:
    page = article_page("es", html_lang=None, og_locale="es_ES")
    assert page_article(write, ingest, page).language == "es"


def test_detected_when_nothing_is_declared(write: Write, ingest: Ingest) -> None:
    result = ingest_one(write, ingest, article_page("fr", html_lang=None))
    assert only(result).language == "fr" and result.problems == []


def test_a_declaration_the_text_contradicts_is_overruled_with_a_warning(
    write: Write, ingest: Ingest
) -> None:
    result = ingest_one(write, ingest, article_page("fr", html_lang="en-US"))
    assert only(result).language == "fr"
    assert codes(result) == [("language_mismatch", "warning")]
    assert "'en-US'" in result.problems[0].message


def test_a_language_other_than_en_fr_es_is_detected_with_a_warning(
    write: Write, ingest: Ingest
) -> None:
    result = ingest_one(write, ingest, article_page("es", html_lang="pt-BR"))
    assert only(result).language == "es"
    assert codes(result) == [("unknown_language", "warning")]


def ingest_one(write: Write, ingest: Ingest, page: Page) -> IngestResult:
    write("page.html", page.render())
    return ingest()


# ---- url ------------------------------------------------------------------------------


def test_the_canonical_link_is_the_url(write: Write, ingest: Ingest) -> None:
    page = article_page(
        "en", canonical="https://site.example/en/agreement/", og_url="https://site.example/x"
    )
    assert page_article(write, ingest, page).url == "https://site.example/en/agreement/"


def test_og_url_without_canonical(write: Write, ingest: Ingest) -> None:
    page = article_page("en", og_url="https://site.example/en/agreement/")
    assert page_article(write, ingest, page).url == "https://site.example/en/agreement/"


def test_a_relative_canonical_is_resolved_against_the_fetched_url(
    write: Write, ingest: Ingest
) -> None:
    write("page.html.fetch.json", json.dumps({"url": "https://site.example/en/news/?utm=1"}))
    page = article_page("en", canonical="/en/agreement/")
    assert page_article(write, ingest, page).url == "https://site.example/en/agreement/"


def test_a_relative_canonical_is_resolved_against_the_pages_base_href(
    write: Write, ingest: Ingest
) -> None:
    write("page.html.fetch.json", json.dumps({"url": "https://mirror.example/copy/page.html"}))
    page = article_page(
        "en", canonical="agreement/", extra_head='<base href="https://site.example/en/">'
    )
    assert page_article(write, ingest, page).url == "https://site.example/en/agreement/"


def test_a_relative_base_href_is_resolved_against_the_fetched_url(
    write: Write, ingest: Ingest
) -> None:
    write("page.html.fetch.json", json.dumps({"url": "https://site.example/en/news/a/"}))
    page = article_page("en", canonical="agreement/", extra_head='<base href="/fr/">')
    assert page_article(write, ingest, page).url == "https://site.example/fr/agreement/"


def test_a_relative_canonical_with_a_base_href_and_no_fetched_url(
    write: Write, ingest: Ingest
) -> None:
    page = article_page(
        "en", og_url="agreement/", extra_head='<base href="https://site.example/en/">'
    )
    assert page_article(write, ingest, page).url == "https://site.example/en/agreement/"


def test_the_fetched_url_when_the_page_names_none(write: Write, ingest: Ingest) -> None:
    record = {"url": "https://site.example/en/agreement/", "fetched_at": "2024-05-01T10:00:00Z"}
    write("page.html.fetch.json", json.dumps(record))
    assert page_article(write, ingest, article_page("en")).url == record["url"]


def test_the_fetched_url_after_redirects_wins_over_the_listed_one(
    write: Write, ingest: Ingest
) -> None:
    record = {
        "url": "https://site.example/en/agreement/",
        "final_url": "https://www.site.example/en/agreement/",
        "fetched_at": "2024-05-01T10:00:00Z",
        "etag": '"abc"',
        "status": 200,
    }
    write("page.html.fetch.json", json.dumps(record))
    article = page_article(write, ingest, article_page("en", canonical="/en/agreement/"))
    assert article.url == "https://www.site.example/en/agreement/"


def test_no_url_at_all(write: Write, ingest: Ingest) -> None:
    assert page_article(write, ingest, article_page("en")).url is None


# ---- one article per page ------------------------------------------------------------

AGREEMENT = "https://site.example/en/the-agreement/"


def saved_copy(write: Write, name: str, fetched_from: str | None, **page: Any) -> None:
    """A copy of the agreement page (canonical AGREEMENT) saved as `name`, fetched from
    `fetched_from` (no fetch record when None)."""
    write(name, article_page("en", canonical=AGREEMENT, **page).render())
    if fetched_from is not None:
        write(f"{name}.fetch.json", json.dumps({"url": fetched_from}))


def test_a_page_saved_under_two_addresses_is_one_article_from_its_canonical_address(
    write: Write, ingest: Ingest
) -> None:
    # WordPress serves the post at `/?p=123` and at its permalink; both name the permalink.
    saved_copy(write, "site/site.example/index@p=123.html", "https://site.example/?p=123")
    saved_copy(write, "site/site.example/en/the-agreement.html", AGREEMENT)

    result = ingest()

    article = only(result)
    assert article.id == "site/site.example/en/the-agreement"
    assert article.url == AGREEMENT
    assert [(p.code, p.severity, p.path, p.article_id) for p in result.problems] == [
        (
            "duplicate_page",
            "warning",
            "site/site.example/en/the-agreement.html",
            "site/site.example/en/the-agreement",
        )
    ]
    assert result.problems[0].message == (
        "the same article is also saved as site/site.example/index@p=123.html (the same "
        f"canonical url {AGREEMENT} and title); that copy is not indexed"
    )


def test_the_copy_at_the_canonical_address_is_kept_whatever_the_file_order(
    write: Write, ingest: Ingest
) -> None:
    saved_copy(write, "site/site.example/a/old-address.html", "https://site.example/a/old/")
    saved_copy(
        write, "site/site.example/z/the-agreement.html", "http://www.site.example/en/the-agreement/"
    )
    saved_copy(write, "site/site.example/index@p=123.html", "https://site.example/?p=123")

    result = ingest()

    assert only(result).id == "site/site.example/z/the-agreement"
    assert sorted(p.message.split(" (")[0] for p in result.problems) == [
        "the same article is also saved as site/site.example/a/old-address.html",
        "the same article is also saved as site/site.example/index@p=123.html",
    ]


def test_without_a_copy_fetched_from_its_canonical_address_the_first_file_is_kept(
    write: Write, ingest: Ingest
) -> None:
    saved_copy(write, "b.html", None)
    saved_copy(write, "a.html", None)

    result = ingest()

    assert only(result).id == "a"
    assert [(p.code, p.path) for p in result.problems] == [("duplicate_page", "a.html")]
    assert "also saved as b.html" in result.problems[0].message


def test_pages_naming_one_canonical_url_with_other_titles_are_all_kept(
    write: Write, ingest: Ingest
) -> None:
    # A theme that gives every page the home page as its canonical url: not one article.
    saved_copy(write, "a.html", None, title="Teachers' health insurance reaches Benin")
    saved_copy(write, "b.html", None, title="Mutual health in Burundi: a year of progress")

    result = ingest()

    assert len(result.articles) == 2
    assert result.problems == []


# ---- sidecars -------------------------------------------------------------------------


def test_fetch_sidecars_are_never_reported_as_files(
    write: Write, ingest: Ingest, corpus: Path
) -> None:
    write("site/a.html", article_page("en").render())
    write("site/a.html.fetch.json", json.dumps({"url": "https://site.example/a"}))
    write("sources.yaml", "sources: []\n")
    result = ingest()
    assert [a.id for a in result.articles] == ["site/a"] and result.problems == []
    assert result.not_read == [] and result.files_read == 1


def test_sidecars_named_with_their_page_are_read_with_it_not_reported(
    write: Write, corpus: Path, vocabulary: Vocabulary
) -> None:
    page = write("site/a.html", article_page("en").render())
    fetched = write("site/a.html.fetch.json", json.dumps({"url": "https://site.example/a"}))
    meta = write("site/a.meta.yaml", "partners: [AIM]\n")
    result = ingest_paths([page, fetched, meta], corpus_root=corpus, vocabulary=vocabulary)
    assert result.problems == [] and result.files_read == 1
    assert only(result).url == "https://site.example/a" and only(result).partners == ("AIM",)


def test_a_broken_fetch_sidecar_is_a_warning_and_the_page_is_kept(
    write: Write, ingest: Ingest
) -> None:
    write("page.html", article_page("en").render())
    write("page.html.fetch.json", "{not json")
    result = ingest()
    assert only(result).url is None
    assert [(p.code, p.severity, p.path) for p in result.problems] == [
        ("bad_metadata", "warning", "page.html.fetch.json")
    ]


def test_a_meta_yaml_sidecar_wins_over_the_page(write: Write, ingest: Ingest) -> None:
    write("page.html", article_page("en").render())
    write("page.meta.yaml", "title: Edited title\ndate: 2020-01-02\ncountries: [Peru]\n")
    article = only(ingest())
    assert article.title == "Edited title" and article.date == dt.date(2020, 1, 2)
    assert article.countries == ("Peru",)


# ---- pages that are not articles ------------------------------------------------------


@pytest.mark.parametrize(
    "body_classes",
    [
        "archive category category-africa",
        "archive tag tag-health",
        "search search-results",
        "search search-no-results",
        "blog",
        "archive date",
        "archive tax-region term-africa",
    ],
)
def test_wordpress_listing_pages_are_not_articles(
    write: Write, ingest: Ingest, body_classes: str
) -> None:
    page = Page(title="Africa", main_html=listing_main("en", "Africa"), body_classes=body_classes)
    assert "a listing page" in skipped(write, ingest, page)


def test_a_listing_without_wordpress_classes_is_recognised_by_its_teasers(
    write: Write, ingest: Ingest
) -> None:
    page = Page(
        title="Noticias", language="es", main_html=listing_main("es", "Noticias"), body_classes=""
    )
    message = skipped(write, ingest, page)
    assert "teasers" in message


def test_a_listing_with_an_introduction_is_still_a_listing(write: Write, ingest: Ingest) -> None:
    intro = f"<div class='intro'><p>{PARAGRAPHS['en'][0]}</p></div>"
    page = Page(
        title="Health in schools",
        main_html=intro + listing_main("en", "Health in schools", count=6),
        body_classes="page-template-default page",
        og_type="website",
    )
    assert "teasers" in skipped(write, ingest, page)


def test_a_json_ld_collection_page_is_not_an_article(write: Write, ingest: Ingest) -> None:
    graph = {
        "@graph": [
            {"@type": "CollectionPage", "@id": "https://site.example/en/africa/"},
        ]
    }
    page = Page(
        title="Africa",
        main_html=f"<h1>Africa</h1><p>{PARAGRAPHS['en'][0]}</p>",
        body_classes="",
        og_type=None,
        canonical="https://site.example/en/africa/",
        json_ld=graph,
    )
    assert "CollectionPage" in skipped(write, ingest, page)


def test_an_empty_page_with_only_furniture_is_not_an_article(write: Write, ingest: Ingest) -> None:
    page = Page(title="Nothing", main_html="", body_classes="", teasers=False)
    assert "empty page" in skipped(write, ingest, page)


def test_a_page_of_teasers_only_is_not_an_article(write: Write, ingest: Ingest) -> None:
    main = "".join(teaser("fr", t, d, x, i) for i, (t, d, x) in enumerate(TEASERS["fr"]))
    page = Page(language="fr", title="x", main_html=main, body_classes="home", og_type=None)
    assert "teaser" in skipped(write, ingest, page)


def test_a_stub_page_with_a_few_words_is_not_an_article(write: Write, ingest: Ingest) -> None:
    main = "<h1>Contact</h1><p>Write to us with this form.</p><form><input name=m></form>"
    page = Page(title="Contact", main_html=main, body_classes="page", og_type="website")
    assert "only 6 word(s)" in skipped(write, ingest, page)


def test_a_page_of_links_is_not_an_article(write: Write, ingest: Ingest) -> None:
    links = "".join(
        f"<li><a href='/p{i}'>Partner organisation number {i} of the network</a></li>"
        for i in range(15)
    )
    main = f"<h1>Useful links</h1><p>Our partners:</p><ul>{links}</ul>"
    page = Page(title="Useful links", main_html=main, body_classes="page", og_type="website")
    assert "a page of links" in skipped(write, ingest, page)


def test_a_website_page_without_a_date_is_not_an_article(write: Write, ingest: Ingest) -> None:
    main = "<h1>Health in schools</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["en"])
    page = Page(title="Health in schools", main_html=main, body_classes="page", og_type="website")
    assert "og:type 'website', has no date" in skipped(write, ingest, page)


def test_a_website_page_with_its_own_date_is_kept(write: Write, ingest: Ingest) -> None:
    main = "<h1>Health in schools</h1><p class='date'>Publié le 12/03/2021</p>" + "".join(
        f"<p>{p}</p>" for p in PARAGRAPHS["fr"]
    )
    page = Page(language="fr", title="x", main_html=main, body_classes="page", og_type="website")
    article = page_article(write, ingest, page)
    assert article.date == dt.date(2021, 3, 12) and article.title == "Health in schools"


def test_paragraphs_of_excerpts_cut_short_are_a_listing(write: Write, ingest: Ingest) -> None:
    excerpts = "".join(f"<p>{p[:120].rsplit(' ', 1)[0]}...</p>" for p in PARAGRAPHS["es"])
    main = f"<h1>Protección social</h1><p>{PARAGRAPHS['es'][0]}</p>{excerpts}"
    page = Page(language="es", title="x", main_html=main, body_classes="page", og_type=None)
    assert "4 of its paragraphs are excerpts" in skipped(write, ingest, page)


def test_a_short_news_item_marked_as_an_article_is_kept(write: Write, ingest: Ingest) -> None:
    page = article_page("en", paragraphs=["The office is closed on 1 May, see you in Dakar."])
    article = page_article(write, ingest, page)
    assert article.body == "The office is closed on 1 May, see you in Dakar."


def test_an_article_under_a_page_header_with_teasers_after_it_is_the_pages_own(
    write: Write, ingest: Ingest
) -> None:
    teasers = "".join(teaser("en", t, d, x, i) for i, (t, d, x) in enumerate(TEASERS["en"]))
    main = (
        f"<header class='page-header'><h1>{TITLES['en']}</h1></header>"
        "<article class='post'>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["en"]) + "</article>"
        f"<section class='related'>{teasers}</section>"
    )
    page = Page(title=TITLES["en"], main_html=main, body_classes="", og_type=None)
    article = page_article(write, ingest, page)
    assert article.title == TITLES["en"]
    assert article.body.split("\n\n") == list(PARAGRAPHS["en"])


def test_an_article_with_teasers_and_a_long_introduction_is_still_an_article(
    write: Write, ingest: Ingest
) -> None:
    page = article_page("en", body_classes="", og_type=None)  # nothing but its structure
    assert page_article(write, ingest, page).body.startswith(PARAGRAPHS["en"][0])


# ---- bytes ----------------------------------------------------------------------------


def latin1_page(**overrides: object) -> bytes:
    page = article_page("fr", banner=False, **overrides).render()
    page = page.replace("’", "'").replace("–", "-").replace("»", ">")
    return page.encode("latin-1")


def test_a_latin1_page_without_any_charset_is_decoded(write: Write, ingest: Ingest) -> None:
    write("page.html", latin1_page(charset=None))
    result = ingest()
    article = only(result)
    assert article.title == TITLES["fr"]
    assert "Sénégal" in article.body and "à Dakar" in article.body
    assert codes(result) == [("invalid_utf8", "warning")]
    assert "Windows-1252" in result.problems[0].message


def test_a_declared_charset_is_used_without_a_warning(write: Write, ingest: Ingest) -> None:
    write("page.html", latin1_page(charset="iso-8859-1"))
    result = ingest()
    assert "Sénégal" in only(result).body and result.problems == []


def test_the_http_charset_kept_by_the_fetcher_is_used(write: Write, ingest: Ingest) -> None:
    write("page.html", latin1_page(charset=None))
    record = {"url": "https://site.example/fr/a", "content_type": "text/html; charset=ISO-8859-1"}
    write("page.html.fetch.json", json.dumps(record))
    result = ingest()
    assert "Sénégal" in only(result).body and result.problems == []


def test_a_page_declaring_utf8_in_latin1_is_read_with_a_warning(
    write: Write, ingest: Ingest
) -> None:
    write("page.html", latin1_page(charset="utf-8"))
    result = ingest()
    assert "Sénégal" in only(result).body
    assert codes(result) == [("invalid_utf8", "warning")]
    assert "declares 'utf-8'" in result.problems[0].message


def test_utf16_with_a_byte_order_mark(write: Write, ingest: Ingest) -> None:
    write("page.html", article_page("es", charset=None).render().encode("utf-16"))
    assert "Marfil" in only(ingest()).body


def test_utf8_read_once_as_windows_1252_is_repaired(write: Write, ingest: Ingest) -> None:
    page = article_page("fr").render().replace("Sénégal", "SÃ©nÃ©gal")
    write("page.html", page)
    result = ingest()
    assert "SÃ©" not in only(result).body and "Sénégal" in only(result).body
    assert ("mojibake", "warning") in codes(result)


def test_binary_junk_saved_as_html_is_a_problem(write: Write, ingest: Ingest) -> None:
    write("logo.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    write("page.htm", article_page("en").render())
    result = ingest()
    assert [a.id for a in result.articles] == ["page"]
    assert [(p.code, p.path) for p in result.problems] == [("binary_file", "logo.html")]


def test_a_huge_page_is_a_problem_not_a_crash(write: Write, ingest: Ingest) -> None:
    filler = "<p>" + "word " * 1000 + "</p>\n"
    huge = (
        article_page("en")
        .render()
        .replace("<footer", filler * (MAX_PAGE_BYTES // len(filler) + 1) + "<footer", 1)
    )
    write("huge.html", huge)
    result = ingest()
    assert result.articles == []
    assert [(p.code, p.severity) for p in result.problems] == [("page_too_large", "error")]
    assert "larger than 5,000,000" in result.problems[0].message


def test_an_empty_html_file_is_an_empty_file(write: Write, ingest: Ingest) -> None:
    write("empty.html", "  \n")
    assert codes(ingest()) == [("empty_file", "error")]


def test_plain_text_saved_as_html_without_markup_is_not_an_article(
    write: Write, ingest: Ingest
) -> None:
    assert "only" in skipped(write, ingest, "Nothing here but a line.\n")


# ---- corpus check ---------------------------------------------------------------------


def test_corpus_check_shows_html_articles_and_the_pages_it_skipped(
    write: Write, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from search_service.cli import main

    write("site/fr/accord.html", article_page("fr").render())
    write("site/fr/accord.html.fetch.json", json.dumps({"url": "https://site.example/fr/accord"}))
    listing = Page(title="Afrique", main_html=listing_main("fr", "Afrique"), body_classes="archive")
    write("site/fr/afrique.html", listing.render())
    status = main(["corpus", "check", "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert status == 1
    assert TITLES["fr"] in out and "2023-11-14" in out and "language:  fr" in out
    assert "Côte d'Ivoire" in out and "ILO" in out
    assert "site/fr/afrique.html" in out and "not_an_article" in out
    assert "a listing page, not an article (page class 'archive')" in out
    assert ".fetch.json" not in out
    assert "1 article from 2 files; 1 skipped, 0 warnings." in out
    main(["corpus", "check", "--corpus", str(corpus), "--json"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["url"], r["source"]["path"]) for r in records] == [
        ("site/fr/accord", "https://site.example/fr/accord", "site/fr/accord.html")
    ]


# ---- where each fact came from ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fetched", "expected"),
    [
        ({}, None, {"title": "h1", "date": "time", "language": "html lang"}),
        (
            {"h1": False, "og_title": TITLES["en"], "html_lang": None, "og_locale": "en_GB"},
            None,
            {"title": "og:title", "language": "og:locale"},
        ),
        ({"h1": False, "published_meta": "2020-01-01"}, None, {"title": "title"}),
        ({"published_meta": "2020-01-01"}, None, {"date": "article:published_time"}),
        ({"time_datetime": None}, None, {"date": "date line"}),
        (
            {"time_datetime": None, "date_text": None},
            "https://site.example/2020/02/03/a/",
            {"date": "htmldate", "url": "fetched"},
        ),
        ({"canonical": "https://site.example/a"}, None, {"url": "canonical"}),
        ({"og_url": "https://site.example/a"}, None, {"url": "og:url"}),
    ],
)
def test_each_fact_says_where_it_was_found(
    overrides: dict[str, object], fetched: str | None, expected: dict[str, str]
) -> None:
    from search_service.ingest.html import parse_html

    page = parse_html(article_page("en", **overrides).render(), fetched_url=fetched)
    assert {key: page.sources.get(key) for key in expected} == expected
