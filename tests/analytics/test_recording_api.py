"""Searches answered by the API show up in the report, counted by the documented rule."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import AnalyticsService, searches_of


def test_searches_through_the_api_show_up_in_the_report_with_their_counts(
    service: AnalyticsService,
) -> None:
    for _ in range(3):
        service.search("health")
    service.search("  HEALTH ")  # the same query, normalised
    service.search("teachers")

    report = service.report()

    assert searches_of(report) == {"health": 4, "teachers": 1}
    assert report.searches == 5
    assert report.per_day[-1].searches == 5
    assert report.no_result == 0


def test_a_query_with_no_result_is_listed_as_such(service: AnalyticsService) -> None:
    service.search("zanzibar")
    service.search("zanzibar")
    service.search("health")

    report = service.report()

    assert [(row.query, row.searches, row.no_result) for row in report.no_result_queries] == [
        ("zanzibar", 2, 2)
    ]
    assert report.no_result == 2
    assert report.no_result_rate == round(2 / 3, 4)
    assert report.per_day[-1].no_result == 2
    assert report.help.synonyms_line.startswith("- [zanzibar, ")


def test_typing_is_answered_but_only_the_settled_query_counts(service: AnalyticsService) -> None:
    """The widget's keystrokes (typing=true) never count; the query the visitor settled on
    is sent again under its id, and counts once."""
    for prefix in ("h", "he", "hea", "heal", "healt", "health"):
        answered = service.search(prefix, typing="true")
        assert answered["search_id"]
    settled = answered["search_id"]

    assert service.report().searches == 0

    again = service.search("health", search_id=settled)

    assert again["search_id"] == settled
    assert searches_of(service.report()) == {"health": 1}


def test_a_search_sent_again_under_its_id_counts_once(service: AnalyticsService) -> None:
    first = service.search("health")

    service.search("health", search_id=first["search_id"])
    service.search("health", search_id=first["search_id"])

    assert searches_of(service.report()) == {"health": 1}


def test_an_id_the_service_did_not_draw_is_replaced_by_one_it_draws(
    service: AnalyticsService,
) -> None:
    forged = "A" * 27

    response = service.client.get("/search", params={"q": "health", "search_id": forged})

    assert response.status_code == 200
    drawn = response.json()["search_id"]
    recorder = service.app.state.recorder
    assert drawn != forged and recorder.ids.is_valid(drawn, recorder.clock())
    assert searches_of(service.report()) == {"health": 1}
    assert service.rows("SELECT id FROM searches") == [(drawn,)]


def test_a_malformed_id_is_an_invalid_parameter(service: AnalyticsService) -> None:
    response = service.client.get("/search", params={"q": "health", "search_id": "user 42"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert "search_id" in response.json()["error"]["message"]


def test_suggestions_are_typing_and_never_count(service: AnalyticsService) -> None:
    for prefix in ("he", "hea", "heal"):
        assert service.client.get("/suggest", params={"q": prefix}).status_code == 200

    assert service.report().searches == 0


def test_further_pages_are_not_counted_again(service: AnalyticsService) -> None:
    first = service.search("health", per_page=1)

    second = service.search("health", per_page=1, page=2)

    assert first["search_id"] and second["search_id"] is None
    assert searches_of(service.report()) == {"health": 1}


def test_a_bare_request_with_no_words_nor_filters_is_not_counted(
    service: AnalyticsService,
) -> None:
    bare = service.search("")
    browse = service.search("", country="Benin")

    assert bare["search_id"] is None and browse["search_id"]
    report = service.report()
    assert searches_of(report) == {"": 1}
    assert [(f.filter, f.value, f.searches) for f in report.top_filters] == [
        ("country", "Benin", 1)
    ]


def test_filters_used_are_counted_per_value(service: AnalyticsService) -> None:
    service.client.get("/search", params=[("q", "health"), ("country", "Benin"), ("year", 2020)])
    service.client.get("/search", params=[("q", "mutuelle"), ("country", "Benin")])

    filters = {(f.filter, f.value): f.searches for f in service.report().top_filters}

    assert filters == {("country", "Benin"): 2, ("year", "2020"): 1}


def test_an_opened_result_raises_the_click_through_with_its_position(
    service: AnalyticsService,
) -> None:
    opened = service.search("health")
    service.search("health")
    service.search("teachers")
    first_hit, second_hit = (hit["id"] for hit in opened["hits"][:2])

    assert service.click(opened["search_id"], 2, second_hit) == 204
    assert service.click(opened["search_id"], 1, first_hit) == 204
    report = service.report()

    assert report.with_results == 3
    assert report.opened_searches == 1
    assert report.click_through_rate == round(1 / 3, 4)
    assert report.opened_results == 2
    assert report.mean_position == 1.5
    assert {row.query: row.opened for row in report.top_queries} == {"health": 1, "teachers": 0}
    assert [row.query for row in report.unopened_queries] == ["teachers"]


def test_the_same_result_opened_twice_counts_once(service: AnalyticsService) -> None:
    opened = service.search("health")
    hit = opened["hits"][0]["id"]

    service.click(opened["search_id"], 1, hit)
    service.click(opened["search_id"], 1, hit)

    assert service.report().opened_results == 1


def test_the_off_switch_records_nothing_and_makes_no_store(
    service_for: Callable[..., AnalyticsService],
) -> None:
    off = service_for(analytics=False)

    answered = off.search("health")
    status = off.client.post(
        "/clicks",
        content='{"search_id": "%s", "position": 1, "article_id": "health-benin"}' % ("A" * 27),
        headers={"Content-Type": "text/plain"},
    ).status_code

    assert answered["total"] > 0 and answered["search_id"] is None
    assert status == 204
    assert off.app.state.recorder is None
    assert not (off.settings.data_dir / "analytics.sqlite3").exists()
    assert not off.settings.data_dir.exists()


def test_what_is_queued_is_written_when_the_service_stops(
    service_for: Callable[..., AnalyticsService],
) -> None:
    running = service_for()
    running.search("health")
    running.search("zanzibar")

    running.client.__exit__(None, None, None)  # the app's shutdown, no flush asked for

    assert running.app.state.recorder is None
    with sqlite3.connect(running.settings.data_dir / "analytics.sqlite3") as db:
        stored = sorted(query for (query,) in db.execute("SELECT query FROM searches"))
    assert stored == ["health", "zanzibar"]


def test_a_store_that_cannot_be_made_turns_analytics_off_and_search_goes_on(
    service_for: Callable[..., AnalyticsService],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")

    with caplog.at_level(logging.WARNING, logger="search_service.analytics"):
        service = service_for(data_dir=blocked / "data")
        answered = service.search("health")

    assert answered["total"] > 0 and answered["search_id"] is None
    assert service.app.state.recorder is None
    assert "search analytics off" in caplog.text
    assert str(blocked / "data" / "analytics.sqlite3") in caplog.text


def test_the_search_command_is_not_a_visitor_and_is_not_counted(
    service: AnalyticsService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from search_service.cli import main

    monkeypatch.setenv("SEARCH_DATA_DIR", str(service.settings.data_dir))
    code = main(["search", "health", "--index", str(service.settings.index_dir)])

    assert code == 0
    capsys.readouterr()
    assert service.report().searches == 0
