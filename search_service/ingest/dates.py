"""Dates stated by metadata: ISO 8601 dates or date-times (front matter, sidecars, JSONL)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def parse_metadata_date(value: Any) -> dt.date | None:
    """An ISO 8601 date (or date-time) from metadata (an explicit YAML `!!timestamp` too)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
