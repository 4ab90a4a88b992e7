"""Soak: a real `search-service serve` under 32 clients for 10 minutes while builds run and die.

What it shows: the service keeps answering (not one failed request) while index
builds publish new generations and others are SIGKILLed at random moments, its log
shows no exception, and its memory does not creep (growth after the first minute
under 10 %).

- The server: `search-service serve --workers 2` with the service's defaults
  (response cache on), on a free loopback port, over `--count` synthetic articles
  (`bench.generate`) plus the shipped corpus and its vocabulary.
- The clients: `--clients` concurrent async clients, a mixed stream of requests
  for `--minutes` minutes: searches of every kind of `bench.queries` drawn as a
  visitor stream (Zipf 1: popular queries repeat), completions, article pages and
  health checks. A request fails when it gets anything but a 200 (or no answer).
- The builds: one after another, a few seconds apart, each after an edit of the
  corpus (a small export rewritten, so every build has work): about half run to
  the end and publish; the others are `--full` builds SIGKILLed at a random
  moment (most while writing their new generation).
- The memory: heap (anonymous memory) and RSS of the server's processes every
  5 s (the heap also per process: the supervisor, then each worker); growth is
  the mean heap over the last minute against the mean over the minute after the
  first one (thirds of the run when it is shorter than 3 minutes).

    python -m bench.soak                 # 10 minutes, 32 clients (about 12 min with set-up)
    python -m bench.soak --minutes 1     # the short check
    python -m bench.soak --minutes 3 --no-cache --no-analytics --arenas 2  # what grows

Writes `bench/results/soak.json`; `python -m bench.report` puts it in RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import DATA_DIR, REPO_ROOT, latency_summary, write_result
from bench.http_load import (
    level_mixes,
    running_server,
    server_heap_mib,
    server_heap_per_process_mib,
    server_rss_mib,
)

#: Shares of the request stream (the rest are searches).
SUGGEST_SHARE = 0.2
ARTICLE_SHARE = 0.05
HEALTH_SHARE = 0.05
#: Memory is sampled this often (seconds).
MEMORY_EVERY = 5.0
#: Growth allowed after the first minute (issue 12).
MEMORY_GROWTH_LIMIT = 0.10
CHANGES_FILE = "soak-changes.jsonl"
#: Seconds a client keeps an idle connection (under the server's SEARCH_TIMEOUT_KEEP_ALIVE).
KEEPALIVE = 2.0


def search_service() -> str:
    return str(Path(sys.executable).parent / "search-service")


def prepare(count: int, seed: int) -> tuple[Path, Path, list[str]]:
    """A corpus (shipped seeds and vocabulary, the synthetic export) and a fresh first index."""
    from bench.generate import default_path, generate

    export = default_path(count, seed)
    if not export.exists():
        generate(count, seed, export, REPO_ROOT / "corpus")
    work = DATA_DIR / f"soak-{count}"
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    shutil.copy(export, corpus / "articles" / "synthetic.jsonl")
    write_changes(corpus, 0)
    index = work / "indexes"
    subprocess.run(
        [search_service(), "index", "build", "--corpus", str(corpus), "--index", str(index)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ids = [json.loads(line)["id"] for line in export.read_text(encoding="utf-8").splitlines()]
    return corpus, index, ids[:500]


def write_changes(corpus: Path, round_: int) -> None:
    """The edit before each build: a small export whose articles change every round."""
    with open(corpus / "articles" / CHANGES_FILE, "w", encoding="utf-8") as out:
        for n in range(20 + round_ % 30):
            record = {
                "id": f"soak-{n}",
                "title": f"Soak round {round_}: teachers and health mutuals, note {n}",
                "body": f"Round {round_} of the soak. Health insurance for teachers, note {n}. "
                * 5,
                "language": "en",
                "date": f"20{10 + n % 15}-03-0{1 + n % 9}",
            }
            out.write(json.dumps(record) + "\n")


@dataclass
class Builds:
    """Index builds one after another until stopped; half published, half killed."""

    corpus: Path
    index: Path
    seed: int
    stop: threading.Event = field(default_factory=threading.Event)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("started", "published", "up_to_date", "killed", "killed_mid_write", "failed"), 0
        )
    )
    failures: list[str] = field(default_factory=list)

    def run(self) -> None:
        rng = random.Random(self.seed)
        round_ = 0
        while not self.stop.wait(rng.uniform(2.0, 8.0)):
            round_ += 1
            write_changes(self.corpus, round_)
            if rng.random() < 0.5:
                self._complete()
            else:
                self._killed(rng.uniform(1.0, 45.0))

    def _command(self, *options: str) -> list[str]:
        corpus, index = str(self.corpus), str(self.index)
        return [search_service(), "index", "build", "--corpus", corpus, "--index", index, *options]

    def _complete(self) -> None:
        self.counts["started"] += 1
        done = subprocess.run(self._command(), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            self.counts["failed"] += 1
            self.failures.append(done.stderr[-500:])
        elif "up to date" in done.stdout:
            self.counts["up_to_date"] += 1
        else:
            self.counts["published"] += 1

    def _killed(self, after: float) -> None:
        self.counts["started"] += 1
        build = subprocess.Popen(
            self._command("--full"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + after
        while time.monotonic() < deadline and build.poll() is None and not self.stop.is_set():
            time.sleep(0.05)
        if build.poll() is not None:  # it ended first: a complete build
            self.counts["published" if build.returncode == 0 else "failed"] += 1
            return
        writing = any(p.name.startswith("building-") for p in self.index.iterdir())
        build.send_signal(signal.SIGKILL)
        build.wait()
        self.counts["killed"] += 1
        self.counts["killed_mid_write"] += writing


@dataclass
class MemorySamples:
    server: psutil.Process
    started: float
    samples: list[dict[str, Any]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while True:
            self.samples.append(
                {
                    "t": round(time.monotonic() - self.started, 1),
                    "heap_mib": server_heap_mib(self.server),
                    "heap_per_process_mib": server_heap_per_process_mib(self.server),
                    "rss_mib": server_rss_mib(self.server),
                }
            )
            if self.stop.wait(MEMORY_EVERY):
                return


def memory_growth(samples: list[dict[str, float]], seconds: float) -> dict[str, Any]:
    """Heap growth after the first minute: the mean over the minute after it, against the
    mean over the last minute (a third of the run each, when it is shorter than 3).

    Means over a minute, not two samples: the heap is a saw (caches fill between
    publishes; a publish holds two generations a moment, then hands one back), and
    two single samples would say where on the saw they fell.
    """
    if not samples:
        return {}
    span = min(60.0, seconds / 3)
    first = [s for s in samples if span <= s["t"] < 2 * span] or samples[:1]
    last = [s for s in samples if s["t"] >= seconds - span] or samples[-1:]
    base_heap = statistics.fmean(s["heap_mib"] for s in first)
    end_heap = statistics.fmean(s["heap_mib"] for s in last)
    growth = (end_heap - base_heap) / base_heap if base_heap else 0.0
    return {
        "baseline_from_s": round(span, 1),
        "window_s": round(span, 1),
        "heap_baseline_mib": round(base_heap, 1),
        "heap_end_mib": round(end_heap, 1),
        "heap_growth_pct": round(100 * growth, 2),
        "heap_peak_mib": max(s["heap_mib"] for s in samples),
        "rss_baseline_mib": round(statistics.fmean(s["rss_mib"] for s in first), 1),
        "rss_end_mib": round(statistics.fmean(s["rss_mib"] for s in last), 1),
        "rss_peak_mib": max(s["rss_mib"] for s in samples),
    }


Request = tuple[str, dict[str, Any]]


def request_stream(export: Path, ids: list[str], size: int, seed: int) -> list[Request]:
    """A mixed visitor stream: searches (Zipf 1), completions, article pages, health checks."""
    searches, suggests = level_mixes(export, size, 0, seed, zipf=1.0)
    rng = random.Random(seed)
    stream: list[Request] = []
    for n in range(size):
        draw = rng.random()
        if draw < HEALTH_SHARE:
            stream.append(("/health", {}))
        elif draw < HEALTH_SHARE + ARTICLE_SHARE:
            stream.append((f"/articles/{rng.choice(ids)}", {}))
        elif draw < HEALTH_SHARE + ARTICLE_SHARE + SUGGEST_SHARE:
            stream.append(suggests[0][n % len(suggests[0])])
        else:
            stream.append(searches[0][n % len(searches[0])])
    return stream


async def clients_until(
    base: str, stream: list[Request], clients: int, seconds: float, started: float
) -> dict[str, Any]:
    """`clients` concurrent clients working through `stream` (cycled) for `seconds`."""
    minute_latencies: dict[int, list[float]] = {}
    minute_failed: dict[int, int] = {}
    failures: list[str] = []
    generations: set[str] = set()
    next_request = 0
    deadline = started + seconds
    last_minute = max(0, int(-(-seconds // 60)) - 1)  # requests in flight at the end count there
    # Idle connections are dropped by the client before the server's keep-alive timeout
    # (5 s) would close them under a request being sent, as a proxy's upstream should
    # (docs/deploy.md): such a race is the client's setting, not the service failing.
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=KEEPALIVE
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            nonlocal next_request
            problem: int | str | None
            while time.monotonic() < deadline:
                path, params = stream[next_request % len(stream)]
                next_request += 1
                sent = time.perf_counter()
                minute = min(int((time.monotonic() - started) // 60), last_minute)
                try:
                    response = await client.get(path, params=params)
                    problem = None if response.status_code == 200 else response.status_code
                except httpx.HTTPError as error:
                    problem, response = repr(error), None
                minute_latencies.setdefault(minute, []).append(
                    (time.perf_counter() - sent) * 1000.0
                )
                if problem is not None:
                    minute_failed[minute] = minute_failed.get(minute, 0) + 1
                    if len(failures) < 20:
                        body = response.text[:200] if response is not None else ""
                        failures.append(f"{path} {params}: {problem} {body}")
                elif path == "/health" and response is not None:
                    generations.add(response.json()["generation"])

        cpu_before = time.process_time()
        await asyncio.gather(*(worker() for _ in range(clients)))
        cpu = time.process_time() - cpu_before
    everything = [ms for values in minute_latencies.values() for ms in values]
    per_minute = [
        {
            "minute": minute + 1,
            "requests": len(values),
            "failed": minute_failed.get(minute, 0),
            **{k: v for k, v in latency_summary(values).items() if k in ("median_ms", "p99_ms")},
        }
        for minute, values in sorted(minute_latencies.items())
    ]
    return {
        "requests": len(everything),
        "failed": sum(minute_failed.values()),
        "failures_sample": failures,
        "throughput_rps": round(len(everything) / seconds, 1),
        "latency": latency_summary(everything),
        "per_minute": per_minute,
        "generations_served": len(generations),
        "client_cpu_s": round(cpu, 1),
    }


def server_errors(log_text: str) -> list[str]:
    """The exceptions the server's log shows, each by its last line ("RuntimeError: ...").

    A worker's background thread can die with a traceback while every request is
    still answered (by an older generation): the failed-request count misses it.
    """
    errors: list[str] = []
    in_traceback = False
    for line in log_text.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            errors.append(line)
            in_traceback = False
    return errors


def run(
    minutes: float,
    clients: int,
    count: int,
    workers: int,
    seed: int,
    cache: bool = True,
    analytics: bool = True,
    arenas: int | None = None,
) -> dict[str, Any]:
    from bench.generate import default_path

    corpus, index, ids = prepare(count, seed)
    stream = request_stream(default_path(count, seed), ids, 20_000, seed)
    seconds = minutes * 60
    log = index.parent / "server.log"
    server_options: dict[str, Any] = {"cache": cache, "analytics": analytics, "arenas": arenas}
    with running_server(index, corpus, workers, log=log, **server_options) as (base, server):
        started = time.monotonic()
        memory = MemorySamples(server, started)
        builds = Builds(corpus, index, seed)
        threads = [
            threading.Thread(target=memory.run, name="memory"),
            threading.Thread(target=builds.run, name="builds"),
        ]
        for thread in threads:
            thread.start()
        try:
            served = asyncio.run(clients_until(base, stream, clients, seconds, started))
        finally:
            builds.stop.set()
            memory.stop.set()
            for thread in threads:
                thread.join()
    growth = memory_growth(memory.samples, seconds)
    log_text = log.read_text(errors="replace")
    errors = server_errors(log_text)
    figures: dict[str, Any] = {
        "minutes": minutes,
        "clients": clients,
        "workers": workers,
        "articles": count,
        "server": server_options,
        **served,
        "builds": builds.counts,
        "build_failures": builds.failures[:5],
        "server_log_tail": log_text.splitlines()[-20:],
        "server_errors": errors[:20],
        "server_error_count": len(errors),
        "memory": growth,
        "memory_samples": memory.samples,
        "verdict": {
            "no_failed_request": served["failed"] == 0,
            "no_error_in_server_log": not errors,
            "memory_growth_under_10pct": growth.get("heap_growth_pct", 0)
            < 100 * MEMORY_GROWTH_LIMIT,
        },
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="How long the load runs.")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    parser.add_argument("--count", type=int, default=5000, help="Synthetic articles indexed.")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-cache", action="store_true", help="SEARCH_CACHE_SIZE=0 (response cache off)."
    )
    parser.add_argument(
        "--no-analytics", action="store_true", help="SEARCH_ANALYTICS=false for the server."
    )
    parser.add_argument("--arenas", type=int, help="MALLOC_ARENA_MAX for the server.")
    args = parser.parse_args(argv)
    os.environ.setdefault("SEARCH_LOG_LEVEL", "warning")
    figures = run(
        args.minutes,
        args.clients,
        args.count,
        args.workers,
        args.seed,
        cache=not args.no_cache,
        analytics=not args.no_analytics,
        arenas=args.arenas,
    )
    parameters = {
        "minutes": args.minutes,
        "clients": args.clients,
        "count": args.count,
        "workers": args.workers,
        "seed": args.seed,
        "no_cache": args.no_cache,
        "no_analytics": args.no_analytics,
        "arenas": args.arenas,
    }
    path = write_result("soak", parameters, figures)
    print(json.dumps({k: figures[k] for k in ("requests", "failed", "builds", "memory")}))
    print(path)
    return 0 if all(figures["verdict"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
