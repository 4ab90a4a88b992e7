"""Fixtures of the API tests: real indexes in tmp_path, the real app, a real uvicorn."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import uvicorn
from fastapi import FastAPI

from search_service.articles import Article, Language, SourceRef
from search_service.index.build import build_from_articles
from search_service.settings import Settings
from search_service.web.api import create_app

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; plain httpx is what the project declares.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MakeArticle = Callable[..., Article]
ClientFor = Callable[..., TestClient]


def article(
    article_id: str,
    title: str,
    body: str,
    language: Language = "en",
    date: str | None = None,
    countries: Sequence[str] = (),
    partners: Sequence[str] = (),
    url: str | None = None,
) -> Article:
    when = dt.date.fromisoformat(date) if date else None
    return Article(
        id=article_id,
        title=title,
        body=body,
        language=language,
        date=when,
        year=when.year if when else None,
        countries=tuple(countries),
        partners=tuple(partners),
        url=url,
        source=SourceRef(path=f"articles/{article_id}.txt"),
        checksum=str(hash((article_id, title, body, language, date, tuple(countries)))),
    )


@pytest.fixture
def make_article() -> MakeArticle:
    return article


@pytest.fixture
def settings_for(tmp_path: Path, shipped_corpus: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"index_dir": tmp_path / "indexes", "corpus_dir": shipped_corpus}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def client_for(settings_for: Callable[..., Settings]) -> Iterator[ClientFor]:
    """Build `articles` into a fresh index and return a TestClient over the real app."""
    clients: list[TestClient] = []

    def make(articles: Sequence[Article], **overrides: Any) -> TestClient:
        settings = settings_for(**overrides)
        build_from_articles(articles, settings.index_dir)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def news() -> list[Article]:
    return news_articles()


def news_articles() -> list[Article]:
    """Three articles (two in English, one French): for module-scoped fixtures too."""
    make_article = article
    return [
        make_article(
            "en/health",
            "Health insurance for teachers",
            "Teachers in Senegal join a mutual health insurance scheme.",
            "en",
            "2018-01-20",
            countries=("Senegal",),
            partners=("ILO",),
            url="https://example.org/health",
        ),
        make_article(
            "fr-mutuelle",
            "La mutuelle des enseignants",
            "Une mutuelle de santé pour les enseignants du Bénin et du Togo.",
            "fr",
            "2019-03-01",
            countries=("Benin", "Togo"),
        ),
        make_article(
            "en-script",
            "A <b>hostile</b> article",
            "Beware <script>alert('x')</script> of teachers & unions.",
            "en",
            "2016-05-05",
            url="javascript:alert(1)",
        ),
    ]


class LiveServer:
    """The app under a real uvicorn in a thread, on a free loopback port (bound here and
    handed to uvicorn: no other process can take the port in between)."""

    def __init__(self, app: FastAPI, **options: Any) -> None:
        """`options`: more of uvicorn's `Config` (`http=` a protocol class, timeouts)."""
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def live_server() -> Callable[..., LiveServer]:
    return LiveServer


class RawResponse(NamedTuple):
    status: int
    head: bytes  # the status line and the headers
    body: bytes


def raw_request(port: int, request_line: bytes) -> RawResponse:
    """`METHOD target` written byte for byte (no client library re-encodes the target),
    with `Connection: close`; what the server sent until it closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_line + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return RawResponse(int(head.split(b" ", 2)[1]), head, body)
