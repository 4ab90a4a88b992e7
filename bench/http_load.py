"""HTTP load: a real `search-service serve` on a free loopback port, a bounded async httpx load.

The server runs as its own process (uvicorn, as in production) on the index
that `bench.speed` built for the same article count; the response cache is
off (`SEARCH_CACHE_SIZE=0`) unless `--cache` is given, so each request really
searches. For 1, 8 and 32 concurrent clients a fixed number of requests is
sent (the query kinds of `bench.queries` in turn, each with facets and
snippets, as the widget asks; and `/suggest` with prefixes of 1-5 letters):
throughput, median and p99 latency, error count (any status but 200 or a
transport error), and the server's memory (RSS of uvicorn and its workers).

The load generator shares the 2 cores with the server, so throughput is a
lower bound of what the server alone can do; the client's own CPU time is
reported beside it, and a first level against `/health` (no search at all)
shows the ceiling of client plus HTTP stack on this machine.

    python -m bench.http_load --count 5000
    python -m bench.http_load --count 5000 --compare-analytics [--callgrind N] [--rounds N] [--wrk]

`--compare-analytics` measures what the search analytics cost (docs/analytics.md):
the same `/search` requests against the service with `SEARCH_ANALYTICS=false` and
`true`. First the instructions one search costs the app, counted by callgrind
(`instructions_per_search`: independent of what else the machine runs); then, for
`--rounds` alternating rounds at 1 and 8 clients, throughput, p99 and the server's
CPU time per request, and the change (wall-clock figures, which a shared machine
moves by tens of percent from one server to the next).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.callgrind import (
    HEAP_PADS,
    Counting,
    Switch,
    counted_instructions,
    pad_heap,
    require_tools,
)
from bench.common import DATA_DIR, REPO_ROOT, compile_package, latency_summary, write_result
from bench.queries import KINDS, make_queries, read_articles

CONCURRENCY: tuple[int, ...] = (1, 8, 32)
WRK_SECONDS = 10
#: Requests of each level and endpoint (`--requests`): the 5k steps' lists.
REQUESTS_PER_LEVEL = 2000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Where benchmark servers keep their analytics store (never the repository's data/).
ANALYTICS_DATA = DATA_DIR / "analytics-store"


@contextmanager
def running_server(
    index_dir: Path,
    corpus_dir: Path,
    workers: int,
    cache: bool,
    arenas: int | None = None,
    log: Path | None = None,
    analytics: bool = True,
) -> Iterator[tuple[str, psutil.Process]]:
    """`search-service serve` on a free port; stopped (by its pid) on exit; its stderr to
    `log` when given (a long run would fill an unread pipe).

    Analytics on, as the service's default, with a fresh store under bench/data.
    """
    port = free_port()
    env = dict(os.environ)
    if ANALYTICS_DATA.exists():
        shutil.rmtree(ANALYTICS_DATA)
    env.update(
        SEARCH_CACHE_SIZE="512" if cache else "0",
        SEARCH_LOG_LEVEL="warning",
        SEARCH_INDEX_DIR=str(index_dir),
        SEARCH_CORPUS_DIR=str(corpus_dir),
        SEARCH_ANALYTICS="true" if analytics else "false",
        SEARCH_DATA_DIR=str(ANALYTICS_DATA),
    )
    if arenas is not None:
        env["MALLOC_ARENA_MAX"] = str(arenas)
    command = [
        str(Path(sys.executable).parent / "search-service"), "serve",
        "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    compile_package()
    errors = open(log, "wb") if log is not None else None  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        command,
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=errors if errors is not None else subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if errors is not None:
            errors.close()


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"server exited ({process.returncode}): {error[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {base} not healthy after {timeout} s")


def server_rss_mib(server: psutil.Process) -> float:
    processes = [server, *server.children(recursive=True)]
    total = 0
    for process in processes:
        with suppress(psutil.Error):
            total += process.memory_info().rss
    return round(total / 2**20, 1)


def server_heap_mib(server: psutil.Process) -> float:
    """Anonymous memory of the server's processes (heap, arrays, caches), each page
    counted once: a page a forked worker still shares with the supervisor is split
    between them (the proportional share, `Pss_Anon`).

    RSS also counts the pages of the memory-mapped index files that were read:
    clean file pages, shared with the page cache and dropped by the kernel under
    pressure (psutil's USS counts them too, when no other process maps them).
    """
    total = 0
    for process in [server, *server.children(recursive=True)]:
        with suppress(OSError, psutil.Error):
            total += _rollup_kib(process.pid, "Pss_Anon")
    return round(total / 1024, 1)


def server_heap_per_process_mib(server: psutil.Process) -> list[float]:
    """Anonymous memory of each of the server's processes (the supervisor first), shared
    pages included."""
    return _per_process_mib(server, "Anonymous")


def server_private_per_process_mib(server: psutil.Process) -> list[float]:
    """Memory only each of the server's processes holds (the supervisor first): what one
    more worker adds. A forked worker's pages still shared with the supervisor are not
    in it; every page a worker wrote (its heap, its caches) is (`Private_Dirty`)."""
    return _per_process_mib(server, "Private_Dirty")


def _per_process_mib(server: psutil.Process, field: str) -> list[float]:
    out = []
    for process in [server, *server.children(recursive=True)]:
        with suppress(OSError, psutil.Error):
            out.append(round(_rollup_kib(process.pid, field) / 1024, 1))
    return out


def _rollup_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


class MemoryGuard:
    """Stops a load level when the server's memory passes a limit (the machine is shared)."""

    def __init__(self, server: psutil.Process | None, limit_mib: float) -> None:
        self.server = server
        self.limit_mib = limit_mib
        self.tripped: str | None = None

    async def watch(self) -> None:
        while self.server is not None and self.tripped is None:
            rss = server_rss_mib(self.server)
            if rss > self.limit_mib:
                self.tripped = f"server RSS {rss} MiB passed the {self.limit_mib} MiB guard"
            await asyncio.sleep(0.25)


async def load(
    base: str,
    paths: list[tuple[str, dict[str, Any]]],
    clients: int,
    guard: MemoryGuard | None = None,
) -> dict[str, Any]:
    """Send every request once, `clients` at a time; latencies in ms, errors counted."""
    guard = guard or MemoryGuard(None, float("inf"))
    latencies: list[float] = []
    errors = 0
    next_index = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            nonlocal next_index, errors
            while next_index < len(paths) and guard.tripped is None:
                path, params = paths[next_index]
                next_index += 1
                start = time.perf_counter()
                try:
                    response = await client.get(path, params=params)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - start) * 1000.0)
                errors += not ok

        watcher = asyncio.create_task(guard.watch())
        cpu_before = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
        watcher.cancel()
    summary = latency_summary(latencies)
    row: dict[str, Any] = {
        "clients": clients,
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "throughput_rps": round(len(latencies) / seconds, 1),
        "median_ms": summary["median_ms"],
        "p99_ms": summary["p99_ms"],
        "p95_ms": summary["p95_ms"],
        "errors": errors,
        "client_cpu_s": round(cpu, 2),
    }
    if guard.tripped:
        row["aborted"] = guard.tripped
    return row


WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_WRK_PATHS")) do paths[#paths + 1] = line end
local next_path = 0
request = function()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_load(
    base: str, paths: list[tuple[str, dict[str, Any]]], clients: int, seconds: int
) -> dict[str, Any]:
    """The same requests with wrk (C, one thread): a load generator that costs little CPU."""
    import json
    import resource
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "paths.txt"
        listing.write_text("\n".join(_url(path, params) for path, params in paths) + "\n")
        script = Path(folder) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                base,
            ],
            env={**os.environ, "BENCH_WRK_PATHS": str(listing)},
            capture_output=True,
            text=True,
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    duration = found["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "clients": clients,
        "requests": found["requests"],
        "seconds": round(duration, 2),
        "throughput_rps": round(found["requests"] / duration, 1),
        "median_ms": round(found["p50_us"] / 1000, 3),
        "p99_ms": round(found["p99_us"] / 1000, 3),
        "p95_ms": round(found["p95_us"] / 1000, 3),
        "errors": found["non_2xx"] + found["socket_errors"],
        "client_cpu_s": round(cpu, 2),
    }


def _url(path: str, params: dict[str, Any]) -> str:
    return str(httpx.URL(path, params=params))


Requests = list[tuple[str, dict[str, Any]]]


def request_mix(export: Path, requests: int, seed: int) -> tuple[Requests, Requests]:
    """`requests` shuffled `/search` requests (every query kind) and as many `/suggest` ones."""
    searches, suggests = level_mixes(export, requests, 0, seed)
    return searches[0], suggests[0]


