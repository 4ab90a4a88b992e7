"""Screen-reader semantics, an axe-core audit, and the screenshot of the open widget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from .conftest import BLOCKING_IMPACTS, describe, run_axe

if TYPE_CHECKING:
    from pathlib import Path

    from tests.widget.conftest import WidgetPage

pytestmark = pytest.mark.browser


def test_the_input_is_a_named_combobox_that_controls_the_results_listbox(
    widget: WidgetPage,
) -> None:
    widget.open()
    box = widget.page.get_by_role("combobox", name="Search the site")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-autocomplete", "list")

    widget.search("health")

    expect(box).to_have_attribute("aria-expanded", "true")
    listbox = widget.page.get_by_role("listbox", name="Search results")
    expect(listbox).to_have_attribute("id", box.get_attribute("aria-controls") or "")
    expect(listbox.get_by_role("option")).to_have_count(5)
    expect(widget.live_region).to_have_attribute("aria-live", "polite")
    expect(widget.live_region).to_have_text("5 results")


def test_the_live_region_announces_an_unchanged_count_again(widget: WidgetPage) -> None:
    """Re-sorting keeps "5 results": the region is emptied first, so it is spoken again."""
    widget.open()
    widget.search("health")
    expect(widget.live_region).to_have_text("5 results")
    widget.live_region.evaluate(
        """e => { window.__said = [];
            new MutationObserver(() => window.__said.push(e.textContent))
                .observe(e, { childList: true, characterData: true, subtree: true }); }"""
    )

    widget.page.get_by_role("combobox", name="Sort by").select_option("newest")

    expect(widget.options.first).to_contain_text("Health education programme in Senegal")
    widget.page.wait_for_function(
        "() => window.__said.includes('') && window.__said.at(-1) === '5 results'"
    )
    expect(widget.live_region).to_have_text("5 results")


def test_axe_finds_no_serious_violation_with_results_open(
    widget: WidgetPage, axe_script: Path
) -> None:
    widget.open()
    widget.search("health")
    expect(widget.options).to_have_count(5)
    widget.checkbox("Benin").check()
    expect(widget.options).to_have_count(3)
    widget.box.press("ArrowDown")
    expect(widget.options.first).to_have_attribute("aria-selected", "true")

    violations = run_axe(widget, axe_script)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], describe(blocking)


def test_axe_finds_no_serious_violation_in_the_empty_and_error_states(
    widget: WidgetPage, axe_script: Path
) -> None:
    widget.open(attributes='api="http://127.0.0.1:9/" lang="es"', query="?q=salud")
    expect(widget.status).to_contain_text("no está disponible")

    violations = run_axe(widget, axe_script)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], describe(blocking)


def test_screenshot_of_the_widget_with_results_open(widget: WidgetPage, artifacts: Path) -> None:
    """The picture in the README comes from here (copied to docs/widget-screenshot.png)."""
    widget.page.goto(widget.api_origin + "/")
    widget.search("health")
    expect(widget.options).to_have_count(5)
    widget.box.press("ArrowDown")
    expect(widget.options.first).to_have_attribute("aria-selected", "true")

    target = artifacts / "widget-results.png"
    target.unlink(missing_ok=True)
    widget.page.screenshot(path=str(target))

    assert target.stat().st_size > 10_000
