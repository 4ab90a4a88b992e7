"""Search analytics through the widget in Chromium: what a visitor settles on, and opens.

The API is an app of its own here (its store in tmp_path), under a real uvicorn;
the host page comes from the other origin, so the settle request and the click
beacon are cross-origin, as on the real site.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from search_service.analytics.report import Report, build_report
from search_service.settings import Settings
from search_service.web.api import create_app

from .conftest import HostPages, UvicornThread, WidgetPage

pytestmark = pytest.mark.browser


@dataclass
class CountingApi:
    """The API with analytics in a folder of its own, and what its store says."""

    server: UvicornThread
    app: Any
    settings: Settings

    def report(self) -> Report:
        assert self.app.state.recorder.writer.flush()
        return build_report(self.settings)

    def wait_for(self, condition: Callable[[Report], bool], timeout: float = 15.0) -> Report:
        """The report once `condition` holds: a beacon lands when the browser sends it."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.report()
            if condition(report) or time.monotonic() > deadline:
                return report
            time.sleep(0.1)


@dataclass
class Requests:
    """The widget's requests to the API, as the browser sent them."""

    searches: list[dict[str, list[str]]] = field(default_factory=list)
    beacons: list[Any] = field(default_factory=list)

    def record(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.path == "/search":
            self.searches.append(parse_qs(parts.query))
        elif parts.path == "/clicks":
            self.beacons.append(request)

    @property
    def typing(self) -> list[dict[str, list[str]]]:
        return [params for params in self.searches if params.get("typing") == ["true"]]

    @property
    def counted(self) -> list[dict[str, list[str]]]:
        return [params for params in self.searches if "typing" not in params]


def counted_queries(report: Report) -> dict[str, int]:
    return {row.query: row.searches for row in report.top_queries}


@pytest.fixture
def counting_api(index_dir: Path, tmp_path: Path) -> Iterator[CountingApi]:
    settings = Settings(index_dir=index_dir, data_dir=tmp_path / "data")
    app = create_app(settings)
    server = UvicornThread(app).start()
    yield CountingApi(server, app, settings)
    server.stop()


@pytest.fixture
def tab(
    browser: Any, counting_api: CountingApi, host_pages: HostPages
) -> Iterator[tuple[WidgetPage, Requests]]:
    context = browser.new_context(viewport={"width": 1100, "height": 850}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # A result with a URL of its own would leave for the internet: answered here instead.
    page.route("https://esn.example.org/**", lambda route: route.fulfill(body="the article"))
    requests = Requests()
    context.on("request", requests.record)
    widget = WidgetPage(page=page, host_pages=host_pages, api_origin=counting_api.server.origin)
    page.on("pageerror", lambda e: widget.console_errors.append(f"uncaught: {e}"))
    yield widget, requests
    context.close()


def is_settle_request(url: str) -> bool:
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    return parts.path == "/search" and "search_id" in params and "typing" not in params


def test_keystrokes_are_not_counted_only_the_query_the_visitor_paused_on(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, requests = tab
    widget.open()
    widget.box.click()

    with widget.page.expect_response(lambda r: is_settle_request(r.url), timeout=15_000):
        widget.box.press_sequentially("health", delay=600)  # a search after each keystroke

    assert len(requests.typing) >= 3, requests.searches
    report = counting_api.report()
    assert counted_queries(report) == {"health": 1}
    assert report.searches == 1


def test_a_query_submitted_with_enter_counts_once(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, requests = tab
    widget.open()
    widget.search("health")

    with widget.page.expect_response(lambda r: r.url.startswith(counting_api.server.origin)):
        widget.box.press("Enter")
    expect(widget.options).to_have_count(5)
    widget.page.wait_for_timeout(2000)  # past the pause that would count typed results

    assert counted_queries(counting_api.report()) == {"health": 1}
    assert len(requests.counted) == 1


def test_an_opened_result_is_reported_by_a_beacon_and_raises_the_click_through(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, _ = tab
    widget.open()
    widget.search("health")  # typed results, not counted yet
    expect(widget.options).to_have_count(5)
    opened = widget.options.nth(1)

    with widget.page.expect_request(lambda r: r.url.endswith("/clicks")) as beacon_info:
        opened.click()

    beacon = beacon_info.value
    assert beacon.method == "POST"
    assert beacon.headers["content-type"].startswith("text/plain")  # no CORS preflight
    sent = beacon.post_data_json
    assert sent["position"] == 2
    assert set(sent) == {"search_id", "position", "article_id"}
    report = counting_api.wait_for(lambda report: report.opened_results == 1)
    assert counted_queries(report) == {"health": 1}  # opening a result settled the query
    assert report.click_through_rate == 1.0
    assert report.mean_position == 2.0
    assert [row.opened for row in report.top_queries] == [1]


def test_a_result_opened_with_the_keyboard_is_reported_too(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, _ = tab
    widget.open()
    widget.search("health")
    widget.box.press("ArrowDown")

    with widget.page.expect_request(lambda r: r.url.endswith("/clicks")):
        widget.box.press("Enter")

    report = counting_api.wait_for(lambda report: report.opened_results == 1)
    assert report.mean_position == 1.0


def test_a_query_with_no_result_in_the_widget_is_listed_as_such(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, _ = tab
    widget.open()
    widget.search("quetzalcoatl")
    expect(widget.status).to_contain_text("No results")

    with widget.page.expect_response(lambda r: r.url.startswith(counting_api.server.origin)):
        widget.box.press("Enter")

    report = counting_api.report()
    assert [(row.query, row.no_result) for row in report.no_result_queries] == [("quetzalcoatl", 1)]


def test_filters_ticked_in_the_widget_are_counted(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, _ = tab
    widget.open()
    widget.search("health")

    with widget.page.expect_response(lambda r: "country=Benin" in r.url):
        widget.checkbox("Benin").check()
    expect(widget.options).to_have_count(3)

    report = counting_api.report()
    assert [(f.filter, f.value, f.searches) for f in report.top_filters] == [
        ("country", "Benin", 1)
    ]


def test_a_page_opened_with_a_query_counts_it_and_back_does_not_count_again(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, _ = tab
    widget.open(query="?q=solidarity")
    expect(widget.options.first).to_be_visible()
    with widget.page.expect_response(lambda r: "sort=newest" in r.url):
        widget.page.get_by_role("combobox", name="Sort by").select_option("newest")

    with widget.page.expect_response(lambda r: "/search?" in r.url):
        widget.page.go_back()
    widget.page.wait_for_timeout(2000)

    assert counted_queries(counting_api.report()) == {"solidarity": 2}  # load and sort


def test_the_analytics_attribute_off_counts_nothing(
    tab: tuple[WidgetPage, Requests], counting_api: CountingApi
) -> None:
    widget, requests = tab
    widget.open(attributes='analytics="off"')
    widget.search("health")
    with widget.page.expect_response(lambda r: "/search?" in r.url):
        widget.box.press("Enter")
    widget.box.press("ArrowDown")
    widget.box.press("Enter")
    widget.page.wait_for_timeout(2000)

    assert requests.counted == []
    assert requests.beacons == []
    assert counting_api.report().searches == 0
