"""Real parts for the widget's browser tests.

A real Whoosh index built from articles written here, the real FastAPI app under a
real uvicorn on a free loopback port, a host page served by a second server on
another port (so every widget request is cross-origin and CORS is exercised), and
Debian's Chromium driven by Playwright. Without Chromium (or axe-core) the tests
skip locally with the reason, and fail when CI=true: in CI they must run.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from playwright.sync_api import expect

from search_service.articles import Article, SourceRef

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts"

XSS_TITLE = "<script>window.__xss = 1</script><img src=x onerror=alert(1)>Hostile zanzibar headline"
XSS_BODY = (
    "Zanzibar report. <img src=x onerror=\"window.__xss = 2; alert('img')\"> "
    "<script>window.__xss = 3</script> The end of the zanzibar report."
)
XSS_URL = "javascript:window.__xss = 4"
# Text that looks like markup or entities: shown exactly as written, decoded exactly once.
ENTITY_TEXT = 'Fish & chips, "quoted", O\'Brien, &lt;tag&gt; and &amp; as typed.'
BULLETIN_COUNTRIES = ("Belgium", "Mali", "Niger", "Chad", "Ghana", "Peru", "Chile", "Cuba")


def require(available: bool, reason: str) -> None:
    """Skip locally when a browser-test prerequisite is missing; fail under CI=true."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run, not skip)")
    pytest.skip(reason)


def article(
    id: str,
    title: str,
    body: str,
    *,
    language: str = "en",
    date: str = "2018-05-04",
    countries: tuple[str, ...] = (),
    partners: tuple[str, ...] = (),
    url: str | None = None,
) -> Article:
    day = dt.date.fromisoformat(date)
    return Article.model_validate(
        {
            "id": id,
            "title": title,
            "date": day,
            "year": day.year,
            "language": language,
            "body": body,
            "countries": countries,
            "partners": partners,
            "url": url,
            "source": SourceRef(path=f"{id}.txt"),
            "checksum": f"checksum-{id}",
        }
    )


def widget_corpus() -> list[Article]:
    """Facet counts are known: "health" matches 5 articles, 3 in Benin, 2 in Togo, 1 in both;
    "solidarity" matches 14 bulletins in 8 countries."""
    articles = [
        article(
            "abidjan-conference",
            "Abidjan conference on universal health coverage",
            "Mutual societies met in Abidjan to discuss health coverage in West Africa.",
            date="2016-09-22",
            countries=("Côte d’Ivoire", "Benin"),
            partners=("AIM",),
        ),
        article(
            "benin-mutuals",
            "Health mutuals grow in Benin",
            "Community health mutuals in Benin now cover teachers and their families.",
            date="2017-03-10",
            countries=("Benin",),
            partners=("Solidaris",),
            url="https://esn.example.org/news/benin-mutuals",
        ),
        article(
            "togo-insurance",
            "Teachers' health insurance in Togo",
            "The health insurance scheme for teachers in Togo was extended this year.",
            date="2018-11-02",
            countries=("Togo",),
            partners=("AIM",),
        ),
        article(
            "benin-togo-exchange",
            "Benin and Togo exchange on health mutuals",
            "Unions of Benin and Togo compared their health mutuals at a joint meeting.",
            date="2019-06-15",
            countries=("Benin", "Togo"),
            partners=("Solidaris",),
        ),
        article(
            "senegal-health",
            "Health education programme in Senegal",
            "A programme of health education reached schools across Senegal.",
            date="2020-01-20",
            countries=("Senegal",),
        ),
        article(
            "mutuelles-fr",
            "Les mutuelles de santé de l’éducation",
            "Les mutuelles de santé des enseignants se sont réunies à Paris.",
            language="fr",
            date="2018-02-01",
            countries=("France",),
        ),
        article(
            "salud-es",
            "La salud de los docentes",
            "Los sindicatos de la educación hablaron de la salud de los docentes.",
            language="es",
            date="2019-04-01",
            countries=("Spain",),
        ),
        article("hostile", XSS_TITLE, XSS_BODY, date="2021-07-07", url=XSS_URL),
        article(
            "entities",
            "Kilimanjaro & friends",
            f"Kilimanjaro notes: {ENTITY_TEXT} End of the kilimanjaro notes.",
            date="2015-05-05",
        ),
    ]
    articles += [
        article(
            f"solidarity-{n:02d}",
            f"Solidarity bulletin number {n}",
            f"Bulletin {n} of the solidarity network between education unions.",
            date=f"{2010 + n % 10}-0{1 + n % 9}-1{n % 10}",
            countries=(BULLETIN_COUNTRIES[n % len(BULLETIN_COUNTRIES)],),
        )
        for n in range(1, 15)
    ]
    return articles


def free_socket() -> socket.socket:
    """A loopback socket already bound to a free port: no race between picking and binding."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class UvicornThread:
    """A real uvicorn serving `app` on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        self.socket = free_socket()
        self.port: int = self.socket.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> UvicornThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


def start_api(index_dir: Path) -> UvicornThread:
    from search_service.settings import Settings
    from search_service.web.api import create_app

    return UvicornThread(create_app(Settings(index_dir=index_dir))).start()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from search_service.index.build import build_from_articles

    root = tmp_path_factory.mktemp("widget-index")
    build_from_articles(widget_corpus(), root)
    return root


@pytest.fixture(name="start_api")
def start_api_fixture() -> Callable[[Path], UvicornThread]:
    """For a test that needs an API of its own (e.g. to stop it)."""
    return start_api


