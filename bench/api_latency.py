"""API latency as the widget sees it: `/search` (facets + snippets) and `/suggest` over HTTP.

The figures of docs/serving-speed.md. A real `search-service serve` (one uvicorn worker,
response cache off unless `--cache`) on a free loopback port, on two indexes:

- the shipped corpus (`corpus/`: the seed pages), with a fixed list of visitor
  queries (names, typos, accents, phrases, filters);
- N synthetic articles (`bench.generate`, default 5,000), with the query mix of
  `bench.queries` (every kind, each with facets and snippets, as the widget asks).

For each, `--requests` requests per endpoint are sent by `--clients` concurrent
async clients (default 8); reported: median, p95, p99 latency, throughput and
errors. The load generator shares the machine's cores with the server.

    python -m bench.api_latency [--count 5000] [--requests 2000] [--clients 8] [--cache] [--wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

from bench.common import DATA_DIR, REPO_ROOT, write_result
from bench.http_load import WRK_SECONDS, load, request_mix, running_server, wrk_load

#: What visitors type on the real site, in its three languages.
SHIPPED_QUERIES: tuple[dict[str, Any], ...] = (
    {"q": "Abidjan"},
    {"q": "Masmut"},
    {"q": "masmutt"},
    {"q": "mutualite chretienne"},
    {"q": "Côte d’Ivoire"},
    {"q": "cote divoire"},
    {"q": "Ivory Coast"},
    {"q": "universal health coverage"},
    {"q": '"mutual society"'},
    {"q": "mutual", "country": ["Benin", "Togo"]},
    {"q": "social protection educ"},
    {"q": "", "sort": "newest"},
    {"q": "mutuelles de santé"},
    {"q": "programa de salud"},
)
SHIPPED_PREFIXES: tuple[str, ...] = ("a", "ab", "abi", "mu", "mut", "masm", "cô", "cote d", "hea")


def shipped_index(work: Path) -> tuple[Path, Path]:
    """A fresh index of the shipped corpus (the same build as `search-service serve`)."""
    from search_service.index.build import build_index

    corpus = REPO_ROOT / "corpus"
    index_dir = work / "shipped-index"
    if index_dir.exists():
        shutil.rmtree(index_dir)
    build_index(corpus, index_dir, full=True)
    return index_dir, corpus


def synthetic_index(count: int, seed: int, work: Path) -> tuple[Path, Path, Path]:
    """N synthetic articles through ingest and build (reused when built already, with the
    code's schema)."""
    from bench.generate import default_path, generate
    from bench.ours import corpus_for, ingest_export, load_vocabulary, reusable_index
    from search_service.index.build import build_from_articles

    export = default_path(count, seed)
    if not export.exists():
        generate(count, seed, export, REPO_ROOT / "corpus")
    corpus = corpus_for(export, work / f"synthetic-{count}-corpus")
    index_dir = work / f"synthetic-{count}-index"
    if not reusable_index(index_dir):
        if index_dir.exists():
            shutil.rmtree(index_dir)
        articles, _ = ingest_export(export, load_vocabulary())
        build_from_articles(articles, index_dir)
    return index_dir, corpus, export


def cycle(items: list[tuple[str, dict[str, Any]]], count: int) -> list[tuple[str, dict[str, Any]]]:
    return [items[i % len(items)] for i in range(count)]


def server_cpu_seconds(server: psutil.Process) -> float:
    total = 0.0
    for process in (server, *server.children(recursive=True)):
        with suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def measure(
    index_dir: Path,
    corpus: Path,
    search: list[tuple[str, dict[str, Any]]],
    suggest: list[tuple[str, dict[str, Any]]],
    clients: int,
    cache: bool,
    use_wrk: bool = False,
) -> dict[str, Any]:
    """Each endpoint at 1 client (latency alone) and at `clients` (under load).

    The server's CPU time per request is reported too: on a machine shared with
    other work it is the steadier figure of the two. With `use_wrk` the requests
    are sent by wrk for 10 s per level (httpx's own CPU, about 1 ms a request on
    these cores, otherwise shows in the latencies: p99 over 100 ms at 8 clients).
    """
    figures: dict[str, Any] = {}
    with running_server(index_dir, corpus, 1, cache) as (base, server):
        asyncio.run(load(base, search[: min(300, len(search))], clients))  # warm-up, untimed
        for endpoint, paths in (("search", search), ("suggest", suggest)):
            for level in sorted({1, clients}):
                before = server_cpu_seconds(server)
                if use_wrk:
                    row = wrk_load(base, paths, level, WRK_SECONDS)
                else:
                    row = asyncio.run(load(base, paths, level))
                row["server_cpu_ms_per_request"] = round(
                    (server_cpu_seconds(server) - before) * 1000 / row["requests"], 3
                )
                figures[f"{endpoint}_c{level}"] = row
                print(f"  {endpoint:8s} {row}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="Synthetic articles.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic articles.")
    parser.add_argument("--requests", type=int, default=2000, help="Requests per endpoint.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients.")
    parser.add_argument("--cache", action="store_true", help="Leave the response cache on.")
    parser.add_argument("--wrk", action="store_true", help="Load with wrk instead of httpx.")
    args = parser.parse_args(argv)
    work = DATA_DIR / "api-latency"
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}

    print("shipped corpus", flush=True)
    index_dir, corpus = shipped_index(work)
    search = cycle([("/search", dict(q)) for q in SHIPPED_QUERIES], args.requests)
    suggest = cycle([("/suggest", {"q": p, "limit": 8}) for p in SHIPPED_PREFIXES], args.requests)
    results["shipped"] = measure(
        index_dir, corpus, search, suggest, args.clients, args.cache, args.wrk
    )

    print(f"{args.count} synthetic articles", flush=True)
    index_dir, corpus, export = synthetic_index(args.count, args.seed, work)
    search, suggest = request_mix(export, args.requests, seed=23)
    results[f"synthetic_{args.count}"] = measure(
        index_dir, corpus, search, suggest, args.clients, args.cache, args.wrk
    )
    parameters = {
        "count": args.count,
        "requests": args.requests,
        "clients": args.clients,
        "cache": args.cache,
        "workers": 1,
        "client": "wrk" if args.wrk else "async httpx",
    }
    name = f"api-latency-{args.count}" + ("-cache" if args.cache else "")
    name += "-wrk" if args.wrk else ""
    print(write_result(name, parameters, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