def level_mixes(
    export: Path, per_level: int, levels: int, seed: int, zipf: float | None = None
) -> tuple[list[Requests], list[Requests]]:
    """Shuffled lists of `/search` and `/suggest` requests: one per level, plus warm-up.

    By default the lists are disjoint: each level gets requests no earlier level
    sent, so no level is flattered by the engine's caches having seen exactly its
    queries before (common words are warm, as they would be in production).
    With `zipf`, each list is instead a visitor stream: requests drawn with
    replacement from the whole pool, the one of rank r with weight 1 / r**zipf,
    as the queries of a site's search log repeat (a few often, most rarely).
    """
    rng = random.Random(seed)
    lists = levels + 1
    queries = make_queries(
        read_articles(export), per_kind=max(20, -(-per_level * lists // len(KINDS))), seed=seed
    )
    search: Requests = [("/search", q.as_params()) for q in queries.all()]
    suggest: Requests = [("/suggest", {"q": p, "limit": 8}) for p in queries.suggest]
    rng.shuffle(search)
    rng.shuffle(suggest)
    if zipf is not None:
        return (
            [_zipf_stream(search, per_level, zipf, rng) for _ in range(lists)],
            [_zipf_stream(suggest, per_level, zipf, rng) for _ in range(lists)],
        )
    return _split(search, per_level, lists), _split(suggest, per_level, lists)


def _zipf_stream(pool: Requests, size: int, exponent: float, rng: random.Random) -> Requests:
    weights = [1.0 / rank**exponent for rank in range(1, len(pool) + 1)]
    return rng.choices(pool, weights=weights, k=size)


def _split(items: Requests, size: int, count: int) -> list[Requests]:
    """`count` consecutive slices of `size` items (wrapping around if there are too few)."""
    return [
        [items[(start + i) % len(items)] for i in range(size)]
        for start in range(0, size * count, size)
    ]


def run(
    count: int,
    requests: int,
    workers: int,
    cache: bool,
    seed: int,
    arenas: int | None = None,
    max_server_mib: float = 8192,
    use_wrk: bool = False,
    zipf: float | None = None,
) -> dict[str, Any]:
    from bench.generate import default_path

    export = default_path(count, seed)
    work = DATA_DIR / f"speed-{count}"
    index_dir = work / "indexes"
    if not index_dir.exists():
        raise SystemExit(
            f"no index in {index_dir}: run `python -m bench.speed --count {count}` first"
        )
    searches, suggests = level_mixes(export, requests, len(CONCURRENCY), seed=23, zipf=zipf)
    figures: dict[str, Any] = {
        "articles": count,
        "workers": workers,
        "cache": cache,
        "zipf": zipf,
        "search": [],
        "suggest": [],
    }
    figures["malloc_arena_max"] = arenas
    figures["client"] = f"wrk, {WRK_SECONDS} s per level" if use_wrk else "async httpx"
    with running_server(index_dir, work / "corpus", workers, cache, arenas) as (base, server):
        figures["server_rss_idle_mib"] = server_rss_mib(server)
        # Warm-up, not reported: at the highest concurrency, so that every worker thread
        # has opened its searcher before anything is timed.
        asyncio.run(
            load(
                base,
                searches[0][: min(400, requests)],
                max(CONCURRENCY),
                MemoryGuard(server, max_server_mib),
            )
        )
        health: list[tuple[str, dict[str, Any]]] = [("/health", {})] * min(1000, requests)
        figures["client_ceiling"] = (
            wrk_load(base, health, 8, 5) if use_wrk else asyncio.run(load(base, health, 8))
        )
        print(f"/health  {figures['client_ceiling']} (ceiling of client + HTTP stack)", flush=True)
        guard = MemoryGuard(server, max_server_mib)
        for level, clients in enumerate(CONCURRENCY, start=1):
            for endpoint, paths in (("search", searches[level]), ("suggest", suggests[level])):
                if guard.tripped:
                    break
                if use_wrk:
                    row = wrk_load(base, paths, clients, WRK_SECONDS)
                else:
                    row = asyncio.run(load(base, paths, clients, guard))
                row["server_rss_mib"] = server_rss_mib(server)
                row["server_heap_mib"] = server_heap_mib(server)
                row["server_heap_per_process_mib"] = server_heap_per_process_mib(server)
                row["server_private_per_process_mib"] = server_private_per_process_mib(server)
                figures[endpoint].append(row)
                print(f"{endpoint:8s} {row}", flush=True)
        if not guard.tripped and zipf is None:
            # The 8-client level's requests once more: every query now seen once (warm),
            # against the same requests sent first (cold: words and documents new).
            clients = CONCURRENCY[1]
            if use_wrk:
                row = wrk_load(base, searches[2], clients, WRK_SECONDS)
            else:
                row = asyncio.run(load(base, searches[2], clients, guard))
            figures["search_warm_again"] = row
            print(f"search again (warm) {row}", flush=True)
        figures["aborted"] = guard.tripped
    return figures


#: Searches measured under callgrind in each mode, after `CALLGRIND_WARM_UP` not counted.
CALLGRIND_SEARCHES = 200
CALLGRIND_WARM_UP = 20


#: Concurrency levels of the analytics comparison.
ANALYTICS_LEVELS: tuple[int, ...] = (1, 8)


def searches_recorded() -> int:
    """Searches in the benchmark server's analytics store (0 when it made none)."""
    path = ANALYTICS_DATA / "analytics.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM searches").fetchone()[0])


