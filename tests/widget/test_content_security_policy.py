"""Strict Content Security Policies, in real Chromium: the host's and the service's own.

The widget needs nothing but its origin in `script-src` and `connect-src`
(docs/widget.md), now sent as the host page's response header; the service's
own pages (demo, article) work under the policies it sends, with no violation
reported by the browser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from search_service.web.security import inline_hashes

if TYPE_CHECKING:
    from tests.widget.conftest import UvicornThread, WidgetPage

pytestmark = pytest.mark.browser

#: Collects what the browser blocks (every directive it enforced), from the first script on.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""


def violations(widget: WidgetPage) -> list[str]:
    found: list[str] = widget.page.evaluate("window.__violations")
    return found


def test_a_host_page_sending_the_documented_policy_as_a_header_embeds_the_widget(
    widget: WidgetPage,
) -> None:
    """The policy of docs/widget.md, as a response header: nothing else of the widget's
    is needed (its styles are a constructed sheet, it runs no inline script)."""
    widget.page.add_init_script(WATCH_VIOLATIONS)
    api = widget.api_origin

    def strict_policy(html: str) -> dict[str, str]:
        host_style = " ".join(inline_hashes(html, "style"))
        return {
            "Content-Security-Policy": (
                f"default-src 'none'; script-src {api}; connect-src {api}; "
                f"style-src {host_style}; img-src data:; base-uri 'none'"
            )
        }

    widget.open(headers=strict_policy)
    widget.search("health")

    expect(widget.options).to_have_count(5)
    panel = widget.page.locator("site-search #panel")
    assert panel.evaluate("e => getComputedStyle(e).position") == "absolute"
    assert violations(widget) == []
    assert not [error for error in widget.console_errors if "Content Security Policy" in error]


def test_the_demo_page_works_under_the_policy_the_service_sends(
    widget: WidgetPage, api: UvicornThread
) -> None:
    """Its inline style and script run by their hashes; the widget searches."""
    page = widget.page
    page.add_init_script(WATCH_VIOLATIONS)
    response = page.goto(api.origin + "/")
    assert response is not None
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.wait_for_function("customElements.get('site-search') !== undefined")
    page.get_by_role("button", name="English").click()  # the page's own inline script
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("site-search")).to_have_attribute("lang", "fr")
    widget.search("health")
    expect(widget.options).to_have_count(5)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 244, 239)"  # the page's own inline style: --esn-paper
    assert violations(widget) == []


def test_an_article_page_renders_under_its_policy_and_no_injected_script_runs(
    widget: WidgetPage, api: UvicornThread
) -> None:
    page = widget.page
    page.add_init_script(WATCH_VIOLATIONS)
    response = page.goto(api.origin + "/articles/benin-mutuals")
    assert response is not None
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Health mutuals grow in Benin")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "672px"  # inline style
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    assert page.evaluate("window.__ran") is None
    assert [v for v in violations(widget) if not v.startswith("script-src")] == []
    assert any(v.startswith("script-src") for v in violations(widget))
