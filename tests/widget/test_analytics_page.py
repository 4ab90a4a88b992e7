"""The editors' report at /admin/report in Chromium: the token, the CSP, axe, the screenshot."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from search_service.analytics.store import (
    AnalyticsStore,
    ClickRecord,
    SearchRecord,
    store_path,
    utc_today,
)
from search_service.settings import Settings
from search_service.web.api import create_app

from .conftest import BLOCKING_IMPACTS, UvicornThread, axe_violations, describe

pytestmark = pytest.mark.browser

TOKEN = "editors-token-for-the-browser"
#: What visitors of a month could have looked for: (query, results, searches, opened).
MONTH = [
    ("health insurance", 12, 40, 26),
    ("mutuelle sante", 8, 31, 17),
    ("benin", 15, 22, 9),
    ("teachers union", 6, 18, 0),
    ("covid", 0, 15, 0),
    ("seguro de salud", 0, 9, 0),
    ("aim", 4, 8, 5),
    ("climate education", 0, 6, 0),
]


def fill_store(data_dir: Path) -> None:
    """A month of searches, written to the store directly (the page is what is tested)."""
    rng = random.Random(13)
    today = utc_today()
    records: list[SearchRecord | ClickRecord] = []
    for query, results, searches, opened in MONTH:
        for n in range(searches):
            day = today - dt.timedelta(days=rng.randrange(30))
            search_id = f"{query}-{n}"
            filters = (("country", "Benin"),) if query == "benin" and n % 2 else ()
            records.append(SearchRecord(search_id, day, query, filters, results))
            if n < opened:
                records.append(ClickRecord(search_id, 1 + rng.randrange(4), "benin-mutuals", day))
    with AnalyticsStore.open(store_path(data_dir)) as store:
        store.write(records)


@pytest.fixture(scope="module")
def report_api(
    index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UvicornThread]:
    data_dir = tmp_path_factory.mktemp("report-data")
    fill_store(data_dir)
    settings = Settings(index_dir=index_dir, data_dir=data_dir, admin_token=TOKEN)
    server = UvicornThread(create_app(settings)).start()
    yield server
    server.stop()


@pytest.fixture
def editor(browser: Any) -> Iterator[Any]:
    """A browser tab whose user gave the token when the browser asked for it (Basic)."""
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        http_credentials={"username": "editor", "password": TOKEN},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def watch_csp(page: Any) -> None:
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )


def test_the_browser_asks_for_the_token_and_shows_the_report(
    editor: Any, report_api: UvicornThread
) -> None:
    errors: list[str] = []
    editor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    watch_csp(editor)

    response = editor.goto(report_api.origin + "/admin/report")

    assert response is not None and response.status == 200
    expect(editor.get_by_role("heading", name="Search analytics", level=1)).to_be_visible()
    expect(editor.get_by_role("img", name="Searches per day")).to_be_visible()
    expect(
        editor.get_by_role("img", name="Share of searches with no result, per day")
    ).to_be_visible()
    no_result = editor.get_by_role("table", name="Queries with no result")
    expect(no_result.get_by_role("columnheader", name="query")).to_be_visible()
    expect(no_result.get_by_role("row")).to_have_count(4)  # the header and three queries
    expect(no_result.get_by_role("link", name="covid")).to_have_attribute("href", "../?q=covid")
    assert editor.evaluate("window.__violations") == []
    assert errors == []


def test_a_wrong_token_given_to_the_browser_gets_401_in_the_error_shape(
    browser: Any, report_api: UvicornThread
) -> None:
    context = browser.new_context(http_credentials={"username": "editor", "password": "wrong"})
    page = context.new_page()

    response = page.goto(report_api.origin + "/admin/report")

    assert response is not None and response.status == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "Search analytics" not in page.content()
    context.close()


def test_without_a_token_the_browser_is_asked_for_one(
    browser: Any, report_api: UvicornThread
) -> None:
    """The 401's Basic challenge makes a browser ask for the token; headless Chromium has no
    one to ask, and fails the navigation on the missing credentials."""
    context = browser.new_context()
    page = context.new_page()
    answers: list[int] = []
    page.on("response", lambda response: answers.append(response.status))

    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        page.goto(report_api.origin + "/admin/report", timeout=20_000)

    assert answers and set(answers) == {401}
    context.close()


def test_the_report_reads_without_javascript(browser: Any, report_api: UvicornThread) -> None:
    context = browser.new_context(
        java_script_enabled=False, http_credentials={"username": "x", "password": TOKEN}
    )
    page = context.new_page()
    page.goto(report_api.origin + "/admin/report?days=7")

    expect(page.get_by_role("heading", name="Top queries")).to_be_visible()
    expect(page.get_by_role("table", name="Top queries").get_by_role("row").nth(1)).to_be_visible()
    assert page.locator("svg rect").count() > 0
    context.close()


def test_the_days_form_shows_another_period(editor: Any, report_api: UvicornThread) -> None:
    editor.goto(report_api.origin + "/admin/report")

    editor.get_by_label("Days covered").fill("7")
    with editor.expect_navigation():
        editor.get_by_role("button", name="Show").click()

    assert editor.url.endswith("/admin/report?days=7")
    expect(editor.get_by_text("(7 days, UTC)")).to_be_visible()


def test_axe_finds_no_serious_violation_on_the_report(
    browser: Any, report_api: UvicornThread, axe_script: Path
) -> None:
    # axe is injected as a script: the page's own policy (no script at all) is bypassed.
    context = browser.new_context(
        bypass_csp=True, http_credentials={"username": "editor", "password": TOKEN}
    )
    page = context.new_page()
    page.goto(report_api.origin + "/admin/report")

    violations = axe_violations(page, axe_script)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], describe(blocking)
    context.close()


def test_screenshot_of_the_report(editor: Any, report_api: UvicornThread, artifacts: Path) -> None:
    """The picture in docs/analytics.md comes from here (copied to docs/analytics-report.png)."""
    editor.goto(report_api.origin + "/admin/report")
    expect(editor.get_by_role("img", name="Searches per day")).to_be_visible()

    target = artifacts / "analytics-report.png"
    target.unlink(missing_ok=True)
    editor.screenshot(path=str(target), full_page=True)

    assert target.stat().st_size > 20_000
