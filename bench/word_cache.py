"""How often a word's scores are computed again: the view's word cache under the bench's list
of searches shared out between workers.

Each worker is an engine of its own over the same generation, with its own word cache, as
each process of `serve --workers N` has. Every request of the list goes to one of them at
random, pass after pass, as a load generator's connections reach the workers. The first
pass is not counted; then this counts the word scores computed (`Scorer._word_scores`
calls) per search, for each cache budget asked, and what each engine's cache holds at the
end. A count, not a time: the machine's speed does not move it. `--wide` keeps document
numbers in four bytes, as the cache did before two-byte numbers (`IndexView._narrowed`).

    python -m bench.word_cache [--count 5000] [--workers 2] [--budgets 6 7 8] [--passes 4]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import DATA_DIR, write_result
from bench.generate import default_path
from bench.http_load import CONCURRENCY, level_mixes

#: The level of `bench.http_load` whose list is shared out: its 8-client `/search` level.
LEVEL = 2


@contextmanager
def counting_word_scores() -> Iterator[Callable[[], int]]:
    """Count the word scores computed while inside (`Scorer._word_scores` wrapped)."""
    from search_service.search.ranking import Scorer

    computed = 0
    original = Scorer._word_scores

    def counted(self: Scorer, *args: Any) -> Any:
        nonlocal computed
        computed += 1
        return original(self, *args)

    Scorer._word_scores = counted  # type: ignore[method-assign,assignment]
    try:
        yield lambda: computed
    finally:
        Scorer._word_scores = original  # type: ignore[method-assign]


@dataclass(frozen=True)
class Counted:
    budget_mib: float
    #: Word scores computed a search, over the passes after the first.
    computed_per_search: float
    #: What each engine's word cache held at the end.
    cached_mib: list[float]


def scores_computed(
    index_dir: Path,
    requests: Sequence[Any],
    *,
    workers: int,
    budget_bytes: int,
    passes: int,
    seed: int = 7,
) -> Counted:
    """Word scores computed a search over `passes` after the first, and each cache's MiB."""
    from search_service.search.engine import SearchEngine
    from search_service.settings import Settings

    settings = Settings(index_dir=index_dir, cache_size=0, reload_interval=1e9)
    engines = [SearchEngine(settings) for _ in range(workers)]
    views = [engine.generation().view for engine in engines]
    for view in views:
        view.cache_bytes = budget_bytes
    rng = random.Random(seed)
    rounds = [[rng.randrange(workers) for _ in requests] for _ in range(passes + 1)]
    with counting_word_scores() as computed:
        for request, worker in zip(requests, rounds[0], strict=True):
            engines[worker].search(request)
        first = computed()
        for chosen in rounds[1:]:
            for request, worker in zip(requests, chosen, strict=True):
                engines[worker].search(request)
        counted = computed() - first
    return Counted(
        budget_mib=round(budget_bytes / 2**20, 2),
        computed_per_search=round(counted / (passes * len(requests)), 3),
        cached_mib=[round(view._bytes / 2**20, 2) for view in views],
    )


def bench_requests(count: int) -> list[Any]:
    """The searches of `bench.http_load`'s 8-client level, parsed as the API parses them."""
    from search_service.web.parameters import SearchQuery

    searches, _ = level_mixes(default_path(count, 1), 2000, len(CONCURRENCY), seed=23)
    return [SearchQuery.model_validate(params).request() for _, params in searches[LEVEL]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="Articles of the index.")
    parser.add_argument("--workers", type=int, default=2, help="Engines sharing the list.")
    parser.add_argument("--budgets", type=float, nargs="+", default=[6, 7, 8], help="MiB.")
    parser.add_argument("--passes", type=int, default=4, help="Passes counted.")
    parser.add_argument("--wide", action="store_true", help="Four-byte numbers (as before).")
    args = parser.parse_args(argv)
    index_dir = DATA_DIR / f"speed-{args.count}" / "indexes"
    if not index_dir.exists():
        raise SystemExit(
            f"no index in {index_dir}: run `python -m bench.speed --count {args.count}`"
        )
    if args.wide:
        from search_service.index import view

        view._NARROW_DOCS = 0  # type: ignore[misc]
    requests = bench_requests(args.count)
    rows = []
    for budget in args.budgets:
        row = asdict(
            scores_computed(
                index_dir,
                requests,
                workers=args.workers,
                budget_bytes=int(budget * 2**20),
                passes=args.passes,
            )
        )
        print(row, flush=True)
        rows.append(row)
    parameters = {
        "count": args.count,
        "workers": args.workers,
        "passes": args.passes,
        "requests": len(requests),
        "wide": args.wide,
    }
    name = f"word-cache-{args.count}" + ("-wide" if args.wide else "")
    print(write_result(name, parameters, {"budgets": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
