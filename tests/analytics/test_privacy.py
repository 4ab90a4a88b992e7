"""Nothing that identifies a person reaches the store.

Requests come through a real uvicorn that trusts `X-Forwarded-For` (as behind a
proxy), with a known client address, user agent, cookie, referrer and language;
then every table, every value, and the raw bytes of the SQLite file and its WAL
are searched for them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from search_service.analytics.store import store_path
from search_service.settings import Settings
from search_service.web.api import create_app
from search_service.web.server import uvicorn_options

CLIENT_ADDRESS = "203.0.113.77"
VISITOR = {
    "X-Forwarded-For": CLIENT_ADDRESS,
    "X-Real-IP": CLIENT_ADDRESS,
    "User-Agent": "PrivacyProbe/1.0 (unique-agent-7731)",
    "Cookie": "visitor=cookie-value-5521",
    "Referer": "https://esn.example/private-page-9931",
    "Accept-Language": "x-privacy-lang-4417",
}
NEEDLES = [
    CLIENT_ADDRESS,
    "127.0.0.1",
    "unique-agent-7731",
    "PrivacyProbe",
    "cookie-value-5521",
    "private-page-9931",
    "x-privacy-lang-4417",
]
#: The store's tables and columns: adding one must be a deliberate, documented change.
STORED_COLUMNS = {
    "meta": ["name", "value"],
    "searches": ["id", "day", "query", "results"],
    "search_filters": ["search_id", "name", "value", "day"],
    "clicks": ["search_id", "position", "article_id", "day"],
}


class ProxiedServer:
    """The app under a real uvicorn with `serve`'s options (its HTTP layer too), trusting
    X-Forwarded-For from any proxy, so the client address is the visitor's."""

    def __init__(self, app: Any, settings: Settings) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, **uvicorn_options(settings))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def visited_store(news_index: Path, tmp_path: Path) -> Iterator[Path]:
    """A store after searches and an opened result from one identifiable visitor."""
    settings = Settings(
        index_dir=news_index,
        data_dir=tmp_path / "data",
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="*",
    )
    app = create_app(settings)
    with (
        ProxiedServer(app, settings) as base,
        httpx.Client(base_url=base, headers=VISITOR) as client,
    ):
        found = client.get("/search", params={"q": "health", "country": "Benin"}).json()
        client.get("/search", params={"q": "zanzibar"})
        client.get("/search", params={"q": "teach", "typing": "true"})
        opened = client.post(
            "/clicks",
            content=json.dumps(
                {
                    "search_id": found["search_id"],
                    "position": 1,
                    "article_id": found["hits"][0]["id"],
                }
            ),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        assert opened.status_code == 204
        assert app.state.recorder.writer.flush()
        yield store_path(settings.data_dir)


def test_the_store_holds_no_address_agent_cookie_referrer_or_language(visited_store: Path) -> None:
    with sqlite3.connect(visited_store) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        values = [
            str(value)
            for table in tables
            if not table.startswith("sqlite_")
            for row in db.execute(f'SELECT * FROM "{table}"')
            for value in row
        ]
    assert values, "the visitor's searches were not recorded at all"
    raw = b"".join(
        path.read_bytes()
        for path in visited_store.parent.iterdir()
        if path.name.startswith(visited_store.name)  # the file, its -wal and -shm
    )

    for needle in NEEDLES:
        assert not [value for value in values if needle in value], needle
        assert needle.encode() not in raw, needle


def test_the_store_keeps_only_the_documented_columns(visited_store: Path) -> None:
    with sqlite3.connect(visited_store) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        columns = {
            table: [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            for table in tables
        }

    assert columns == STORED_COLUMNS


def test_a_search_is_filed_under_its_day_only(visited_store: Path) -> None:
    with sqlite3.connect(visited_store) as db:
        days = {
            day
            for (day,) in db.execute(
                "SELECT day FROM searches UNION SELECT day FROM search_filters "
                "UNION SELECT day FROM clicks"
            )
        }

    assert len(days) == 1
    assert len(next(iter(days))) == len("2026-12-01")  # a date, no time
