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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import DATA_DIR, REPO_ROOT, latency_summary, write_result
from bench.queries import KINDS, make_queries, read_articles

CONCURRENCY: tuple[int, ...] = (1, 8, 32)
WRK_SECONDS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    index_dir: Path,
    corpus_dir: Path,
    workers: int,
    cache: bool,
    arenas: int | None = None,
    log: Path | None = None,
) -> Iterator[tuple[str, psutil.Process]]:
    """`search-service serve` on a free port; stopped (by its pid) on exit; its stderr to
    `log` when given (a long run would fill an unread pipe)."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        SEARCH_CACHE_SIZE="512" if cache else "0",
        SEARCH_LOG_LEVEL="warning",
        SEARCH_INDEX_DIR=str(index_dir),
        SEARCH_CORPUS_DIR=str(corpus_dir),
    )
    if arenas is not None:
        env["MALLOC_ARENA_MAX"] = str(arenas)
    command = [
        str(Path(sys.executable).parent / "search-service"), "serve",
        "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
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
    """Anonymous memory of the server's processes (heap, arrays, caches).

    RSS also counts the pages of the memory-mapped index files that were read:
    clean file pages, shared with the page cache and dropped by the kernel under
    pressure (psutil's USS counts them too, when no other process maps them).
    """
    total = 0
    for process in [server, *server.children(recursive=True)]:
        with suppress(OSError, psutil.Error):
            total += _anonymous_kib(process.pid)
    return round(total / 1024, 1)


def server_heap_per_process_mib(server: psutil.Process) -> list[float]:
    """Anonymous memory of each of the server's processes (the supervisor first): what
    one more worker adds is the heap of one worker process."""
    out = []
    for process in [server, *server.children(recursive=True)]:
        with suppress(OSError, psutil.Error):
            out.append(round(_anonymous_kib(process.pid) / 1024, 1))
    return out


def _anonymous_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Anonymous:"):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=5000, help="Articles of the index built by bench.speed."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--requests", type=int, default=2000, help="Requests per level and endpoint."
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
    args = parser.parse_args(argv)
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