def compare_analytics(
    count: int,
    requests: int,
    workers: int,
    cache: bool,
    rounds: int,
    use_wrk: bool,
    callgrind_searches: int = CALLGRIND_SEARCHES,
) -> dict[str, Any]:
    """`/search` with analytics off and on: instructions per search, then HTTP rounds.

    First the cost in instructions (`instructions_per_search`, unless
    `callgrind_searches` is 0): the figure a shared machine does not disturb. Then
    `rounds` alternating rounds (off, on, off, on …) of wall-clock load: each starts
    a fresh server (a fresh store when on) on the same index and sends the same
    requests; the figures of each mode are the medians over rounds, with the
    server's CPU time per request from its processes (psutil).
    """
    from bench.api_latency import synthetic_index

    work = DATA_DIR / "api-latency"
    work.mkdir(parents=True, exist_ok=True)
    index_dir, corpus, export = synthetic_index(count, 1, work)
    searches, _ = level_mixes(export, requests, 1, seed=23)
    warm_up, paths = searches
    figures: dict[str, Any] = {"articles": count, "workers": workers, "cache": cache}
    if callgrind_searches:
        figures["instructions"] = instructions_per_search(
            export, index_dir, CALLGRIND_WARM_UP, callgrind_searches
        )
    if rounds:
        figures.update(
            http_rounds(index_dir, corpus, warm_up, paths, workers, cache, rounds, use_wrk)
        )
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def instructions_per_search(
    export: Path, index_dir: Path, warm_up: int, measured: int
) -> dict[str, Any]:
    """What one `/search` costs the app in instructions, analytics off and on.

    Each figure is a child process (`analytics_child`) under callgrind, counted by
    `bench.callgrind` from the end of its `warm_up` searches to the end of its
    `measured` ones: start-up and warm-up are not counted, every thread of the
    process is (with analytics on, the writer's SQLite work).

    The child drives the real app (`create_app`: middleware, routing, the
    recorder, the writer thread) through ASGI calls, in-process: no HTTP parsing,
    and nothing that runs by the clock. A real server under callgrind runs some
    50 times slower, so what it does per second of wall time (uvicorn's ticks, the
    generation watcher, the pointer checks of `SEARCH_RELOAD_INTERVAL`) would be
    counted against each search, in amounts that change with the machine's load.
    Here the watcher is idle (a reload interval of 10⁹ s) and the writer writes
    each record in a transaction of its own (a flush after each search): what a
    service seeing one search a second pays; at a busy service's rate a 1-second
    batch holds dozens, which costs less per record. The off figure, the denominator, leaves out
    uvicorn's HTTP parsing: the percentage is on the high side.
    """
    require_tools()
    per_layout: dict[str, list[int]] = {}
    for mode in ("off", "on"):
        arguments = [
            "--analytics-child", mode, "--export", str(export), "--index", str(index_dir),
            "--warm-up", str(warm_up), "--callgrind", str(measured),
        ]  # fmt: skip
        per_layout[mode] = [
            round(counted_instructions("bench.http_load", arguments, pad) / measured)
            for pad in HEAP_PADS
        ]
        print(f"analytics {mode}: {per_layout[mode]} instructions per /search", flush=True)
    per_search = {mode: statistics.mean(counts) for mode, counts in per_layout.items()}
    extra = per_search["on"] - per_search["off"]
    return {
        "tool": "valgrind --tool=callgrind: instructions executed by every thread of the "
        "process, the app driven through ASGI in-process",
        "searches": measured,
        "warm_up": warm_up,
        "heap_pads": list(HEAP_PADS),
        "per_layout": per_layout,
        "writer": "one transaction per record, flushed after each search (the most a record "
        "can cost)",
        "per_search": {mode: round(value) for mode, value in per_search.items()},
        "analytics_per_search": round(extra),
        "change_percent": round(extra / per_search["off"] * 100, 2),
    }


