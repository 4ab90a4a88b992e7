"""What a fetch run did, page by page: the closing report (text) and its `--json` shape."""

from __future__ import annotations

import collections
import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from search_service.wording import counted

Outcome = Literal["new", "changed", "unchanged", "removed", "failed", "skipped"]
OUTCOMES: Final[tuple[Outcome, ...]] = typing.get_args(Outcome)
#: New and changed pages listed one by one in the text report (`--json` lists all).
LISTED_IN_TEXT: Final = 20
#: Examples shown for each reason pages were skipped.
EXAMPLES: Final = 3


@dataclass(frozen=True)
class PageEvent:
    """One page's outcome: its URL, why (for removed, failed, skipped), and its file."""

    url: str
    reason: str | None = None
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SourceSummary:
    url: str
    kind: str | None
    pages: int
    sitemaps: int
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FetchReport:
    corpus: Path
    sources: list[SourceSummary] = field(default_factory=list)
    events: dict[Outcome, list[PageEvent]] = field(
        default_factory=lambda: {outcome: [] for outcome in OUTCOMES}
    )
    not_requested: int = 0
    """Unchanged pages not asked for at all: their sitemap lastmod is older than our copy."""
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def add(
        self, outcome: Outcome, url: str, reason: str | None = None, path: str | None = None
    ) -> None:
        self.events[outcome].append(PageEvent(url, reason, path))

    def count(self, outcome: Outcome) -> int:
        return len(self.events[outcome])

    @property
    def usable(self) -> bool:
        """At least one source was read: the run knew which pages to fetch."""
        return any(source.kind is not None for source in self.sources)

    @property
    def source_errors(self) -> list[str]:
        return [error for source in self.sources for error in source.errors]

    @property
    def exit_status(self) -> int:
        """0: every page fetched and every source read; 1: some failed (see `failed`)."""
        return 1 if self.events["failed"] or self.source_errors else 0

    def as_dict(self) -> dict[str, Any]:
        from search_service.cli import EXIT_CODES  # the one table of exit codes

        return {
            "corpus": str(self.corpus),
            "exit_code": self.exit_status if self.usable else EXIT_CODES["fetch_failed"].code,
            "counts": {outcome: self.count(outcome) for outcome in OUTCOMES},
            "not_requested": self.not_requested,
            "requests": self.requests,
            "bytes_received": self.bytes_received,
            "seconds": round(self.seconds, 3),
            "sources": [source.as_dict() for source in self.sources],
            **{
                outcome: [event.as_dict() for event in self.events[outcome]] for outcome in OUTCOMES
            },
            "warnings": self.warnings,
        }

    def lines(self) -> list[str]:
        """The closing report of `corpus fetch`, for a person or a log."""
        lines = [f"fetch into {self.corpus}"]
        for source in self.sources:
            what = f"{source.kind}, {counted(source.pages, 'page')}" if source.kind else "not read"
            if source.sitemaps > 1:
                what += f" from {source.sitemaps} sitemaps"
            lines.append(f"  source {source.url}: {what}")
            lines += [f"    error {error}" for error in source.errors]
        counts = ", ".join(f"{outcome} {self.count(outcome)}" for outcome in OUTCOMES)
        lines.append(f"  pages: {counts}")
        lines.append(
            f"  {counted(self.requests, 'request')}, {_size(self.bytes_received)} received, "
            f"{self.seconds:.1f}s; {counted(self.not_requested, 'unchanged page')} not asked for "
            "(older than our copy by their sitemap date)"
        )
        lines += self._listed("new") + self._listed("changed")
        explained: tuple[Outcome, ...] = ("removed", "failed")
        for outcome in explained:
            lines += [f"  {outcome} {e.url}: {e.reason}" for e in self.events[outcome]]
        lines += self._skipped_by_reason()
        lines += [f"  warning {warning}" for warning in self.warnings]
        return lines

    def _listed(self, outcome: Outcome) -> list[str]:
        events = self.events[outcome]
        lines = [f"  {outcome} {event.url}" for event in events[:LISTED_IN_TEXT]]
        if len(events) > LISTED_IN_TEXT:
            more = len(events) - LISTED_IN_TEXT
            lines.append(f"  … and {more} more {outcome} (--json lists all)")
        return lines

    def _skipped_by_reason(self) -> list[str]:
        by_reason: dict[str, list[str]] = collections.defaultdict(list)
        for event in self.events["skipped"]:
            by_reason[event.reason or "skipped"].append(event.url)
        lines = []
        for reason, urls in by_reason.items():
            examples = ", ".join(urls[:EXAMPLES]) + (", …" if len(urls) > EXAMPLES else "")
            lines.append(f"  skipped {len(urls)} ({reason}): {examples}")
        return lines


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / 1024 / 1024:.1f} MiB"
