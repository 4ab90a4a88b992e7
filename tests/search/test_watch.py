"""The background watcher: a publish is served without any search asking for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.index.generations import read_pointer
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest
from search_service.search.watch import GenerationWatcher
from search_service.settings import Settings

MakeArticle = Callable[..., Article]


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Poll without searching (a search would itself look at the pointer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "indexes"


@pytest.fixture
def watched(index_dir: Path) -> Iterator[tuple[SearchEngine, GenerationWatcher]]:
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.05))
    watcher = GenerationWatcher(engine)
    watcher.start()
    yield engine, watcher
    watcher.stop()


def test_a_publish_is_served_with_no_search_in_between(
    watched: tuple[SearchEngine, GenerationWatcher], index_dir: Path, make_article: MakeArticle
) -> None:
    engine, _ = watched
    build_from_articles([make_article("old", "Old", "Pensions.")], index_dir)
    first = read_pointer(index_dir)
    assert wait_for(lambda: engine.served == first)  # the very first one too
    build_from_articles(
        [make_article("old", "Old", "Pensions."), make_article("new", "New", "Pensions.")],
        index_dir,
    )
    second = read_pointer(index_dir)
    assert second != first
    assert wait_for(lambda: engine.served == second)
    assert engine.search(SearchRequest(q="pensions")).total == 2


def test_without_the_watcher_an_idle_engine_keeps_the_old_generation(
    index_dir: Path, make_article: MakeArticle
) -> None:
    """What the watcher is for: the engine itself only looks when asked."""
    build_from_articles([make_article("old", "Old", "Pensions.")], index_dir)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.01))
    first = engine.generation().name
    build_from_articles([make_article("new", "New", "Pensions.")], index_dir, allow_shrink=True)
    time.sleep(0.3)
    assert engine.served == first


def test_a_damaged_pointer_does_not_stop_the_watcher(
    watched: tuple[SearchEngine, GenerationWatcher], index_dir: Path, make_article: MakeArticle
) -> None:
    engine, watcher = watched
    pointer = index_dir / "live.json"
    build_from_articles([make_article("a", "A", "Pensions.")], index_dir)
    first, first_pointer = read_pointer(index_dir), pointer.read_bytes()
    assert wait_for(lambda: engine.served == first)
    build_from_articles([make_article("b", "B", "Pensions.")], index_dir, allow_shrink=True)
    second = read_pointer(index_dir)
    assert wait_for(lambda: engine.served == second)
    pointer.write_text("{not json", encoding="utf-8")
    time.sleep(watcher.interval * 4)
    assert watcher.running and engine.served == second
    pointer.write_bytes(first_pointer)  # repaired, as a rollback would
    assert wait_for(lambda: engine.served == first)


def test_stopping_ends_the_thread(index_dir: Path) -> None:
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.05))
    watcher = GenerationWatcher(engine)
    watcher.start()
    assert "generation-watcher" in {thread.name for thread in threading.enumerate()}
    watcher.stop()
    assert not watcher.running
