"""`SEARCH_LOG_LEVEL` is checked with the other settings, in any case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from search_service.articles import Article
from search_service.settings import Settings
from search_service.web.api import create_app

ClientFor = Callable[..., Any]


def test_an_unknown_log_level_is_a_settings_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEARCH_LOG_LEVEL", "verbose")
    with pytest.raises(ValidationError) as raised:
        create_app()
    [error] = raised.value.errors()
    assert error["loc"] == ("log_level",)
    assert "'debug', 'info', 'warning', 'error' or 'critical'" in error["msg"]


@pytest.mark.parametrize("written", ["WARNING", "Warning", " warning "])
def test_the_log_level_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
    client_for: ClientFor,
    news: list[Article],
    caplog: pytest.LogCaptureFixture,
    written: str,
) -> None:
    monkeypatch.setenv("SEARCH_LOG_LEVEL", written)
    assert Settings().log_level == "warning"
    client = client_for(news)  # its settings read SEARCH_LOG_LEVEL too
    assert client.app.state.settings.log_level == "warning"
    with caplog.at_level("NOTSET"):
        assert client.get("/health").status_code == 200
    assert not [r for r in caplog.records if r.name == "search_service.web.api"]  # info is off
