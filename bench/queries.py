"""The benchmark's queries: one set per kind, drawn from the generated articles, reproducibly.

Every system in a run (ours and the peers) answers exactly these queries. Words
are taken from the articles themselves (words of middling frequency, as
visitors type: not "the", not a word found once), phrases are adjacent word
pairs of real bodies, prefixes are words cut as if still being typed, and
filters use the articles' own countries and years.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Sort = Literal["relevance", "newest"]
WORD = re.compile(r"[^\W\d_]{4,}")
ANY_WORD = re.compile(r"[^\W\d_]+")
SENTENCE_END = re.compile(r"[.!?\n]")

# The query kinds the issue asks for, in the order of the results table.
KINDS: tuple[str, ...] = (
    "one_word",
    "two_words",
    "phrase",
    "prefix",
    "one_word_facets",
    "two_words_facets_filter",
    "one_word_filter_newest",
    "browse_newest_facets",
)


@dataclass(frozen=True)
class BenchQuery:
    """One search as a visitor would send it."""

    kind: str
    q: str
    words: tuple[str, ...] = ()
    phrase: bool = False
    prefix: str | None = None
    countries: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    facets: bool = False
    sort: Sort = "relevance"

    def as_params(self) -> dict[str, Any]:
        """The query as `/search` parameters."""
        params: dict[str, Any] = {"q": self.q, "per_page": 10}
        if self.countries:
            params["country"] = list(self.countries)
        if self.year_from is not None:
            params["year_from"] = self.year_from
        if self.year_to is not None:
            params["year_to"] = self.year_to
        if self.sort != "relevance":
            params["sort"] = self.sort
        return params


@dataclass
class QuerySet:
    queries: dict[str, list[BenchQuery]] = field(default_factory=dict)
    suggest: list[str] = field(default_factory=list)

    def all(self) -> Iterator[BenchQuery]:
        for kind in KINDS:
            yield from self.queries.get(kind, [])

    def to_json(self) -> dict[str, Any]:
        return {
            "queries": {k: [asdict(q) for q in v] for k, v in self.queries.items()},
            "suggest": self.suggest,
        }


def read_articles(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _word_pool(articles: Iterable[dict[str, Any]]) -> list[str]:
    """Words found in at least 0.2 % and at most 10 % of the articles: what people search."""
    document_frequency: Counter[str] = Counter()
    count = 0
    for article in articles:
        count += 1
        document_frequency.update({w.lower() for w in WORD.findall(article["body"])})
    low, high = max(2, count // 500), max(3, count // 10)
    return sorted(w for w, df in document_frequency.items() if low <= df <= high)


def _phrase_from(article: dict[str, Any], rng: random.Random) -> tuple[str, str] | None:
    """Two adjacent words of one sentence of the body, both longer than four letters."""
    pairs: list[tuple[str, str]] = []
    for sentence in SENTENCE_END.split(article["body"]):
        words = [w.lower() for w in ANY_WORD.findall(sentence)]
        pairs += [(a, b) for a, b in itertools.pairwise(words) if len(a) > 4 and len(b) > 4]
    return rng.choice(pairs) if pairs else None


def make_queries(articles: list[dict[str, Any]], per_kind: int = 100, seed: int = 7) -> QuerySet:
    """`per_kind` queries of every kind, and as many `/suggest` prefixes."""
    rng = random.Random(seed)
    pool = _word_pool(articles)
    if len(pool) < 10:
        raise ValueError("too few articles to draw queries from")
    tagged = [a for a in articles if a.get("countries") and a.get("date")]
    if not tagged:
        raise ValueError("no article has both a country and a date to filter on")
    qs = QuerySet()
    pool_set = set(pool)

    def word() -> str:
        return rng.choice(pool)

    def words_of(article: dict[str, Any], count: int) -> tuple[str, ...] | None:
        found = sorted({w.lower() for w in WORD.findall(article["body"])} & pool_set)
        return tuple(rng.sample(found, count)) if len(found) >= count else None

    def two() -> tuple[str, str]:
        """Two words of one article, so that the pair has at least one match."""
        while True:
            found = words_of(rng.choice(articles), 2)
            if found:
                return found[0], found[1]

    def filtered(count: int) -> tuple[tuple[str, ...], dict[str, Any]]:
        """Words of a tagged article with a filter it passes: one of its countries, 5 years."""
        while True:
            article = rng.choice(tagged)
            found = words_of(article, count) if count else ()
            if found is not None:
                year = int(article["date"][:4])
                start = year - rng.randint(0, 4)
                country = rng.choice(article["countries"])
                return found, {"countries": (country,), "year_from": start, "year_to": start + 4}

    qs.queries["one_word"] = [
        BenchQuery("one_word", w, (w,)) for w in (word() for _ in range(per_kind))
    ]
    qs.queries["two_words"] = [
        BenchQuery("two_words", f"{a} {b}", (a, b)) for a, b in (two() for _ in range(per_kind))
    ]
    phrases: list[BenchQuery] = []
    while len(phrases) < per_kind:
        pair = _phrase_from(rng.choice(articles), rng)
        if pair:
            phrases.append(BenchQuery("phrase", f'"{pair[0]} {pair[1]}"', pair, phrase=True))
    qs.queries["phrase"] = phrases
    prefixes: list[BenchQuery] = []
    for _ in range(per_kind):
        full, partial = two()  # of one article: one language, as a visitor types
        cut = partial[: rng.choice((2, 3, 4))]
        if rng.random() < 0.5:
            prefixes.append(BenchQuery("prefix", cut, (), prefix=cut))
        else:
            prefixes.append(BenchQuery("prefix", f"{full} {cut}", (full,), prefix=cut))
    qs.queries["prefix"] = prefixes
    qs.queries["one_word_facets"] = [
        BenchQuery("one_word_facets", w, (w,), facets=True)
        for w in (word() for _ in range(per_kind))
    ]
    rows = [filtered(2) for _ in range(per_kind)]
    qs.queries["two_words_facets_filter"] = [
        BenchQuery("two_words_facets_filter", " ".join(w), w, facets=True, **f) for w, f in rows
    ]
    rows = [filtered(1) for _ in range(per_kind)]
    qs.queries["one_word_filter_newest"] = [
        BenchQuery("one_word_filter_newest", w[0], w, sort="newest", **f) for w, f in rows
    ]
    rows = [filtered(0) for _ in range(per_kind)]
    qs.queries["browse_newest_facets"] = [
        BenchQuery("browse_newest_facets", "", (), facets=True, sort="newest", **f) for _, f in rows
    ]
    qs.suggest = [
        w[:n] for w in (word() for _ in range(per_kind)) for n in (rng.choice((1, 2, 3, 4, 5)),)
    ]
    return qs
