"""The searches `serve --workers N` serves in its supervisor before forking the workers
(`web.warm_up`): through the real app, on a real index, leaving nothing open."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.index import vocabulary_snapshot
from search_service.index.build import build_index
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest, SearchResult
from search_service.settings import Settings
from search_service.web import warm_up as warm_up_module
from search_service.web.api import create_app
from search_service.web.warm_up import title_words, visitor_paths, warm_up


@pytest.fixture
def built(tmp_path: Path, shipped_corpus: Path) -> Settings:
    """The shipped corpus built into a fresh index (its vocabulary kept in the generation)."""
    settings = Settings(index_dir=tmp_path / "indexes", corpus_dir=shipped_corpus)
    build_index(shipped_corpus, settings.index_dir)
    return settings


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SearchRequest]]:
    """The requests any engine is asked to search."""
    asked: list[SearchRequest] = []
    search = SearchEngine.search

    def recorded(engine: SearchEngine, request: SearchRequest) -> SearchResult:
        asked.append(request)
        return search(engine, request)

    monkeypatch.setattr(SearchEngine, "search", recorded)
    yield asked


def _open_in(folder: Path) -> list[str]:
    """Files of `folder` this process holds open or mapped."""
    inside = str(folder.resolve())
    held = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own, say)
            held.append(os.readlink(f"/proc/self/fd/{fd}"))
    with open("/proc/self/maps", encoding="utf-8") as maps:
        held += [line.split()[-1] for line in maps if inside in line]
    return [path for path in held if path.startswith(inside)]


def test_the_warm_up_searches_the_newest_titles_words_as_the_widget_would(
    built: Settings, searched: list[SearchRequest]
) -> None:
    app = create_app(built)

    warm_up(app)

    browse, *searches = searched
    assert browse.q == ""
    assert len(searches) == 5  # /suggest is not a search
    words = searches[0].q
    assert {request.q for request in searches} >= {words, f'"{searches[1].q}"'}
    assert any(
        request.sort == "newest" and any(request.selections().values()) for request in searches
    )
    assert any(request.page == 2 for request in searches)


def test_the_warm_up_leaves_no_file_of_the_index_open_or_mapped(built: Settings) -> None:
    """A supervisor holding a generation would keep its files mapped after a newer one
    replaced it: only the throwaway engine opened it, and it is gone."""
    app = create_app(built)
    engine = app.state.engine

    warm_up(app)

    assert _open_in(built.index_dir) == []
    assert app.state.engine is engine and engine._current is None


def test_the_warm_up_builds_what_the_first_request_builds_once(built: Settings) -> None:
    """The middleware stack and the generation's vocabulary, shared by the workers forked
    next instead of built by each."""
    vocabulary_snapshot.forget_loaded()
    app = create_app(built)
    assert app.middleware_stack is None

    warm_up(app)

    assert app.middleware_stack is not None
    assert vocabulary_snapshot._last_loaded is not None


def test_the_warm_up_logs_nothing_and_leaves_logging_as_it_was(
    built: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(built)

    with caplog.at_level(logging.DEBUG, logger="search_service"):
        warm_up(app)

    assert [record.getMessage() for record in caplog.records] == []
    assert logging.root.manager.disable == logging.NOTSET


@pytest.mark.parametrize(
    "prepare", [lambda index: None, lambda index: index.mkdir()], ids=["no folder", "empty"]
)
def test_the_warm_up_without_a_published_index_stops_quietly(
    tmp_path: Path,
    shipped_corpus: Path,
    searched: list[SearchRequest],
    prepare: Callable[[Path], None],
) -> None:
    index = tmp_path / "indexes"
    prepare(index)
    app = create_app(Settings(index_dir=index, corpus_dir=shipped_corpus))

    warm_up(app)

    assert [request.q for request in searched] == [""]
    assert logging.root.manager.disable == logging.NOTSET


def test_a_warm_up_that_fails_costs_nothing_but_itself(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(built)
    engine = app.state.engine

    def broken(hits: list[dict[str, Any]]) -> list[str]:
        raise RuntimeError("a bug in the warm-up")

    monkeypatch.setattr(warm_up_module, "title_words", broken)

    warm_up(app)  # nothing escapes

    gc.collect()  # what the supervisor does before it forks
    assert app.state.engine is engine
    assert logging.root.manager.disable == logging.NOTSET
    assert _open_in(built.index_dir) == []


def test_the_warm_up_never_looks_for_a_newer_generation(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer one would be opened on a thread of its own, which the fork could leave
    half-done in every worker, its files mapped."""
    looked: list[str] = []
    read_pointer = SearchEngine._read_pointer_while_serving

    def recorded(engine: SearchEngine, current: Any) -> str | None:
        looked.append(current.name)
        return read_pointer(engine, current)

    monkeypatch.setattr(SearchEngine, "_read_pointer_while_serving", recorded)
    app = create_app(built.model_copy(update={"reload_interval": 1e-9}))

    warm_up(app)

    assert looked == []


def test_the_title_words_are_its_two_longest_words_of_letters() -> None:
    hits = [{"title": "Teachers' unions meet in Côte d'Ivoire (2024)"}, {"title": "Other"}]

    assert title_words(hits) == ["Teachers", "unions"]
    assert title_words([{"title": "A 2024 UN-EU"}]) == []
    assert title_words([]) == []


def test_the_visitor_paths_cover_a_filter_a_phrase_a_page_a_prefix_and_a_typo() -> None:
    facets = {"country": [], "partner": [{"value": "ESN", "count": 2}]}

    paths = visitor_paths(["teachers", "unions"], facets)

    assert paths == [
        "/search?q=teachers",
        "/search?q=teachers+unions&sort=newest&partner=ESN",
        "/search?q=%22teachers+unions%22",
        "/search?q=teachers&page=2",
        "/suggest?q=tea",
        "/search?q=teachesr",
    ]
