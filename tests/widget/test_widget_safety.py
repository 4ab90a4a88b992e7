"""Hostile article text and a dead API: the widget shows text and a friendly message."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.widget.conftest import UvicornThread, WidgetPage

pytestmark = pytest.mark.browser


def test_hostile_article_text_is_shown_as_text_and_runs_nothing(
    widget: WidgetPage, hostile_title: str
) -> None:
    widget.open()
    widget.search("zanzibar")

    hit = widget.options.filter(has_text="Hostile zanzibar headline")
    expect(hit).to_have_count(1)
    expect(hit.locator(".title")).to_have_text(hostile_title)
    expect(hit.locator(".snip")).to_contain_text("<img src=x onerror=")
    expect(hit.locator(".snip mark").first).to_have_text(re.compile("zanzibar", re.IGNORECASE))
    # Nothing but the widget's own spans and <mark> made it into the result.
    tags = hit.evaluate("e => [...new Set([...e.querySelectorAll('*')].map(n => n.localName))]")
    assert set(tags) <= {"span", "mark"}
    # A javascript: URL from the API is never used as a link.
    expect(hit).to_have_attribute("href", f"{widget.api_origin}/articles/hostile")

    hit.click()  # clicking the result follows the safe link, not the script
    expect(widget.page).to_have_url(f"{widget.api_origin}/articles/hostile")
    assert widget.page.evaluate("window.__xss") is None
    assert widget.dialogs == []


def test_text_that_looks_like_entities_is_shown_exactly_as_written(
    widget: WidgetPage, entity_text: str
) -> None:
    widget.open()
    widget.search("kilimanjaro")

    hit = widget.options.filter(has_text="Kilimanjaro & friends")
    expect(hit.locator(".snip")).to_contain_text(entity_text)


def test_hostile_text_in_the_page_url_is_shown_as_text(widget: WidgetPage) -> None:
    widget.open(query="?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3Ezanzibar")

    expect(widget.box).to_have_value("<img src=x onerror=alert(1)>zanzibar")
    expect(widget.page.locator("site-search #status")).to_be_visible()
    assert widget.page.evaluate("window.__xss") is None
    assert widget.dialogs == []


def test_the_api_being_down_shows_a_friendly_error(
    widget: WidgetPage, index_dir: Path, start_api: Callable[[Path], UvicornThread]
) -> None:
    doomed = start_api(index_dir)
    try:
        widget.open(attributes=f'api="{doomed.origin}"')
        widget.search("health")
        expect(widget.options).to_have_count(5)
    finally:
        doomed.stop()

    widget.box.press_sequentially(" mutuals")

    message = "Search is unavailable right now. Please try again in a moment."
    expect(widget.status).to_contain_text(message)
    expect(widget.live_region).to_have_text(message)
    expect(widget.options).to_have_count(0)
    expect(widget.box).to_have_attribute("aria-expanded", "false")
    expect(widget.box).to_be_focused()
    expect(widget.page.get_by_role("button", name="Try again")).to_be_visible()
    assert widget.page.evaluate("window.__xss") is None


def test_an_unreachable_api_on_load_shows_the_error_in_french(widget: WidgetPage) -> None:
    widget.open(html_lang="fr", attributes='api="http://127.0.0.1:9/"', query="?q=sante")

    expect(widget.status).to_contain_text("La recherche est indisponible pour le moment.")
    expect(widget.page.get_by_role("button", name="Réessayer")).to_be_visible()


def test_a_request_the_api_refuses_shows_its_message(widget: WidgetPage) -> None:
    widget.open(query="?q=health&year=last")

    expect(widget.status).to_contain_text("This search could not be run.")
    expect(widget.status).to_contain_text("year")  # the API's own explanation
    expect(widget.options).to_have_count(0)


def test_a_service_without_an_index_is_reported_as_unavailable(
    widget: WidgetPage, tmp_path: Path, start_api: Callable[[Path], UvicornThread]
) -> None:
    empty = start_api(tmp_path)  # nothing published there: the API answers 503
    try:
        widget.open(attributes=f'api="{empty.origin}"')
        widget.search("health")

        expect(widget.status).to_contain_text("Search is unavailable right now.")
        expect(widget.status).not_to_contain_text("index")
    finally:
        empty.stop()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/html", "<h1>Captive portal</h1>"), ("application/json", '{"status": "ok"}')],
)
def test_a_garbled_answer_reads_as_unavailable_without_breaking_the_page(
    widget: WidgetPage, content_type: str, body: str
) -> None:
    """A proxy or captive portal answering 200 with something else must not break the widget."""
    widget.page.route(
        re.compile(r"/search\?"),
        lambda route: route.fulfill(status=200, content_type=content_type, body=body),
    )
    widget.open()
    widget.search("health")

    expect(widget.status).to_contain_text("Search is unavailable right now.")
    assert widget.console_errors == []
