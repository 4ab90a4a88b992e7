"""A new generation is served without restart, whether requests keep coming or none do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.index.generations import read_pointer
from search_service.web.api import create_app

MakeArticle = Callable[..., Article]


def test_publishing_while_clients_hammer_a_real_server_fails_no_request(
    settings_for: Callable[..., Any],
    make_article: MakeArticle,
    live_server: Callable[..., Any],
) -> None:
    settings = settings_for(reload_interval=0.05, keep_generations=1)
    corpus = [
        make_article(f"a{i}", f"Teachers {i}", f"Teachers unions number {i}") for i in range(30)
    ]
    build_from_articles(corpus, settings.index_dir, keep=1)
    statuses: list[int] = []
    totals: set[int] = set()
    failures: list[str] = []
    stop = threading.Event()

    def hammer(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                for path, params in (
                    ("/search", {"q": "teachers unio", "country": "Benin"}),
                    ("/search", {"q": "teachers"}),
                    ("/suggest", {"q": "tea"}),
                ):
                    try:
                        response = client.get(path, params=params)
                    except httpx.HTTPError as error:
                        failures.append(repr(error))
                        continue
                    statuses.append(response.status_code)
                    if path == "/search" and "country" not in params:
                        totals.add(response.json()["total"])

    with live_server(create_app(settings)) as server:
        threads = [threading.Thread(target=hammer, args=(server.url,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while 30 not in totals and time.monotonic() < deadline:  # served before any publish
            time.sleep(0.02)
        for extra in (1, 2, 3):
            more = [make_article(f"new{extra}-{i}", "Teachers", "Teachers") for i in range(extra)]
            build_from_articles(corpus + more, settings.index_dir, keep=1)
            time.sleep(0.2)
        deadline = time.monotonic() + 60
        while 33 not in totals and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join()
        health = httpx.get(server.url + "/health").json()

    assert failures == []
    assert statuses and set(statuses) == {200}
    assert 30 in totals and 33 in totals
    assert health["articles"] == 33


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_health_shows_a_new_generation_published_while_no_request_came(
    settings_for: Callable[..., Any], make_article: MakeArticle
) -> None:
    settings = settings_for(reload_interval=0.05)
    build_from_articles([make_article("a", "Teachers", "Teachers.")], settings.index_dir)
    app = create_app(settings)
    with TestClient(app) as client:
        first = client.get("/health").json()
        assert first["articles"] == 1
        more = [make_article("a", "Teachers", "Teachers."), make_article("b", "B", "Unions.")]
        build_from_articles(more, settings.index_dir)
        published = read_pointer(settings.index_dir)
        assert published != first["generation"]
        # No request until the service serves it: only the background check can notice.
        assert wait_for(lambda: app.state.engine.served == published)
        health = client.get("/health").json()
    assert health == {"status": "ok", "generation": published, "articles": 2}


def test_the_background_check_runs_while_the_app_runs_and_stops_with_it(
    settings_for: Callable[..., Any], make_article: MakeArticle
) -> None:
    settings = settings_for(reload_interval=0.05)
    build_from_articles([make_article("a", "Teachers", "Teachers.")], settings.index_dir)
    app = create_app(settings)
    assert not app.state.watcher.running
    with TestClient(app):
        assert app.state.watcher.running
    assert not app.state.watcher.running


def test_the_first_generation_is_served_when_published_after_the_start(
    settings_for: Callable[..., Any], make_article: MakeArticle
) -> None:
    settings = settings_for(reload_interval=0.05)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "no_index"
        build_from_articles([make_article("a", "Teachers", "Teachers.")], settings.index_dir)
        assert wait_for(lambda: app.state.engine.served is not None)
        health = client.get("/health").json()
    assert (health["status"], health["articles"]) == ("ok", 1)
