"""`search-service search` and the first-run build of `serve`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from search_service.articles import Article
from search_service.cli import main
from search_service.errors import DamagedPointerError
from search_service.index.build import build_from_articles
from search_service.index.generations import read_pointer
from search_service.settings import Settings
from search_service.web.server import ensure_index, run_search


def test_serve_builds_an_index_first_when_none_is_published(
    tmp_path: Path, shipped_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(index_dir=tmp_path / "indexes", corpus_dir=shipped_corpus)
    assert read_pointer(settings.index_dir) is None
    ensure_index(settings)
    assert read_pointer(settings.index_dir) is not None
    assert "building one from" in capsys.readouterr().out
    first = read_pointer(settings.index_dir)
    ensure_index(settings)  # already published: nothing rebuilt
    assert read_pointer(settings.index_dir) == first


def test_search_command_prints_ranked_results(
    settings_for: Callable[..., Settings],
    news: list[Article],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    assert run_search(settings, "teachers", limit=5, as_json=False) == 0
    out = capsys.readouterr().out
    # the shipped synonyms.yaml has [teacher, enseignant, docente]: "enseignants" counts
    assert out.startswith("3 results for 'teachers'")
    assert "Health insurance for teachers  [en/health, en, 2018-01-20]" in out
    assert "[Teachers]" in out


def test_search_command_prints_the_notice_of_a_query_without_words(
    settings_for: Callable[..., Settings],
    news: list[Article],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    assert run_search(settings, "★ ★", limit=5, as_json=False) == 1
    out = capsys.readouterr().out
    assert out.startswith("0 results for '★ ★'")
    assert "note: the query holds no word to search for" in out


def test_search_command_json_and_exit_status(
    settings_for: Callable[..., Settings],
    news: list[Article],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    assert main(["search", "teachers", "--index", str(settings.index_dir), "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert data["total"] == 3  # "La mutuelle des enseignants" through the shipped synonyms
    assert {hit["id"] for hit in data["hits"]} == {"en/health", "en-script", "fr-mutuelle"}
    assert main(["search", "zzzzqqq", "--index", str(settings.index_dir)]) == 1


def test_search_command_without_an_index_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "teachers", "--index", str(tmp_path / "none")]) == 4
    assert "no index" in capsys.readouterr().err


def test_serve_refuses_a_damaged_pointer_instead_of_building_a_first_index(
    tmp_path: Path,
    shipped_corpus: Path,
    news: list[Article],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(index_dir=tmp_path / "indexes", corpus_dir=shipped_corpus)
    build_from_articles(news, settings.index_dir)
    (settings.index_dir / "live.json").write_text('{"live": "gen-x')
    before = sorted(path.name for path in settings.index_dir.iterdir())

    with pytest.raises(DamagedPointerError, match="index rollback"):
        ensure_index(settings)
    code = main(["serve", "--index", str(settings.index_dir), "--corpus", str(shipped_corpus)])

    assert code == 7
    out, err = capsys.readouterr()
    assert "building one" not in out
    assert "is damaged" in err and "`search-service index rollback`" in err
    assert sorted(path.name for path in settings.index_dir.iterdir()) == before


def test_search_command_on_a_damaged_pointer_exits_7_saying_how_to_repair_it(
    settings_for: Callable[..., Settings],
    news: list[Article],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    (settings.index_dir / "live.json").write_text('{"live": "gen-x')

    assert main(["search", "teachers", "--index", str(settings.index_dir)]) == 7
    err = capsys.readouterr().err
    assert "is damaged" in err and "`search-service index rollback`" in err
