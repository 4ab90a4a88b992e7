"""Fixtures of the CLI tests: the real command in-process (`cli.main`) or as a process,
small corpora written here, and indexes built by the real build."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search_service import cli
from search_service.index.build import build_index

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND = str(Path(sys.executable).with_name("search-service"))

ARTICLES = {
    "togo.md": "---\ntitle: Teachers of Togo\nlanguage: en\ndate: 2020-01-02\n---\n"
    "Teachers of Togo meet in Lomé to talk about schools.\n",
    "benin.md": "---\ntitle: Health insurance in Benin\nlanguage: en\ndate: 2019-05-06\n---\n"
    "Mutual health insurance reaches more teachers in Benin.\n",
}

RunMain = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_main(capsys: pytest.CaptureFixture[str]) -> RunMain:
    """Exit status, stdout and stderr of `search-service ARGS`, run in this process.

    A usage error (argparse's `SystemExit`) is returned as its status too.
    """

    def run(*args: str | Path) -> tuple[int, str, str]:
        try:
            code = cli.main([str(arg) for arg in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def write_corpus(root: Path, articles: dict[str, str] | None = None) -> Path:
    """A corpus folder: the shipped vocabulary and `articles` (name: text) in articles/."""
    shutil.copytree(REPO_ROOT / "corpus" / "vocabulary", root / "vocabulary")
    (root / "articles").mkdir(parents=True)
    for name, text in (ARTICLES if articles is None else articles).items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus of two small English articles (Togo's teachers, Benin's health insurance)."""
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def index_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of two generations: Togo's article, then both (built once, copied by tests)."""
    root = tmp_path_factory.mktemp("template")
    corpus = write_corpus(root / "corpus", {"togo.md": ARTICLES["togo.md"]})
    build_index(corpus, root / "indexes")
    (corpus / "articles" / "benin.md").write_text(ARTICLES["benin.md"], encoding="utf-8")
    build_index(corpus, root / "indexes")
    return root / "indexes"


@pytest.fixture
def index(tmp_path: Path, index_template: Path) -> Path:
    """A copy of the two-generation index (the live one holds both articles)."""
    copy = tmp_path / "indexes"
    shutil.copytree(index_template, copy)
    return copy


def without_search_settings() -> dict[str, str]:
    """This process's environment without any `SEARCH_*` variable."""
    return {
        key: value for key, value in os.environ.items() if not key.upper().startswith("SEARCH_")
    }


def run_process(
    *args: str | Path,
    cwd: Path = REPO_ROOT,
    env: dict[str, str] | None = None,
    stdout: int | None = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    """`search-service ARGS` as its own process (the console script of this venv)."""
    return subprocess.run(
        [COMMAND, *map(str, args)],
        cwd=cwd,
        env={**without_search_settings(), **(env or {})},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as held:
        yield held


def one_page_site(stack: contextlib.ExitStack) -> str:
    """The base URL of a small site served on loopback until `stack` closes (the fetch
    tests' `FixtureSite`): an article at /en/a/ and a page answering 500 at /en/broken/,
    both listed by /sitemap-en.xml; /sitemap-more.xml.gz lists only a PDF."""
    from tests.fetch.site import FixtureSite, Page, served

    site = FixtureSite()
    site.add_article(
        "/en/a/", "en", "Teachers of Ghana", "2024-01-02", ["Teachers of Ghana meet in Accra."]
    )
    site.pages["/en/broken/"] = Page(b"oops", status=500, content_type="text/plain")
    site.pages["/media/r.pdf"] = Page(b"%PDF-1.4", content_type="application/pdf")
    site.sitemap_en = ["/en/a/", "/en/broken/"]
    site.sitemap_more = ["/media/r.pdf"]
    return str(stack.enter_context(contextlib.contextmanager(served)(site)).base)