def analytics_child(
    export: Path, index_dir: Path, mode: str, warm_up: int, measured: int, toggles: Path | None
) -> None:
    """The app with analytics `mode`, sent `warm_up` searches, then `measured` counted."""
    kept = pad_heap()  # noqa: F841 (made before the app's modules and kept: its heap's layout)
    import tempfile

    from search_service.settings import Settings
    from search_service.web.api import create_app

    searches, _ = level_mixes(export, max(measured, 1), 1, seed=23)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            index_dir=index_dir,
            data_dir=Path(data),
            cache_size=0,
            analytics=mode == "on",
            reload_interval=1e9,
            log_level="warning",
        )
        app = create_app(settings)
        counting = Counting(toggles)
        asyncio.run(_drive(app, searches[0][:warm_up], searches[1][:measured], counting))


async def _drive(app: Any, warm_up: Requests, measured: Requests, counting: Switch) -> None:
    """Start the app (lifespan), send each GET in turn, stop it: an ASGI server's calls;
    counted from the first measured request to the last one's record written."""
    async with app.router.lifespan_context(app):
        recorder = app.state.recorder
        if recorder is not None:
            # Written by a flush after each search, not by the thread's own wake-ups, whose
            # timing under callgrind decided how many records a transaction held (the count
            # of one comparison moved between +0.0 % and +3.7 %).
            recorder.writer.interval = 3600.0
        await _search_each(app, warm_up, recorder)
        counting.enable()
        await _search_each(app, measured, recorder)
        counting.disable()


async def _search_each(app: Any, paths: Requests, recorder: Any) -> None:
    """Each GET in turn, its record (with analytics on) written before the next."""
    for path, params in paths:
        target = httpx.URL(path, params=params)
        status = await asgi_get(app, target.raw_path.partition(b"?"))
        if status != 200:
            raise RuntimeError(f"{target} answered {status}")
        if recorder is not None:
            recorder.writer.flush()


async def asgi_get(app: Any, target: tuple[bytes, bytes, bytes]) -> int:
    raw_path, _, query = target
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": raw_path.decode("ascii"), "raw_path": raw_path,
        "query_string": query, "root_path": "", "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def http_rounds(
    index_dir: Path,
    corpus: Path,
    warm_up: Requests,
    paths: Requests,
    workers: int,
    cache: bool,
    rounds: int,
    use_wrk: bool,
) -> dict[str, Any]:
    """Wall-clock load with analytics off and on, alternating, `rounds` times each."""
    from bench.api_latency import server_cpu_seconds

    requests = len(paths)
    rows: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for round_number in range(1, rounds + 1):
        for mode in ("off", "on"):
            with running_server(index_dir, corpus, workers, cache, analytics=mode == "on") as (
                base,
                server,
            ):
                asyncio.run(load(base, warm_up[: min(400, requests)], max(ANALYTICS_LEVELS)))
                for clients in ANALYTICS_LEVELS:
                    before = server_cpu_seconds(server)
                    if use_wrk:
                        row = wrk_load(base, paths, clients, WRK_SECONDS)
                    else:
                        row = asyncio.run(load(base, paths, clients))
                    row["server_cpu_ms_per_request"] = round(
                        (server_cpu_seconds(server) - before) * 1000 / row["requests"], 3
                    )
                    row["round"] = round_number
                    rows[mode].append(row)
                    print(f"analytics {mode:3s} round {round_number} {row}", flush=True)
            # Read after the server stopped: its writer flushed what was queued.
            rows[mode][-1]["searches_recorded"] = searches_recorded()
    return {
        "rounds": rounds,
        "client": f"wrk, {WRK_SECONDS} s per level" if use_wrk else "async httpx",
        "rows": rows,
        "change": {f"c{clients}": _change(rows, clients) for clients in ANALYTICS_LEVELS},
    }


