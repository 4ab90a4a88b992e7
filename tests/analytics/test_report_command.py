"""`search-service report [--days N] [--json]`: tables on a terminal, JSON for scripts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from search_service.analytics.store import AnalyticsStore, SearchRecord, store_path, utc_today
from search_service.cli import EXIT_CODES, main

from .conftest import AnalyticsService


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["report", "--json", *args]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


@pytest.fixture
def recorded(service: AnalyticsService, monkeypatch: pytest.MonkeyPatch) -> AnalyticsService:
    """Searches made through the API, the command pointed at the same store."""
    found = service.search("health")
    service.search("health")
    service.search("zanzibar")
    service.click(found["search_id"], 1, found["hits"][0]["id"])
    service.flush()
    monkeypatch.setenv("SEARCH_DATA_DIR", str(service.settings.data_dir))
    return service


def test_the_json_report_has_the_figures_of_the_searches_made(
    recorded: AnalyticsService, capsys: pytest.CaptureFixture[str]
) -> None:
    report = report_json(capsys)

    assert report["searches"] == 3
    assert report["no_result"] == 1
    assert report["click_through_rate"] == 0.5
    assert report["mean_position"] == 1.0
    assert report["top_queries"] == [
        {"query": "health", "searches": 2, "no_result": 0, "opened": 1},
        {"query": "zanzibar", "searches": 1, "no_result": 1, "opened": 0},
    ]
    assert report["no_result_queries"] == [
        {"query": "zanzibar", "searches": 1, "no_result": 1, "opened": 0}
    ]
    assert report["unopened_queries"] == []
    per_day = report["per_day"]
    assert isinstance(per_day, list) and len(per_day) == 30
    assert per_day[-1] == {"day": utc_today().isoformat(), "searches": 3, "no_result": 1}


def test_the_text_report_shows_the_tables_and_what_helps_a_query_without_result(
    recorded: AnalyticsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--days", "7"]) == 0
    out = capsys.readouterr().out

    for title in (
        "Searches per day",
        "Top queries",
        "Queries with no result",
        "Queries with results never opened",
        "Top filters",
    ):
        assert title in out
    assert "3 searches, 1 with no result (33.3 %)" in out
    assert "click-through 50.0 %" in out
    assert "zanzibar" in out
    assert "synonyms.yaml" in out
    assert "- [zanzibar, " in out
    assert "search-service index build" in out


def test_days_limit_the_period_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    today = utc_today()
    with AnalyticsStore.open(store_path(tmp_path)) as store:
        store.write(
            [
                SearchRecord("today", today, "health", (), 2),
                SearchRecord("last-week", today - dt.timedelta(days=6), "health", (), 2),
                SearchRecord("last-month", today - dt.timedelta(days=20), "health", (), 2),
            ]
        )
    monkeypatch.setenv("SEARCH_DATA_DIR", str(tmp_path))

    assert report_json(capsys, "--days", "1")["searches"] == 1
    assert report_json(capsys, "--days", "7")["searches"] == 2
    assert report_json(capsys, "--days", "30")["searches"] == 3


def test_rows_past_the_retention_are_deleted_by_the_report_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store.write([SearchRecord("old", utc_today() - dt.timedelta(days=40), "x", (), 1)])
    monkeypatch.setenv("SEARCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEARCH_ANALYTICS_DAYS", "30")

    assert report_json(capsys, "--days", "365")["searches"] == 0


def test_without_a_store_the_report_says_nothing_was_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEARCH_DATA_DIR", str(tmp_path / "none"))

    assert main(["report"]) == 0

    out = capsys.readouterr().out
    assert "Nothing recorded yet" in out
    assert str(tmp_path / "none" / "analytics.sqlite3") in out
    assert not (tmp_path / "none").exists()


def test_a_damaged_store_exits_with_its_own_code_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path(tmp_path).write_bytes(b"not a database " * 200)
    monkeypatch.setenv("SEARCH_DATA_DIR", str(tmp_path))

    code = main(["report"])

    assert code == EXIT_CODES["bad_analytics_store"].code == 15
    assert str(store_path(tmp_path)) in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "-3", "many"])
def test_a_wrong_number_of_days_is_a_usage_error(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--days", days])

    assert exit_info.value.code == 2
    assert "--days" in capsys.readouterr().err


def test_the_help_names_the_synonyms_file_of_the_corpus_in_full(
    recorded: AnalyticsService, capsys: pytest.CaptureFixture[str], shipped_corpus: Path
) -> None:
    help = report_json(capsys, "--corpus", str(shipped_corpus))["help"]

    assert isinstance(help, dict)
    assert help["synonyms_file"] == str(shipped_corpus / "vocabulary" / "synonyms.yaml")
    assert help["vocabulary_note"] is None
    assert help["synonyms_line"] == "- [zanzibar, a word the articles use]"
    assert help["organisations_command"] == (
        f"search-service corpus organisations --corpus {shipped_corpus}"
    )


def test_the_help_says_to_copy_the_vocabulary_first_when_the_corpus_has_none(
    recorded: AnalyticsService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    help = report_json(capsys, "--corpus", str(tmp_path / "bare"))["help"]

    assert isinstance(help, dict)
    assert "has no vocabulary folder" in str(help["vocabulary_note"])
    assert "copy the shipped one" in str(help["vocabulary_note"])
