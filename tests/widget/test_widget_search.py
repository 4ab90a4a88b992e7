"""The widget in a real browser, embedded in a page of another origin, over the real API."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.widget.conftest import WidgetPage

pytestmark = pytest.mark.browser


def url_params(widget: WidgetPage) -> dict[str, list[str]]:
    return parse_qs(urlsplit(widget.page.url).query)


def test_typing_shows_results_with_highlighted_words(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")

    expect(widget.options).to_have_count(5)
    expect(widget.status).to_have_text("5 results")
    first = widget.options.first
    expect(first.locator("mark").first).to_have_text(re.compile("^health$", re.IGNORECASE))
    expect(first).to_have_attribute("href", re.compile(r"^http"))
    expect(widget.page.locator("site-search .meta").first).to_contain_text("English")
    assert widget.console_errors == []


def test_results_link_to_the_article_url_or_to_the_service_page(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")

    with_url = widget.options.filter(has_text="Health mutuals grow in Benin")
    expect(with_url).to_have_attribute("href", "https://esn.example.org/news/benin-mutuals")
    widget.replace("abidjan")
    without_url = widget.options.filter(has_text="Abidjan conference")
    expect(without_url).to_have_attribute(
        "href", f"{widget.api_origin}/articles/abidjan-conference"
    )


def test_ticking_a_country_narrows_results_and_updates_counts(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    expect(widget.facet_count("Benin")).to_have_text("3")
    expect(widget.facet_count("Togo")).to_have_text("2")
    expect(widget.facet_count("Solidaris")).to_have_text("2")

    widget.checkbox("Benin").check()

    expect(widget.options).to_have_count(3)
    expect(widget.status).to_have_text("3 results")
    expect(widget.facet_count("AIM")).to_have_text("1")  # partner counts follow the filter
    expect(widget.facet_count("Togo")).to_have_text("2")  # a facet ignores its own filter
    expect(widget.checkbox("Benin")).to_be_checked()

    widget.checkbox("Togo").check()  # OR within one facet
    expect(widget.options).to_have_count(4)

    widget.page.get_by_role("button", name="Clear filters").click()
    expect(widget.options).to_have_count(5)
    expect(widget.checkbox("Benin")).not_to_be_checked()
    expect(widget.box).to_be_focused()


def test_counts_update_with_the_query(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    expect(widget.facet_count("Benin")).to_have_text("3")

    widget.replace("abidjan")

    expect(widget.options).to_have_count(1)
    expect(widget.facet_count("Benin")).to_have_text("1")
    expect(widget.checkbox("Togo")).to_have_count(0)


def test_long_facets_show_six_values_until_show_all(widget: WidgetPage) -> None:
    widget.open()
    widget.search("solidarity")
    countries = widget.page.locator("site-search fieldset", has_text="Country")
    expect(countries.locator("input[type=checkbox]")).to_have_count(6)

    show_all = countries.get_by_role("button", name="Show all (8)")
    expect(show_all).to_have_attribute("aria-expanded", "false")
    show_all.click()

    expect(countries.locator("input[type=checkbox]")).to_have_count(8)
    show_fewer = countries.get_by_role("button", name="Show fewer")
    expect(show_fewer).to_have_attribute("aria-expanded", "true")
    expect(show_fewer).to_be_focused()
    show_fewer.click()
    expect(countries.locator("input[type=checkbox]")).to_have_count(6)


def test_ticking_a_filter_with_the_keyboard_keeps_focus_on_it(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    expect(widget.facet_count("Benin")).to_have_text("3")

    widget.checkbox("Benin").focus()
    widget.page.keyboard.press("Space")

    expect(widget.options).to_have_count(3)
    expect(widget.checkbox("Benin")).to_be_checked()
    expect(widget.checkbox("Benin")).to_be_focused()


def test_arrow_keys_move_through_results_and_enter_opens_the_active_one(
    widget: WidgetPage,
) -> None:
    widget.page.route(  # an article on the site itself: answer for it, the network is not ours
        "https://esn.example.org/**", lambda route: route.fulfill(body="<title>Article</title>")
    )
    widget.open()
    widget.search("health")
    expect(widget.options).to_have_count(5)

    widget.box.press("ArrowDown")
    expect(widget.box).to_have_attribute("aria-activedescendant", "o0")
    expect(widget.options.nth(0)).to_have_attribute("aria-selected", "true")
    widget.box.press("ArrowDown")
    widget.box.press("ArrowDown")
    widget.box.press("ArrowUp")
    expect(widget.box).to_have_attribute("aria-activedescendant", "o1")
    expect(widget.options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(widget.options.nth(0)).to_have_attribute("aria-selected", "false")
    expect(widget.box).to_be_focused()

    target = widget.options.nth(1).get_attribute("href")
    assert target
    widget.box.press("Enter")
    expect(widget.page).to_have_url(target)


def test_typing_after_highlighting_a_result_makes_enter_search_the_new_text(
    widget: WidgetPage,
) -> None:
    """Enter before the new results arrive searches the text, not the old highlighted result."""
    page = widget.page
    widget.open()
    widget.search("health")
    widget.box.press("ArrowDown")
    widget.box.press("ArrowDown")
    expect(widget.box).to_have_attribute("aria-activedescendant", "o1")
    held: list[Any] = []
    searches = re.compile(r"/search\?")
    page.route(searches, lambda route: held.append(route))  # new results do not arrive yet

    widget.box.press_sequentially(" insurance")

    expect(widget.box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(widget.options.nth(1)).to_have_attribute("aria-selected", "false")
    with page.expect_request(lambda r: widget.is_search_for(r.url, "health insurance")):
        widget.box.press("Enter")
    page.unroute(searches)
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the superseded ones were aborted
            route.continue_()
    expect(page).to_have_url(re.compile(r"\?q=health\+insurance$"))
    expect(widget.options.filter(has_text="Teachers' health insurance in Togo")).to_have_count(1)


def test_escape_closes_the_list_then_clears_the_box(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    expect(widget.listbox).to_be_visible()
    widget.box.press("ArrowDown")

    widget.box.press("Escape")
    expect(widget.listbox).to_be_hidden()
    expect(widget.box).to_have_attribute("aria-expanded", "false")
    expect(widget.box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(widget.box).to_have_value("health")
    expect(widget.box).to_be_focused()

    widget.box.press("Escape")
    expect(widget.box).to_have_value("")
    expect(widget.box).to_be_focused()
    assert "q" not in url_params(widget)

    widget.box.press_sequentially("togo")
    expect(widget.listbox).to_be_visible()  # the box still works after clearing


def test_escape_in_the_filters_closes_the_list_and_returns_focus_to_the_box(
    widget: WidgetPage,
) -> None:
    widget.open()
    widget.search("health")
    widget.checkbox("Togo").focus()

    widget.page.keyboard.press("Escape")

    expect(widget.listbox).to_be_hidden()
    expect(widget.box).to_be_focused()
    widget.box.press("ArrowDown")  # reopens
    expect(widget.listbox).to_be_visible()


@pytest.mark.parametrize(
    ("html_lang", "attributes", "label", "count", "legend", "more"),
    [
        ("fr", "", "Rechercher sur le site", "5 résultats", "Pays", "Année"),
        ("es", "", "Buscar en el sitio", "5 resultados", "País", "Año"),
        ("en", 'lang="fr"', "Rechercher sur le site", "5 résultats", "Pays", "Année"),
        ("fr-CA", 'lang="es"', "Buscar en el sitio", "5 resultados", "País", "Año"),
        ("en", 'lang="fr-CA"', "Rechercher sur le site", "5 résultats", "Pays", "Année"),
        ("frr", "", "Search the site", "5 results", "Country", "Year"),  # North Frisian
    ],
)
def test_ui_strings_follow_the_lang_attribute_or_the_page_language(
    widget: WidgetPage,
    html_lang: str,
    attributes: str,
    label: str,
    count: str,
    legend: str,
    more: str,
) -> None:
    widget.open(html_lang=html_lang, attributes=attributes)
    expect(widget.page.get_by_role("combobox", name=label)).to_be_visible()

    widget.search("health")

    expect(widget.status).to_have_text(count)
    expect(widget.live_region).to_have_text(count)
    legends = widget.page.locator("site-search legend")
    expect(legends.first).to_have_text(legend)
    expect(legends.filter(has_text=more)).to_have_count(1)


def test_french_page_shows_french_empty_state_and_dates(widget: WidgetPage) -> None:
    widget.open(html_lang="fr")
    widget.search("abidjan")
    expect(widget.page.locator("site-search .meta").first).to_contain_text("sept. 2016")
    expect(widget.page.locator("site-search .meta").first).to_contain_text("Anglais")

    widget.replace("qqxxzzwwvv")
    expect(widget.status).to_contain_text("Aucun résultat.")


def test_no_results_shows_the_empty_state(widget: WidgetPage) -> None:
    widget.open()
    widget.search("qqxxzzwwvv")

    expect(widget.status).to_have_text("No results. Try other words or remove some filters.")
    expect(widget.live_region).to_have_text("No results.")
    expect(widget.listbox).to_be_hidden()
    expect(widget.box).to_have_attribute("aria-expanded", "false")


#: A pasted paragraph of more words than SEARCH_MAX_QUERY_WORDS (32): the API searches the
#: first ones and its `notice` says the rest were left out.
PASTED = "health " + " ".join(f"paragraph{n}" for n in range(40))


def note(widget: WidgetPage) -> Any:
    return widget.page.locator("site-search #note")


def test_a_pasted_paragraph_is_searched_and_the_visitor_told_only_its_first_words_were(
    widget: WidgetPage,
) -> None:
    widget.open()
    widget.replace(PASTED)

    expect(widget.options).to_have_count(5)
    expect(widget.status).to_have_text("5 results")
    expect(note(widget)).to_have_text("Only the first words of your search were used.")
    expect(widget.live_region).to_have_text(
        "5 results Only the first words of your search were used."
    )

    widget.replace("health")
    expect(note(widget)).to_be_hidden()
    expect(widget.live_region).to_have_text("5 results")


@pytest.mark.parametrize(
    ("html_lang", "status", "said"),
    [
        (
            "en",
            "No results.",
            "Type words to search for: symbols and emoji alone are not searched.",
        ),
        (
            "fr",
            "Aucun résultat.",
            "Saisissez des mots : les symboles et les emoji seuls ne sont pas recherchés.",
        ),
        (
            "es",
            "No hay resultados.",
            "Escriba palabras: los símbolos y los emojis solos no se buscan.",
        ),
    ],
)
def test_a_query_without_any_word_says_so_in_the_pages_language(
    widget: WidgetPage, html_lang: str, status: str, said: str
) -> None:
    widget.open(html_lang=html_lang)
    widget.replace("😀 ***")

    expect(note(widget)).to_have_text(said)
    expect(widget.status).to_have_text(status)  # the note, not the hint to try other words
    expect(widget.live_region).to_have_text(f"{status} {said}")
    expect(widget.listbox).to_be_hidden()


def test_a_notice_the_widget_does_not_know_shows_the_apis_message_as_text(
    widget: WidgetPage,
) -> None:
    message = "<b>three</b> words were read as one name"
    body = {
        "query": "health",
        "total": 0,
        "page": 1,
        "per_page": 10,
        "took_ms": 1.0,
        "hits": [],
        "facets": {},
        "suggestion": None,
        "notice": {"code": "constructor", "message": message},
    }
    widget.page.route(re.compile(r"/search\?"), lambda route: route.fulfill(json=body))
    widget.open()
    widget.search("health")

    expect(note(widget)).to_have_text(message)
    expect(note(widget).locator("b")).to_have_count(0)
    assert widget.console_errors == []


def test_a_search_in_progress_shows_the_loading_state(widget: WidgetPage) -> None:
    held: list[Any] = []
    widget.page.route(re.compile(r"/search\?"), lambda route: held.append(route))
    widget.open()

    with widget.page.expect_request(lambda r: "q=health&" in r.url):
        widget.box.click()
        widget.box.press_sequentially("health")

    expect(widget.status).to_have_text("Searching…")
    expect(widget.page.locator("site-search .spin")).to_be_visible()
    expect(widget.listbox).to_have_attribute("aria-busy", "true")
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the earlier ones were aborted
            route.continue_()
    expect(widget.options).to_have_count(5)
    expect(widget.page.locator("site-search .spin")).to_be_hidden()


def test_dates_and_strings_follow_a_lang_attribute_set_later(widget: WidgetPage) -> None:
    widget.open()
    widget.search("abidjan")
    expect(widget.status).to_have_text("1 result")

    widget.page.locator("site-search").evaluate("e => e.setAttribute('lang', 'es')")

    expect(widget.page.get_by_role("combobox", name="Buscar en el sitio")).to_be_visible()
    expect(widget.status).to_have_text("1 resultado")
    expect(widget.page.locator("site-search .meta").first).to_contain_text("sept 2016")


def test_did_you_mean_applies_the_suggestion_in_one_click(widget: WidgetPage) -> None:
    widget.open()
    widget.search("solidarty")

    suggestion = widget.page.locator("site-search #dym button")
    expect(suggestion).to_have_text("solidarity")
    suggestion.click()

    expect(widget.box).to_have_value("solidarity")
    expect(widget.box).to_be_focused()
    expect(widget.status).to_have_text("14 results")
    expect(suggestion).to_be_hidden()


def test_more_results_appends_pages_of_the_per_page_size(widget: WidgetPage) -> None:
    widget.open(attributes='per-page="5"')  # not the default (10); "solidarity" matches 14
    widget.search("solidarity")
    expect(widget.options).to_have_count(5)

    more = widget.page.get_by_role("button", name="More results")
    more.click()
    expect(widget.options).to_have_count(10)
    more.click()

    expect(widget.options).to_have_count(14)
    expect(more).to_be_hidden()
    expect(widget.box).to_be_focused()  # the button went away: focus is not lost


def test_a_failed_more_results_keeps_the_results_shown_and_offers_a_retry(
    widget: WidgetPage,
) -> None:
    widget.open(attributes='per-page="5"')
    widget.search("solidarity")
    expect(widget.options).to_have_count(5)
    page_two = re.compile(r"/search\?.*[?&]page=2&")
    widget.page.route(
        page_two,
        lambda route: route.fulfill(
            status=500,
            content_type="application/json",
            body='{"error": {"code": "internal", "message": "Internal error."}}',
        ),
    )

    widget.page.get_by_role("button", name="More results").click()

    message = widget.page.locator("site-search #merr")
    expect(message).to_have_text("More results could not be loaded.")
    expect(widget.live_region).to_have_text("More results could not be loaded.")
    expect(widget.options).to_have_count(5)
    expect(widget.status).to_have_text("14 results")
    retry = widget.page.get_by_role("button", name="Try again")
    expect(retry).to_be_focused()  # the control that was clicked, now offering the retry

    widget.page.unroute(page_two)
    retry.click()

    expect(widget.options).to_have_count(10)
    expect(message).to_be_hidden()
    expect(widget.page.get_by_role("button", name="More results")).to_be_focused()


def test_query_and_filters_are_kept_in_the_url_and_the_back_button_restores_them(
    widget: WidgetPage,
) -> None:
    widget.open()
    widget.search("health")
    expect(widget.options).to_have_count(5)
    expect(widget.page).to_have_url(re.compile(r"\?q=health$"))

    widget.checkbox("Benin").check()
    expect(widget.options).to_have_count(3)
    assert url_params(widget) == {"q": ["health"], "country": ["Benin"]}

    widget.page.go_back()
    expect(widget.page).to_have_url(re.compile(r"\?q=health$"))
    expect(widget.options).to_have_count(5)
    expect(widget.checkbox("Benin")).not_to_be_checked()

    widget.page.go_back()
    expect(widget.box).to_have_value("")
    expect(widget.listbox).to_be_hidden()

    widget.page.go_forward()
    expect(widget.box).to_have_value("health")
    expect(widget.options).to_have_count(5)


def test_emptying_the_box_adds_a_history_entry_so_back_returns_to_the_earlier_search(
    widget: WidgetPage,
) -> None:
    widget.open()
    widget.search("health")
    expect(widget.page).to_have_url(re.compile(r"\?q=health$"))

    # Emptied in one keystroke: six Backspaces spaced wider than the debounce on a loaded
    # machine each settle a search ("healt", "heal"…) with its own history entry.
    widget.box.press("ControlOrMeta+a")
    widget.box.press("Backspace")
    expect(widget.box).to_have_value("")
    expect(widget.page).not_to_have_url(re.compile(r"\?q="))
    expect(widget.listbox).to_be_hidden()
    widget.search("togo")
    expect(widget.page).to_have_url(re.compile(r"\?q=togo$"))

    widget.page.go_back()
    expect(widget.page).not_to_have_url(re.compile(r"\?q="))
    expect(widget.box).to_have_value("")
    widget.page.go_back()
    expect(widget.page).to_have_url(re.compile(r"\?q=health$"))
    expect(widget.box).to_have_value("health")
    expect(widget.options).to_have_count(5)
    widget.page.go_forward()
    widget.page.go_forward()
    expect(widget.box).to_have_value("togo")


def test_sorting_by_date_reorders_results_and_is_kept_in_the_url(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    sort = widget.page.get_by_role("combobox", name="Sort by")
    expect(sort).to_have_value("relevance")

    sort.select_option("newest")
    expect(widget.options.first).to_contain_text("Health education programme in Senegal")
    expect(widget.options.last).to_contain_text("Abidjan conference")
    assert url_params(widget)["sort"] == ["newest"]

    sort.select_option("oldest")
    expect(widget.options.first).to_contain_text("Abidjan conference")

    widget.page.go_back()
    expect(sort).to_have_value("newest")
    expect(widget.options.first).to_contain_text("Health education programme in Senegal")


def test_a_shared_url_restores_the_search_on_load(widget: WidgetPage) -> None:
    widget.open(query="?q=health&country=Togo")

    expect(widget.box).to_have_value("health")
    expect(widget.checkbox("Togo")).to_be_checked()
    expect(widget.options).to_have_count(2)
    expect(widget.status).to_have_text("2 results")


def test_a_link_naming_a_filter_value_in_other_words_ticks_the_value_and_unticks_it(
    widget: WidgetPage,
) -> None:
    """The API reads `country=benin` as Benin (docs/api.md, filter values): the widget
    shows Benin ticked, and unticking it removes the filter, not a second Benin."""
    widget.open(query="?q=health&country=benin")

    expect(widget.options).to_have_count(3)
    expect(widget.checkbox("Benin")).to_be_checked()

    with widget.page.expect_response(lambda r: "/search?" in r.url):
        widget.checkbox("Benin").uncheck()
    expect(widget.options).to_have_count(5)
    expect(widget.checkbox("Benin")).not_to_be_checked()
    assert "country" not in url_params(widget)


def test_a_stale_response_never_overwrites_a_newer_one(widget: WidgetPage) -> None:
    """The first request is held back until the second one has rendered, then released."""
    held: list[Any] = []
    aborted: list[str] = []
    page = widget.page
    page.on("requestfailed", lambda r: aborted.append(r.url) if "q=togo&" in r.url else None)

    def hold_first(route: Any) -> None:
        if "q=togo&" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/search\?"), hold_first)
    widget.open()
    with page.expect_request(lambda r: "q=togo&" in r.url):
        widget.box.click()
        widget.box.press_sequentially("togo")
    widget.replace("abidjan")

    expect(widget.status).to_have_text("1 result")
    expect(widget.options).to_have_count(1)
    assert len(held) == 1
    stale = '{"query":"togo","total":99,"page":1,"per_page":10,"took_ms":1,"hits":[],' + (
        '"facets":{},"suggestion":null}'
    )
    with contextlib.suppress(PlaywrightError):  # already aborted by the widget: as intended
        held[0].fulfill(status=200, content_type="application/json", body=stale)

    expect(widget.options).to_have_count(1)
    expect(widget.status).to_have_text("1 result")
    expect(widget.box).to_have_value("abidjan")
    assert aborted, "the superseded request should have been aborted"


def test_normal_use_logs_no_console_errors(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")
    expect(widget.options).to_have_count(5)
    widget.checkbox("Benin").check()
    expect(widget.options).to_have_count(3)
    widget.box.press("ArrowDown")
    widget.box.press("Escape")
    widget.box.press("Escape")
    expect(widget.box).to_have_value("")

    assert widget.console_errors == []
    assert widget.dialogs == []


def test_the_demo_page_embeds_the_widget_from_its_own_origin(widget: WidgetPage) -> None:
    widget.page.goto(widget.api_origin + "/")
    expect(widget.page.get_by_role("combobox", name="Search the site")).to_be_visible()
    widget.search("abidjan")

    expect(widget.options.first).to_contain_text("Abidjan conference")
    assert widget.page.locator('script[src="/widget.js"]').count() == 1

    widget.box.press("Escape")  # the open panel covers the page's buttons
    widget.page.get_by_role("button", name="Français").click()
    expect(widget.page.get_by_role("combobox", name="Rechercher sur le site")).to_be_visible()
    assert widget.console_errors == []