def _change(rows: dict[str, list[dict[str, Any]]], clients: int) -> dict[str, Any]:
    """Medians over rounds of each mode, and on versus off in percent."""
    out: dict[str, Any] = {}
    for figure in ("throughput_rps", "p99_ms", "median_ms", "server_cpu_ms_per_request"):
        off, on = (
            statistics.median(row[figure] for row in rows[mode] if row["clients"] == clients)
            for mode in ("off", "on")
        )
        out[figure] = {"off": off, "on": on, "change_percent": round((on - off) / off * 100, 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=5000, help="Articles of the index built by bench.speed."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--requests",
        type=int,
        default=REQUESTS_PER_LEVEL,
        help="Requests per level and endpoint.",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument("--cache", action="store_true", help="Leave the response cache on (512).")
    parser.add_argument(
        "--zipf",
        type=float,
        metavar="S",
        help="Send a visitor stream: requests drawn with Zipf weights 1/rank**S (e.g. 1.0).",
    )
    parser.add_argument(
        "--malloc-arena-max",
        type=int,
        help="Set MALLOC_ARENA_MAX for the server (glibc: fewer per-thread malloc arenas).",
    )
    parser.add_argument(
        "--max-server-mib",
        type=float,
        default=8192,
        help="Stop loading when the server's RSS passes this (the machine is shared).",
    )
    parser.add_argument(
        "--wrk",
        action="store_true",
        help=f"Load with wrk (apt-get install wrk) for {WRK_SECONDS} s per level instead of httpx.",
    )
    parser.add_argument(
        "--compare-analytics",
        action="store_true",
        help="Measure /search with SEARCH_ANALYTICS off and on (alternating rounds) instead.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Wall-clock rounds of each mode with --compare-analytics (0: none).",
    )
    parser.add_argument(
        "--callgrind",
        type=int,
        default=CALLGRIND_SEARCHES,
        metavar="N",
        help="Searches measured under callgrind in each mode with --compare-analytics "
        f"(default {CALLGRIND_SEARCHES}; 0: none).",
    )
    parser.add_argument("--analytics-child", choices=("off", "on"), help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=int, default=CALLGRIND_WARM_UP, help=argparse.SUPPRESS)
    parser.add_argument("--toggles", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.analytics_child:
        analytics_child(
            args.export, args.index, args.analytics_child, args.warm_up, args.callgrind,
            args.toggles,
        )  # fmt: skip
        return 0
    if args.compare_analytics:
        figures = compare_analytics(
            args.count,
            args.requests,
            args.workers,
            args.cache,
            args.rounds,
            args.wrk,
            callgrind_searches=args.callgrind,
        )
        name = f"http-{args.count}-w{args.workers}-analytics" + ("-wrk" if args.wrk else "")
        parameters = {
            "requests": args.requests,
            "workers": args.workers,
            "cache": args.cache,
            "rounds": args.rounds,
            "concurrency": list(ANALYTICS_LEVELS),
            "callgrind_searches": args.callgrind,
        }
        print(write_result(name, parameters, figures))
        return 0
    arenas = args.malloc_arena_max
    figures = run(
        args.count,
        args.requests,
        args.workers,
        args.cache,
        args.seed,
        arenas,
        args.max_server_mib,
        use_wrk=args.wrk,
        zipf=args.zipf,
    )
    name = f"http-{args.count}-w{args.workers}" + ("-cache" if args.cache else "")
    name += f"-zipf{args.zipf:g}" if args.zipf is not None else ""
    name += "-wrk" if args.wrk else ""
    name += f"-arenas{arenas}" if arenas is not None else ""
    parameters = {
        "requests": args.requests,
        "workers": args.workers,
        "cache": args.cache,
        "zipf": args.zipf,
        "concurrency": list(CONCURRENCY),
    }
    print(write_result(name, parameters, figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