@pytest.fixture
def hostile_title() -> str:
    return XSS_TITLE


@pytest.fixture
def entity_text() -> str:
    return ENTITY_TEXT


@pytest.fixture(scope="session")
def api(index_dir: Path) -> Iterator[UvicornThread]:
    server = start_api(index_dir)
    yield server
    server.stop()


class HostPages:
    """A second origin serving host pages that embed the widget from the API's origin."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.headers: dict[str, dict[str, str]] = {}
        pages, page_headers = self.pages, self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                body = pages.get(path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for name, value in page_headers.get(path, {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for failures."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        """Serve `html` at `path` (with these response `headers`); its full URL."""
        self.pages[path] = html.encode()
        self.headers[path] = dict(headers or {})
        return self.origin + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def host_pages() -> Iterator[HostPages]:
    pages = HostPages()
    yield pages
    pages.stop()


def host_html(
    api_origin: str, *, html_lang: str = "en", attributes: str = "", style: str = "", head: str = ""
) -> str:
    """A page of another site embedding the widget with the documented one-line snippet."""
    return f"""<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>Host page</title>
<link rel="icon" href="data:,">{head}
<style>body {{ font: 16px Georgia, serif; margin: 2rem; }} p {{ color: #333; }} {style}</style>
</head><body>
<h1>Host site</h1>
<main>
<site-search {attributes}></site-search>
<p>Content of the host page below the search box.</p>
</main>
<script src="{api_origin}/widget.js" defer></script>
</body></html>"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=10_000)  # CI runs on two busy cores

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class WidgetPage:
    """One browser tab on a host page, with what the page logged."""

    page: Any
    host_pages: HostPages
    api_origin: str
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    pages_opened: int = 0

    def open(
        self,
        *,
        html_lang: str = "en",
        attributes: str = "",
        query: str = "",
        style: str = "",
        head: str = "",
        headers: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        """Loads a new host page (of the other origin) embedding the widget; `headers`
        gives the page's response headers from its HTML."""
        self.pages_opened += 1
        path = f"/host-{id(self)}-{self.pages_opened}.html"
        html = host_html(
            self.api_origin, html_lang=html_lang, attributes=attributes, style=style, head=head
        )
        url = self.host_pages.add(path, html, headers(html) if headers else None)
        self.page.goto(url + query)
        self.page.wait_for_function("customElements.get('site-search') !== undefined")

    @property
    def box(self) -> Any:
        """The search box (the sort menu is a combobox too)."""
        return self.page.locator("site-search input[role=combobox]")

    @property
    def options(self) -> Any:
        """The results (the sort menu's options are options too)."""
        return self.listbox.get_by_role("option")

    @property
    def listbox(self) -> Any:
        return self.page.locator("site-search #list")

    @property
    def status(self) -> Any:
        return self.page.locator("site-search #status")

    @property
    def live_region(self) -> Any:
        return self.page.locator("site-search [role=status]")

    def checkbox(self, value: str) -> Any:
        return self.page.locator(f'site-search input[type=checkbox][value="{value}"]')

    def facet_count(self, value: str) -> Any:
        checkbox = self.page.locator(f'input[type=checkbox][value="{value}"]')
        return self.page.locator("site-search label", has=checkbox).locator(".n")

    def search(self, text: str) -> None:
        """Types like a visitor, then waits until the results for the whole text are shown.

        Without the wait, results for a prefix ("heal") could land between two steps of a
        test and, say, reset the highlighted option.
        """
        self.box.click()
        with self.page.expect_response(lambda r: self.is_search_for(r.url, text)):
            self.box.press_sequentially(text)
        expect(self.listbox).to_have_attribute("aria-busy", "false")

    def replace(self, text: str) -> None:
        """Replaces the box's text at once (like a paste) and waits for its results."""
        with self.page.expect_response(lambda r: self.is_search_for(r.url, text)):
            self.box.fill(text)
        expect(self.listbox).to_have_attribute("aria-busy", "false")

    @staticmethod
    def is_search_for(url: str, text: str) -> bool:
        parts = urlsplit(url)
        return parts.path.endswith("/search") and parse_qs(parts.query).get("q") == [text.strip()]


@pytest.fixture
def widget(browser: Any, api: UvicornThread, host_pages: HostPages) -> Iterator[WidgetPage]:
    context = browser.new_context(viewport={"width": 1100, "height": 850}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = WidgetPage(page=page, host_pages=host_pages, api_origin=api.origin)
    page.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.console_errors.append(f"uncaught: {e}"))

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield tab
    context.close()


@pytest.fixture
def axe_script() -> Path:
    require(AXE_SCRIPT.exists(), f"{AXE_SCRIPT} missing: run `npm ci` in tests/widget")
    return AXE_SCRIPT


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# ---- the axe-core audit (the widget's tests and the analytics page's) --------------

BLOCKING_IMPACTS = {"serious", "critical"}


def run_axe(widget: WidgetPage, axe_script: Path) -> list[dict[str, Any]]:
    """axe-core's violations on the whole page; axe looks inside open shadow roots."""
    return axe_violations(widget.page, axe_script)


def axe_violations(page: Any, axe_script: Path) -> list[dict[str, Any]]:
    """axe-core's violations on a Playwright page (its script added to the page)."""
    page.add_script_tag(path=str(axe_script))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, { resultTypes: ['violations'] })"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations
    )
