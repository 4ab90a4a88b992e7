"""robots.txt, read once per host and run, and obeyed (RFC 9309, parsed by Protego).

What an answer for `/robots.txt` means, as the RFC says:

- 200: its rules apply to us (the group naming our product token, else `*`);
  a `Crawl-delay` there slows our requests to that host (at most 60 s);
- 4xx (no robots.txt): everything may be fetched;
- 5xx, a timeout or a network error: nothing may be fetched from that host in
  this run (the site may be down; a stale "allow" would be a guess).

Only the first 500 KiB of a robots.txt are read (the RFC's minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from protego import Protego

from search_service.fetch.client import Client, FetchFailure
from search_service.fetch.urls import robots_url

MAX_ROBOTS_BYTES: Final = 500 * 1024


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one host for us; `unreachable` says why nothing may be fetched."""

    parser: Protego | None = None
    unreachable: str | None = None

    def refusal(self, url: str, agent: str) -> str | None:
        if self.unreachable is not None:
            return f"robots.txt could not be read ({self.unreachable}): nothing is fetched there"
        if self.parser is not None and not self.parser.can_fetch(url, agent):
            return "disallowed by robots.txt"
        return None


class Robots:
    """The robots.txt of every host met in a run, fetched through `client` when first needed."""

    def __init__(self, client: Client, agent: str) -> None:
        self.client = client
        self.agent = agent
        self._rules: dict[str, RobotsRules] = {}

    def refusal(self, url: str) -> str | None:
        """None when `url` may be fetched, else why not."""
        return self.rules_for(url).refusal(url, self.agent)

    def sitemaps(self, url: str) -> list[str]:
        """The sitemaps the robots.txt of `url`'s host names (its `Sitemap:` lines)."""
        parser = self.rules_for(url).parser
        return list(parser.sitemaps) if parser is not None else []

    def rules_for(self, url: str) -> RobotsRules:
        key = robots_url(url)
        rules = self._rules.get(key)
        if rules is None:
            rules = self._rules[key] = self._read(key)
            delay = rules.parser.crawl_delay(self.agent) if rules.parser is not None else None
            if delay:
                self.client.slow_down(url, float(delay))
        return rules

    def _read(self, url: str) -> RobotsRules:
        try:
            response = self.client.get(url, max_bytes=MAX_ROBOTS_BYTES, cut=True)
        except FetchFailure as failure:
            return RobotsRules(unreachable=failure.reason)
        if response.status == 200 and response.body is not None:
            text = response.body.decode("utf-8", errors="replace")
            return RobotsRules(parser=Protego.parse(text))
        if 400 <= response.status < 500:
            return RobotsRules()
        return RobotsRules(unreachable=response.status_text)
