"""The engine follows the live generation without a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.search import engine as engine_module
from search_service.search.engine import SearchEngine
from search_service.search.generation import Generation
from search_service.search.results import SearchRequest
from search_service.settings import Settings

MakeArticle = Callable[..., Article]


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_new_generation_is_served_without_restart(
    tmp_path: Path, make_article: MakeArticle
) -> None:
    index_dir = tmp_path / "indexes"
    build_from_articles([make_article("old", "Old news", "Pensions and teachers.")], index_dir)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.05))
    first = engine.search(SearchRequest(q="pensions"))
    assert [hit.id for hit in first.hits] == ["old"]

    articles = [
        make_article("old", "Old news", "Pensions and teachers."),
        make_article("new", "New news", "Pensions again."),
    ]
    build_from_articles(articles, index_dir)

    def sees_new() -> bool:
        return engine.search(SearchRequest(q="pensions")).total == 2

    assert wait_for(sees_new)
    assert engine.generation().name != first.generation


def test_searches_running_during_publishes_never_fail(
    tmp_path: Path, make_article: MakeArticle
) -> None:
    index_dir = tmp_path / "indexes"
    corpus = [make_article(f"a{i}", f"Title {i}", f"Teachers unions {i}") for i in range(20)]
    build_from_articles(corpus, index_dir)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.01, cache_size=0))
    errors: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                totals.append(engine.search(SearchRequest(q="teachers unio")).total)
                engine.suggest("tea")
            except BaseException as error:  # the assertion below reports it
                errors.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for extra in range(1, 4):
        more = [make_article(f"n{extra}-{i}", "More", "Teachers unions") for i in range(extra)]
        build_from_articles(corpus + more, index_dir, keep=1)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert totals and set(totals) <= {20, 21, 22, 23}
    assert wait_for(lambda: engine.search(SearchRequest(q="teachers")).total == 23)


def test_a_new_generation_is_warmed_with_the_latest_searches(
    tmp_path: Path, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "_WARM_SECONDS", 60.0)  # a slow machine warms it too
    index_dir = tmp_path / "indexes"
    build_from_articles([make_article("old", "Old news", "Pensions and teachers.")], index_dir)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.05))
    engine.search(SearchRequest(q="pensions  teachers"))
    first = engine.generation().name
    build_from_articles(
        [make_article("new", "New news", "Pensions again.")], index_dir, allow_shrink=True
    )
    assert wait_for(lambda: engine.generation().name != first)
    warmed = engine.generation()
    assert len(warmed.cache) == 1
    [kept] = warmed.cache.values()
    assert [hit.id for hit in kept.answer(0.0, "").hits] == ["new"]


def test_a_thread_whose_generation_was_pruned_is_answered_by_the_live_one(
    tmp_path: Path, make_article: MakeArticle
) -> None:
    index_dir = tmp_path / "indexes"
    build_from_articles([make_article("old", "Old", "Pensions.")], index_dir, keep=1)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=3600))
    assert engine.search(SearchRequest(q="pensions")).total == 1  # this thread's searcher
    build_from_articles(
        [make_article("old", "Old", "Pensions."), make_article("new", "New", "Pensions.")],
        index_dir,
        keep=1,  # the generation the engine holds is deleted
    )
    outcome: list[object] = []

    def other_thread() -> None:  # no searcher of the old generation yet
        try:
            # Searching needs no searcher (the held generation's view stays mapped)...
            outcome.append(engine.search(SearchRequest(q="pensions", per_page=5)).total)
            # ...reading an article does: it is answered by the generation now live.
            outcome.append(engine.article("new")["id"])
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert outcome == [1, "new"]


class MovesAKeyWhenHashed:
    """A cache key whose hashing lets another thread answer a cached search.

    Copying an `OrderedDict`'s keys hashes each one in Python when it is a
    dataclass, so other threads run in the middle of the copy; this key makes
    that happen at a known moment instead of by chance.
    """

    def __init__(self, generation: Generation, other: object) -> None:
        self.generation, self.other, self.armed = generation, other, False

    def __hash__(self) -> int:
        if self.armed:
            self.armed = False
            hit = threading.Thread(target=self.generation.cached, args=(self.other,))
            hit.start()
            hit.join(timeout=0.5)  # it waits for the cache's lock, if the copy holds it
        return 1


def test_a_search_answered_while_warming_copies_the_cache_does_not_stop_the_publish(
    tmp_path: Path, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache hit during warming's copy of the old cache's keys breaks nothing.

    Seen in the soak: the copy failed ("OrderedDict mutated during iteration"), the
    opening thread died, and that process served the old generation until the next
    publish.
    """
    index_dir = tmp_path / "indexes"
    corpus = [make_article("a", "Title", "Teachers unions")]
    build_from_articles(corpus, index_dir)
    engine = SearchEngine(Settings(index_dir=index_dir, reload_interval=0.01))
    engine.search(SearchRequest(q="teachers"))
    old = engine.generation()
    [searched] = list(old.cache)
    trap = MovesAKeyWhenHashed(old, searched)
    old.remember(trap, "not a search", limit=10)
    # The search is the oldest key: the hit the trap lets through moves it to the end.
    crashed: list[BaseException | None] = []
    monkeypatch.setattr(engine_module, "_WARM_SECONDS", 60.0)  # the trap's wait is not the test
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))

    trap.armed = True
    build_from_articles([*corpus, make_article("new", "New", "Teachers")], index_dir)

    assert wait_for(lambda: engine.generation().name != old.name)
    assert crashed == []
    [warmed] = engine.generation().cache.values()
    assert sorted(hit.id for hit in warmed.answer(0.0, "").hits) == ["a", "new"]
