"""Fixtures of the analytics tests: a real index, the real app with analytics in tmp_path."""

from __future__ import annotations

import datetime as dt
import sqlite3
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from search_service.analytics.report import Report, build_report
from search_service.analytics.store import store_path
from search_service.articles import Article, SourceRef
from search_service.index.build import build_from_articles
from search_service.settings import Settings
from search_service.web.api import create_app

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; plain httpx is what the project declares.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN_TOKEN = "editors-token-0123456789"


def article(article_id: str, title: str, body: str, language: str = "en") -> Article:
    return Article.model_validate(
        {
            "id": article_id,
            "title": title,
            "body": body,
            "language": language,
            "date": dt.date(2020, 5, 4),
            "year": 2020,
            "countries": ("Benin",) if "Benin" in body else (),
            "source": SourceRef(path=f"{article_id}.txt"),
            "checksum": f"checksum-{article_id}",
        }
    )


NEWS = [
    article("health-benin", "Health mutuals in Benin", "Health mutuals grow in Benin."),
    article("health-togo", "Health insurance in Togo", "Teachers get health insurance."),
    article("teachers-union", "Teachers unions meet", "Unions of teachers met in Lomé."),
    article("mutuelle", "La mutuelle des enseignants", "Une mutuelle pour les enseignants.", "fr"),
]


@dataclass
class AnalyticsService:
    """The app under test, its settings, and what the store says."""

    client: TestClient
    settings: Settings
    app: Any

    def flush(self) -> None:
        """Wait until every record queued so far is in the store."""
        recorder = self.app.state.recorder
        assert recorder is not None, "analytics are off"
        assert recorder.writer.flush()

    def report(self, days: int = 30) -> Report:
        self.flush()
        return build_report(self.settings, days)

    def search(self, q: str, **params: Any) -> dict[str, Any]:
        response = self.client.get("/search", params={"q": q, **params})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def click(self, search_id: str, position: int, article_id: str) -> int:
        response = self.client.post(
            "/clicks",
            json={"search_id": search_id, "position": position, "article_id": article_id},
        )
        return int(response.status_code)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.flush()
        with sqlite3.connect(store_path(self.settings.data_dir)) as db:
            return db.execute(sql).fetchall()


def searches_of(report: Report) -> dict[str, int]:
    """Query -> times searched, from the report's top queries."""
    return {row.query: row.searches for row in report.top_queries}


@pytest.fixture
def news_index(tmp_path: Path) -> Path:
    index_dir = tmp_path / "indexes"
    build_from_articles(NEWS, index_dir)
    return index_dir


@pytest.fixture
def service_for(news_index: Path, tmp_path: Path) -> Iterator[Callable[..., AnalyticsService]]:
    """The real app over `NEWS`, its analytics in tmp_path/data (lifespan run: writer on)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> AnalyticsService:
        values: dict[str, Any] = {
            "index_dir": news_index,
            "data_dir": tmp_path / "data",
            "admin_token": ADMIN_TOKEN,
        }
        values.update(overrides)
        settings = Settings(**values)
        app = create_app(settings)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return AnalyticsService(client=client, settings=settings, app=app)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def service(service_for: Callable[..., AnalyticsService]) -> AnalyticsService:
    return service_for()
