"""A new generation is served without restart while requests keep succeeding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from search_service.articles import Article
from search_service.index.build import build_from_articles
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
        time.sleep(0.3)
        for extra in (1, 2, 3):
            more = [make_article(f"new{extra}-{i}", "Teachers", "Teachers") for i in range(extra)]
            build_from_articles(corpus + more, settings.index_dir, keep=1)
            time.sleep(0.2)
        deadline = time.monotonic() + 10
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
