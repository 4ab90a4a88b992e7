"""What one search becomes in the store: the normalised query, the filters, and the id."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import string
from pathlib import Path

import pytest

from search_service.analytics.ids import ID_LENGTH, SearchIds, new_key
from search_service.analytics.recorder import (
    MAX_FILTER_CHARS,
    MAX_FILTER_VALUES,
    MAX_QUERY_CHARS,
    Recorder,
    counts,
    normalise_query,
    used_filters,
)
from search_service.analytics.writer import BatchWriter
from search_service.search.results import SearchRequest


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Santé   BÉNIN ", "sante benin"),
        ("Côte d’Ivoire", "cote d'ivoire"),
        ("health\tinsurance\n", "health insurance"),
        ("Straße", "strasse"),
    ],
)
def test_queries_are_folded_trimmed_and_their_spaces_collapsed(typed: str, stored: str) -> None:
    assert normalise_query(typed) == stored


def test_a_long_query_is_capped() -> None:
    pasted = "word " * 100

    stored = normalise_query(pasted)

    assert len(stored) <= MAX_QUERY_CHARS
    assert stored == stored.strip()
    assert stored.startswith("word word")


def test_every_filter_is_recorded_with_its_name() -> None:
    request = SearchRequest(
        q="health",
        country=("Benin", " Togo "),
        partner=("AIM",),
        year=("2019",),
        language=("fr",),
        year_from=2015,
        year_to=2020,
    )

    assert used_filters(request) == (
        ("country", "Benin"),
        ("country", "Togo"),
        ("partner", "AIM"),
        ("year", "2019"),
        ("language", "fr"),
        ("year_from", "2015"),
        ("year_to", "2020"),
    )


def test_filter_values_are_capped_in_length_and_number() -> None:
    request = SearchRequest(country=tuple(f"{n}" + "x" * 300 for n in range(30)))

    kept = used_filters(request)

    assert len(kept) == MAX_FILTER_VALUES
    assert all(len(value) == MAX_FILTER_CHARS for _, value in kept)


@pytest.mark.parametrize(
    ("request_", "counted"),
    [
        (SearchRequest(q="health"), True),
        (SearchRequest(q="", country=("Benin",)), True),
        (SearchRequest(q="health", page=2), False),
        (SearchRequest(q="   "), False),
        (SearchRequest(q="", sort="newest"), False),
    ],
)
def test_only_a_first_page_with_words_or_filters_is_a_search_to_count(
    request_: SearchRequest, counted: bool
) -> None:
    assert counts(request_) is counted


DAY = dt.date(2026, 12, 1)


def test_ids_are_random_and_signed_with_the_store_key() -> None:
    ids = SearchIds(new_key())

    first, second = ids.draw(DAY), ids.draw(DAY)

    assert first != second
    assert len(first) == ID_LENGTH
    assert ids.is_valid(first, DAY)
    assert ids.is_valid(second, DAY)


def test_an_id_not_drawn_with_the_key_is_invalid() -> None:
    ids = SearchIds(new_key())
    other = SearchIds(new_key()).draw(DAY)
    drawn = ids.draw(DAY)
    alphabet = string.ascii_letters + string.digits + "-_"
    # Every other last character, those changing only its unused bits too.
    tampered = [drawn[:-1] + last for last in alphabet if last != drawn[-1]]

    assert not ids.is_valid(other, DAY)
    assert not any(ids.is_valid(text, DAY) for text in tampered)
    assert not ids.is_valid("user-42", DAY)
    assert not ids.is_valid("A" * ID_LENGTH, DAY)


def test_an_id_drawn_by_an_earlier_version_is_still_valid() -> None:
    """Workers of two versions share a store during a deploy: the tag stays the keyed
    BLAKE2b of the nonce and the day, however it is computed."""
    key = new_key()
    nonce = bytes(range(12))
    tag = hashlib.blake2b(nonce + b"2026-12-01", key=key, digest_size=8).digest()
    earlier = base64.urlsafe_b64encode(nonce + tag).decode("ascii")[:ID_LENGTH]

    assert SearchIds(key).is_valid(earlier, DAY)
    assert not SearchIds(key).is_valid(earlier, DAY + dt.timedelta(days=1))


def test_an_id_is_good_on_the_day_it_was_drawn_for_only() -> None:
    ids = SearchIds(new_key())

    drawn = ids.draw(DAY)

    assert ids.is_valid(drawn, DAY)
    assert not ids.is_valid(drawn, DAY + dt.timedelta(days=1))
    assert not ids.is_valid(drawn, DAY - dt.timedelta(days=1))


class Today:
    """A recorder's clock that a test moves on."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


def recorder_on(tmp_path: Path, today: Today) -> Recorder:
    """A recorder whose writer is never started: these tests only draw and check ids."""
    writer = BatchWriter(tmp_path / "analytics.sqlite3", retention_days=90)
    return Recorder(SearchIds(new_key()), writer, today)


def test_a_search_sent_again_the_next_day_counts_under_a_new_id(tmp_path: Path) -> None:
    """An id never joins two days: a results page left open overnight, then searched
    again, is a search of the new day, under an id of its own."""
    today = Today(DAY)
    recorder = recorder_on(tmp_path, today)
    health = SearchRequest(q="health")
    first = recorder.search_id(health, None)
    assert first is not None
    assert recorder.search_id(health, first) == first

    today.day = DAY + dt.timedelta(days=1)
    again = recorder.search_id(health, first)

    assert again is not None and again != first
    assert recorder.ids.is_valid(again, today.day)


def test_a_click_counts_on_its_search_day_and_the_next_only(tmp_path: Path) -> None:
    today = Today(DAY)
    recorder = recorder_on(tmp_path, today)
    drawn = recorder.search_id(SearchRequest(q="health"), None)
    assert drawn is not None

    taken = []
    for days_later in range(3):
        today.day = DAY + dt.timedelta(days=days_later)
        taken.append(recorder.takes_click(drawn))

    assert taken == [True, True, False]
    assert not recorder.takes_click("A" * ID_LENGTH)


def test_the_day_is_the_utc_date_and_turns_at_utc_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from search_service.analytics import recorder
    from search_service.analytics.store import utc_today

    today = utc_today()
    clock = recorder.DayClock()
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
    assert clock() == today

    monkeypatch.setattr(time, "time", lambda: midnight.timestamp())
    monkeypatch.setattr(recorder, "utc_today", lambda: today + dt.timedelta(days=1))

    assert clock() == today + dt.timedelta(days=1)
