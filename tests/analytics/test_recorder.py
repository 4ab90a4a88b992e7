"""What one search becomes in the store: the normalised query, the filters, and the id."""

from __future__ import annotations

import datetime as dt
import string

import pytest

from search_service.analytics.ids import ID_LENGTH, SearchIds, new_key
from search_service.analytics.recorder import (
    MAX_FILTER_CHARS,
    MAX_FILTER_VALUES,
    MAX_QUERY_CHARS,
    counts,
    normalise_query,
    used_filters,
)
from search_service.search.engine import SearchRequest


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


def test_ids_are_random_and_signed_with_the_store_key() -> None:
    ids = SearchIds(new_key())

    first, second = ids.draw(), ids.draw()

    assert first != second
    assert len(first) == ID_LENGTH
    assert ids.is_valid(first)
    assert ids.is_valid(second)


def test_an_id_not_drawn_with_the_key_is_invalid() -> None:
    ids = SearchIds(new_key())
    other = SearchIds(new_key()).draw()
    drawn = ids.draw()
    alphabet = string.ascii_letters + string.digits + "-_"
    # Every other last character, those changing only its unused bits too.
    tampered = [drawn[:-1] + last for last in alphabet if last != drawn[-1]]

    assert not ids.is_valid(other)
    assert not any(ids.is_valid(text) for text in tampered)
    assert not ids.is_valid("user-42")
    assert not ids.is_valid("A" * ID_LENGTH)


def test_the_day_is_the_utc_date_and_turns_at_utc_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    from search_service.analytics import recorder

    today = recorder.utc_today()
    clock = recorder.DayClock()
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
    assert clock() == today

    monkeypatch.setattr(recorder.time, "time", lambda: midnight.timestamp())
    monkeypatch.setattr(recorder, "utc_today", lambda: today + dt.timedelta(days=1))

    assert clock() == today + dt.timedelta(days=1)
