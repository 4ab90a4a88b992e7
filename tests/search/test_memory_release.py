"""The memory of a generation replaced by a publish is handed back, once, off the request path."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.search import engine as engine_module
from search_service.search.engine import SearchEngine, SearchRequest

EngineFor = Callable[..., SearchEngine]


def test_the_watchers_check_releases_memory_once_after_a_swap(
    engine_for: EngineFor, news: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    releases: list[str] = []
    monkeypatch.setattr(engine_module, "release_freed_memory", lambda: releases.append("x"))
    monkeypatch.setattr(engine_module, "_RELEASE_DELAY", 0.0)
    engine = engine_for(news, reload_interval=0.01)
    engine.search(SearchRequest(q="teachers"))
    engine.refresh()
    assert releases == []  # nothing was replaced yet

    report = build_from_articles(news[:-1], engine.settings.index_dir)
    assert engine.wait_for_generation(str(report.generation))
    engine.search(SearchRequest(q="teachers"))  # a request's check never releases
    assert releases == []
    engine.refresh()
    engine.refresh()
    assert releases == ["x"]


def test_releasing_freed_memory_runs_here() -> None:
    engine_module.release_freed_memory()  # glibc's malloc_trim, or nothing: never fails
    assert engine_module._LIBC is None or hasattr(engine_module._LIBC, "malloc_trim")
