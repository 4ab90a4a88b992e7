"""Embedding in someone else's page: cross-origin calls, style isolation, theming, closing."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.widget.conftest import WidgetPage

pytestmark = pytest.mark.browser

HOSTILE_HOST_CSS = """
input { background: rgb(255, 0, 0) !important; font-size: 40px !important; }
li, mark, fieldset { color: rgb(255, 0, 0) !important; border: 9px solid rgb(255, 0, 0); }
* { letter-spacing: 3px; }
site-search { color: rgb(255, 0, 0); font-style: italic; line-height: 5; }
"""


def test_the_widget_calls_the_api_cross_origin_with_cors(widget: WidgetPage) -> None:
    widget.open()
    assert not widget.page.url.startswith(widget.api_origin)

    with widget.page.expect_response(lambda r: "/search?" in r.url) as response_info:
        widget.search("health")
    response = response_info.value

    assert response.url.startswith(widget.api_origin + "/search?")
    assert response.request.all_headers()["origin"] == widget.host_pages.origin
    assert response.all_headers()["access-control-allow-origin"] in ("*", widget.host_pages.origin)
    expect(widget.options).to_have_count(5)


def test_host_page_styles_do_not_leak_into_the_widget(widget: WidgetPage) -> None:
    widget.open(style=HOSTILE_HOST_CSS)
    widget.search("health")
    expect(widget.options).to_have_count(5)

    box_style = widget.box.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).fontSize]"
    )
    mark_color = widget.options.first.locator("mark").first.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert box_style[0] != "rgb(255, 0, 0)"
    assert box_style[1] != "40px"
    assert mark_color != "rgb(255, 0, 0)"
    inherited = widget.status.evaluate(
        "e => { const s = getComputedStyle(e); return [s.color, s.fontStyle, s.letterSpacing]; }"
    )
    assert inherited[0] != "rgb(255, 0, 0)"
    assert inherited[1] == "normal"
    assert inherited[2] == "normal"


def test_widget_styles_do_not_leak_into_the_host_page(widget: WidgetPage) -> None:
    widget.open(style=".title, mark { font-weight: 400; } ")
    widget.page.evaluate(
        """() => document.body.insertAdjacentHTML('beforeend', '<p><span class="title"'
            + ' id="host-title">Host</span> <mark id="host-mark">m</mark></p>')"""
    )
    widget.search("health")
    expect(widget.options).to_have_count(5)

    host_title = widget.page.locator("#host-title")
    assert host_title.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    assert widget.page.locator("#host-mark").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    ) == widget.page.evaluate(
        """() => { const m = document.createElement('mark'); document.body.append(m);
                   return getComputedStyle(m).backgroundColor; }"""
    )


def test_css_custom_properties_theme_the_widget(widget: WidgetPage) -> None:
    widget.open(
        style="site-search { --ss-accent: rgb(1, 2, 3); --ss-mark-bg: rgb(4, 5, 6); "
        "--ss-radius: 0px; --ss-font: monospace; }"
    )
    widget.search("health")
    expect(widget.options).to_have_count(5)

    title = widget.options.first.locator(".title")
    assert title.evaluate("e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
    mark = widget.options.first.locator("mark").first
    assert mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(4, 5, 6)"
    box = widget.page.locator("site-search .box")
    assert box.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "0px"
    assert "monospace" in widget.box.evaluate("e => getComputedStyle(e).fontFamily")


def test_a_page_with_a_strict_content_security_policy_can_embed_the_widget(
    widget: WidgetPage,
) -> None:
    """No inline style or script of the widget's own: only the API origin must be allowed."""
    policy = (
        f"default-src 'none'; script-src {widget.api_origin}; connect-src {widget.api_origin}; "
        "style-src 'none'; img-src data:"
    )
    widget.open(head=f'<meta http-equiv="Content-Security-Policy" content="{policy}">')
    widget.search("health")

    expect(widget.options).to_have_count(5)
    panel = widget.page.locator("site-search #panel")
    assert panel.evaluate("e => getComputedStyle(e).position") == "absolute"
    title_weight = widget.options.first.locator(".title").evaluate(
        "e => getComputedStyle(e).fontWeight"
    )
    assert title_weight == "600"
    blocked = [e for e in widget.console_errors if "Content Security Policy" in e]
    assert len(blocked) == 1, blocked  # the host page's own <style>, nothing of the widget


def test_clicking_outside_closes_the_list_and_clicking_the_box_reopens_it(
    widget: WidgetPage,
) -> None:
    widget.open()
    widget.search("health")
    expect(widget.listbox).to_be_visible()

    widget.page.get_by_role("heading", name="Host site").click()
    expect(widget.listbox).to_be_hidden()
    expect(widget.box).to_have_attribute("aria-expanded", "false")

    widget.box.click()
    expect(widget.listbox).to_be_visible()
    expect(widget.box).to_have_attribute("aria-expanded", "true")


def test_clicking_a_blank_part_of_the_panel_keeps_focus_in_the_box(widget: WidgetPage) -> None:
    widget.open()
    widget.search("health")

    widget.status.click()

    expect(widget.box).to_be_focused()
    expect(widget.listbox).to_be_visible()


def test_tabbing_out_of_the_widget_closes_the_list(widget: WidgetPage) -> None:
    widget.open(attributes='facets=""')
    widget.page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<a id=after href=\"#\">after the widget</a>')"
    )
    widget.search("abidjan")
    expect(widget.options).to_have_count(1)

    widget.box.press("Tab")

    expect(widget.page.locator("#after")).to_be_focused()
    expect(widget.listbox).to_be_hidden()


def test_the_placeholder_and_facets_attributes_are_honoured(widget: WidgetPage) -> None:
    widget.open(attributes='placeholder="Find a story" facets="year"')
    expect(widget.box).to_have_attribute("placeholder", "Find a story")

    widget.search("health")

    expect(widget.options).to_have_count(5)
    legends = widget.page.locator("site-search legend")
    expect(legends).to_have_count(1)
    expect(legends).to_have_text("Year")
    expect(widget.checkbox("Benin")).to_have_count(0)


@pytest.mark.parametrize(
    ("per_page", "sent", "shown"),
    [("0", 1, 1), ("-4", 1, 1), ("250", 100, 14), ("ten", 10, 10)],
)
def test_a_per_page_outside_1_to_100_is_clamped_and_a_non_number_means_10(
    widget: WidgetPage, per_page: str, sent: int, shown: int
) -> None:
    searches: list[str] = []
    widget.page.on("request", lambda r: searches.append(r.url) if "/search?" in r.url else None)
    widget.open(attributes=f'per-page="{per_page}"')

    widget.search("solidarity")  # 14 matches

    expect(widget.options).to_have_count(shown)
    assert parse_qs(urlsplit(searches[-1]).query)["per_page"] == [str(sent)]


def test_url_state_off_leaves_the_page_url_alone(widget: WidgetPage) -> None:
    widget.open(attributes='url-state="off"')
    before = widget.page.url

    widget.search("health")

    expect(widget.options).to_have_count(5)
    assert widget.page.url == before
