"""The memory of a generation replaced by a publish is handed back, once, off the request path."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.search import engine as engine_module
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest

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


def test_the_watcher_trims_the_heap_now_and_then_while_requests_come(
    engine_for: EngineFor, news: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    trims: list[str] = []
    monkeypatch.setattr(engine_module, "trim_freed_heap", lambda: trims.append("x"))
    monkeypatch.setattr(engine_module, "TRIM_EVERY", 0.0)
    engine = engine_for(news, reload_interval=0.01)
    engine.refresh()
    assert trims == []  # no request yet: an idle worker is left alone

    engine.search(SearchRequest(q="teachers"))
    engine.refresh()
    engine.refresh()
    assert trims == ["x"]  # once per request burst, on the watcher's check

    engine.suggest("tea")
    engine.refresh()
    assert trims == ["x", "x"]


def _anonymous_mib() -> float:
    with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no Anonymous line")


@pytest.mark.skipif(
    engine_module._LIBC is None or not hasattr(engine_module._LIBC, "malloc_trim"),
    reason="glibc only",
)
def test_trimming_hands_freed_heap_pages_back_to_the_system() -> None:
    """Small blocks freed below a block still in use stay in the heap until trimmed."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(25_000)]  # about 100 MiB, under the pin
    pin = libc.malloc(4096)
    for block in blocks:
        libc.memset(ctypes.c_void_p(block), 1, 4096)  # touched: really resident
    filled = _anonymous_mib()
    for block in blocks:
        libc.free(block)
    kept = _anonymous_mib()

    engine_module.trim_freed_heap()

    trimmed = _anonymous_mib()
    libc.free(pin)
    assert kept > filled - 20  # glibc kept the freed pages
    assert trimmed < kept - 60  # and the trim handed most of them back
