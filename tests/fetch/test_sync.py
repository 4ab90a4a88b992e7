"""`search-service sync`: fetch, then an incremental build, with one exit code for a timer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.cli import main
from search_service.index import generations

from .conftest import EN_BURUNDI
from .site import FixtureSite, Page, SiteServer


@pytest.fixture
def corpus_with_an_article(corpus: Path) -> Path:
    (corpus / "articles").mkdir()
    (corpus / "articles" / "note.md").write_text(
        "---\ntitle: Annual meeting in Lomé\ndate: 2024-01-30\nlanguage: en\n---\n"
        "The members met in Lomé to vote the budget of the network.\n",
        encoding="utf-8",
    )
    return corpus


def sync(corpus: Path, index: Path, *args: str) -> int:
    return main(["sync", "--corpus", str(corpus), "--index", str(index), "--delay", "0", *args])


def test_sync_fetches_then_builds_and_publishes(
    corpus_with_an_article: Path,
    server: SiteServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = tmp_path / "indexes"

    code = sync(corpus_with_an_article, index, server.base + "/sitemap.xml")

    out = capsys.readouterr().out
    assert code == 0
    assert "  pages: new 5, changed 0, unchanged 0, removed 0, failed 0, skipped 2" in out
    assert "published gen-" in out
    assert generations.live_generation(index) is not None


def test_sync_exits_1_when_some_pages_failed_and_still_builds(
    corpus_with_an_article: Path,
    server: SiteServer,
    site: FixtureSite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site.pages[EN_BURUNDI] = Page(b"oops", status=503, content_type="text/plain")
    index = tmp_path / "indexes"

    code = sync(corpus_with_an_article, index, server.base + "/sitemap.xml", "--json")

    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(result) == {"fetch", "build"}
    assert result["fetch"]["counts"]["failed"] == 1
    assert result["fetch"]["exit_code"] == 1
    assert result["build"]["published"] is not None
    assert set(result["build"]) == {
        "published",
        "up_to_date",
        "previous",
        "full",
        "articles",
        "added",
        "updated",
        "deleted",
        "unchanged",
        "view_outdated",
        "skipped",
        "seconds",
    }
    assert generations.live_generation(index) is not None


def test_sync_that_reads_no_source_exits_12_and_leaves_the_index_alone(
    corpus_with_an_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "indexes"
    assert (
        main(["index", "build", "--corpus", str(corpus_with_an_article), "--index", str(index)])
        == 0
    )
    live = generations.read_pointer(index)
    capsys.readouterr()

    code = sync(corpus_with_an_article, index, "http://127.0.0.1:9/sitemap.xml", "--timeout", "2")

    err = capsys.readouterr().err
    assert code == 12
    assert "nothing fetched: no source could be read" in err
    assert "the index was not rebuilt" in err
    assert generations.read_pointer(index) == live


def test_sync_with_a_bad_sources_file_exits_12(
    corpus_with_an_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus_with_an_article / "sources.yaml").write_text("sources: [", encoding="utf-8")

    code = sync(corpus_with_an_article, tmp_path / "indexes")

    assert code == 12
    assert "is not valid YAML" in capsys.readouterr().err
    assert not (tmp_path / "indexes").exists()


def test_sync_lets_a_failed_build_exit_with_the_builds_code(
    corpus: Path, server: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "vocabulary").mkdir()
    (corpus / "vocabulary" / "countries.yaml").write_text("[not, a, mapping", encoding="utf-8")

    code = sync(corpus, tmp_path / "indexes", server.base + "/sitemap.xml")

    assert code == 6  # a bad vocabulary file, as for `index build`
    assert "countries.yaml" in capsys.readouterr().err
