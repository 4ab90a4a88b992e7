"""Speed of our index build and search core (in-process, no HTTP), and where the time goes.

1. **Build**: the admin's command, `search-service index build --full`, run as
   a subprocess on a corpus folder holding the synthetic export and the
   project's vocabulary: wall time, articles per second, index size on disk,
   peak memory (max RSS of the child processes). Then the same articles
   through `ingest_paths` and `build_from_articles` in-process, timed apart,
   to say which of the two costs.
2. **Search**: `SearchEngine` on that index with its production settings but
   the response cache off, each query kind of `bench.queries` (every request
   asks for facets and snippets: our engine always computes both). *Cold*:
   each query once on a freshly opened engine (nothing decoded yet); *warm*:
   `repeat` rounds after one warm-up round (postings the engine keeps are
   reused): median, p95, p99. `suggest` likewise on
   prefixes of 1-5 letters. Extra rows: two words without snippets (what
   snippets cost), the first search on a fresh thread (it opens that thread's
   searcher), and the cache on (what it buys for repeated queries).
   Serving memory: this process's RSS after all that.
3. **Profile** (`--profile`): cProfile over one round of each query kind; the
   functions with the most own time and the most cumulative time are written
   to the results, so a missed target comes with its cause.

    python -m bench.speed --count 5000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import psutil

from bench.common import (
    DATA_DIR,
    REPO_ROOT,
    RESULTS_DIR,
    compile_package,
    directory_size_mib,
    git_commit,
    latency_summary,
    time_calls,
    write_result,
)
from bench.ours import (
    build_index_from,
    corpus_for,
    ingest_export,
    load_vocabulary,
    new_engine,
    open_engine,
    request_for,
    reusable_index,
)
from bench.queries import KINDS, QuerySet, make_queries, read_articles
from search_service.index import generations


def build_with_cli(corpus_dir: Path, index_dir: Path, count: int) -> dict[str, Any]:
    """The admin's build command in a child process: wall time and the child's peak memory."""
    if index_dir.exists():
        import shutil

        shutil.rmtree(index_dir)
    command = [
        str(Path(sys.executable).parent / "search-service"),
        "index", "build", "--full", "--corpus", str(corpus_dir), "--index", str(index_dir),
    ]  # fmt: skip
    compile_package()
    commit = git_commit()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, cwd=REPO_ROOT)
        ended, tree_peak = wait_sampling_memory(child)
        seconds = ended - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if child.returncode != 0:
        raise RuntimeError(f"build failed ({child.returncode}): {stderr[-2000:]}")
    return {
        "command": " ".join(command[1:]),
        "git_commit_at_start": commit,
        "seconds": round(seconds, 2),
        "articles": count,
        "articles_per_s": round(count / seconds, 1),
        "size_mib": directory_size_mib(index_dir),
        "peak_rss_mib": round(max(tree_peak / 2**20, max(peak, before) / 1024), 1),
        "peak_rss_note": "largest summed RSS of the build's processes (sampled every 0.2 s), "
        "or of its largest process if that is more",
        "peak_rss_one_process_mib": round(max(peak, before) / 1024, 1),
        "report_tail": stdout.strip().splitlines()[-6:],
    }


#: How often `wait_sampling_memory` sums the RSS of the build's processes.
MEMORY_SAMPLE_SECONDS: Final = 0.2


def wait_sampling_memory(
    child: subprocess.Popen[str], every: float = MEMORY_SAMPLE_SECONDS
) -> tuple[float, int]:
    """Wait for `child`, summing the RSS of it and its descendants every `every` seconds
    on a thread of its own: when it ended (`time.perf_counter()`) and the largest sum.

    The wait itself blocks on the child, so the build's time stops when it ends. Sleeping
    between samples in the waiting loop, as this did before, stopped the clock at the
    first sample after the end: 0.1 s more on average, 1.4 % of a 5k build.
    """
    parent = psutil.Process(child.pid)  # before the wait: the child cannot be gone yet
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(parent))
            stop.wait(every)

    sampler = threading.Thread(target=sample, name="build-memory", daemon=True)
    sampler.start()
    try:
        child.wait()
        ended = time.perf_counter()
    finally:
        stop.set()
        sampler.join()
    return ended, peak


def _tree_rss(parent: psutil.Process) -> int:
    """The summed RSS of `parent` and its descendants (those that end meanwhile left out)."""
    total = 0
    try:
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def earlier_build_figures(count: int, index_dir: Path) -> dict[str, Any]:
    """With `--reuse-index`: the build figures of the run that built the index, marked as such.

    Nothing ({}) when the results file is another build's (its report published another
    generation than the one live in `index_dir`): a run whose results were not kept may
    have built the index since.
    """
    import json

    path = RESULTS_DIR / f"speed-{count}.json"
    live = generations.live_generation(index_dir)
    if not path.exists() or live is None:
        return {}
    earlier = json.loads(path.read_text())
    command = earlier["figures"].get("build_command", {})
    if f"published {live.name} " not in " ".join(command.get("report_tail", [])):
        return {}
    kept = {k: v for k, v in earlier["figures"].items() if k.startswith("build_")}
    for figures in kept.values():
        figures.setdefault("from_run_finished_at", earlier.get("finished_at"))
    return kept


def build_in_process(export: Path, index_dir: Path, vocabulary: Any) -> dict[str, Any]:
    """Ingest and index timed apart (the same code the command runs)."""
    articles, ingest_seconds = ingest_export(export, vocabulary)
    _report, build_seconds = build_index_from(articles, index_dir)
    return {
        "articles": len(articles),
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_articles_per_s": round(len(articles) / ingest_seconds, 1),
        "index_seconds": round(build_seconds, 2),
        "index_articles_per_s": round(len(articles) / build_seconds, 1),
    }


def time_search(engine: Any, queries: QuerySet, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in KINDS:
        requests = [request_for(q) for q in queries.queries[kind]]
        figures[kind] = time_calls(engine.search, requests, repeat=repeat)
        totals = [engine.search(r).total for r in requests]
        figures[kind]["mean_total"] = round(sum(totals) / len(totals), 1)
    figures["suggest"] = time_calls(engine.suggest, queries.suggest, repeat=repeat)
    return figures


def time_cold(index_dir: Path, vocabulary: Any, queries: QuerySet) -> dict[str, Any]:
    """Each query once on a freshly opened engine per kind: nothing of it is in any cache yet.

    The engine keeps decoded postings between requests, so the warm figures are
    those of queries (or words) asked before; these are those of the long tail.
    """
    figures: dict[str, Any] = {}
    for kind in KINDS:
        engine = open_engine(index_dir, vocabulary)
        requests = [request_for(q) for q in queries.queries[kind]]
        figures[kind] = time_calls(engine.search, requests, repeat=1, warmup=0)
        del engine
    return figures


def time_fresh_threads(engine: Any, queries: QuerySet, count: int = 30) -> dict[str, Any]:
    """The first search on a new thread: it opens that thread's Whoosh searcher.

    In the service this happens whenever the thread pool starts a thread: at
    start-up, under a burst, and after a quiet spell (AnyIO's worker threads
    exit after 10 s idle), so it is part of what visitors see.
    """
    import threading

    requests = [request_for(q) for q in queries.queries["two_words"][:count]]
    samples: list[float] = []

    def first_search(request: Any) -> None:
        start = time.perf_counter()
        engine.search(request)
        samples.append((time.perf_counter() - start) * 1000.0)

    for request in requests:
        thread = threading.Thread(target=first_search, args=(request,))
        thread.start()
        thread.join()
    return {"two_words_on_a_fresh_thread": latency_summary(samples)}


def time_without_snippets(engine: Any, queries: QuerySet, repeat: int) -> dict[str, Any]:
    """The same requests without snippets: what snippets cost, by difference."""
    requests = [replace(request_for(q), snippets=False) for q in queries.queries["two_words"]]
    return {"two_words_without_snippets": time_calls(engine.search, requests, repeat=repeat)}


def time_cached(index_dir: Path, vocabulary: Any, queries: QuerySet, repeat: int) -> dict[str, Any]:
    """The production cache on: the second and later asks of a query are dictionary hits."""
    engine = open_engine(index_dir, vocabulary, cache_size=512)
    requests = [request_for(q) for q in queries.queries["two_words_facets_filter"]]
    return {"two_words_facets_filter_cached": time_calls(engine.search, requests, repeat=repeat)}


def profile_kinds(engine: Any, queries: QuerySet, top: int = 12) -> dict[str, Any]:
    """Own-time and cumulative-time leaders of each query kind (and suggest), by cProfile."""
    found: dict[str, Any] = {}
    calls: dict[str, tuple[Any, list[Any]]] = {
        kind: (engine.search, [request_for(q) for q in queries.queries[kind]]) for kind in KINDS
    }
    calls["suggest"] = (engine.suggest, list(queries.suggest))
    for kind, (function, arguments) in calls.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for argument in arguments:
            function(argument)
        profiler.disable()
        found[kind] = {
            "by_own_time": _leaders(profiler, "tottime", top),
            "by_cumulative_time": _leaders(profiler, "cumulative", top),
        }
    return found


def _leaders(profiler: cProfile.Profile, key: str, top: int) -> list[str]:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats(key)
    rows: list[tuple[float, float, int, str]] = []
    for (filename, line, function), (
        _cc,
        ncalls,
        tottime,
        cumtime,
        _callers,
    ) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{_short(filename)}:{line}({function})"
        rows.append((tottime, cumtime, ncalls, where))
    index = 0 if key == "tottime" else 1
    rows.sort(key=lambda r: r[index], reverse=True)
    return [
        f"{r[0] * 1000:9.1f} ms own {r[1] * 1000:9.1f} ms cum {r[2]:8d} calls  {r[3]}"
        for r in rows[:top]
    ]


def _short(filename: str) -> str:
    for marker in ("site-packages/", "search_service/", "lib/python3"):
        if marker in filename:
            return filename[filename.index(marker) :]
    return filename


def time_files_check(index_dir: Path) -> dict[str, Any]:
    """Wall time of checking the live generation's files against its manifest: as opening
    it does where it was built (sizes, and the checksums of files not verified here), and
    as the first opening of a copy does on a replica (every file's SHA-256, its pages
    cached by that opening, as they are when a copy has just been written)."""
    live = generations.live_generation(index_dir)
    assert live is not None
    started = time.perf_counter()
    damage = generations.damage_before_serving(live)
    checked_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    generations.damage(live, thorough=True)
    first_ms = (time.perf_counter() - started) * 1000
    recorded = live.manifest.get(generations.FILES_KEY, {})
    return {
        "files_check_ms": round(checked_ms, 1),
        "copy_first_open_check_ms": round(first_ms, 1),
        "files_mib": round(sum(file["size"] for file in recorded.values()) / 2**20, 1),
        "damage": damage,
    }


def run(
    export: Path,
    count: int,
    repeat: int,
    per_kind: int,
    profile: bool,
    build: bool,
    in_process: bool = True,
) -> dict[str, Any]:
    work = DATA_DIR / f"speed-{count}"
    corpus_dir = corpus_for(export, work / "corpus")
    index_dir = work / "indexes"
    figures: dict[str, Any] = {"articles": count}
    if build or not reusable_index(index_dir):
        if not build:
            print(f"--reuse-index: no index of the code's schema in {index_dir}", flush=True)
        print("build: search-service index build --full ...", flush=True)
        figures["build_command"] = build_with_cli(corpus_dir, index_dir, count)
        print(f"build: {figures['build_command']}", flush=True)
        vocabulary = load_vocabulary()
        if in_process:
            in_process_dir = work / "index-in-process"
            figures["build_in_process"] = build_in_process(export, in_process_dir, vocabulary)
            print(f"build in process: {figures['build_in_process']}", flush=True)
    else:
        figures.update(earlier_build_figures(count, index_dir))
    vocabulary = load_vocabulary()
    queries = make_queries(read_articles(export), per_kind=per_kind)
    rss_before = psutil.Process(os.getpid()).memory_info().rss
    engine = new_engine(index_dir, vocabulary)
    opening = time.perf_counter()
    engine.generation()
    open_ms = (time.perf_counter() - opening) * 1000
    rss_open = psutil.Process(os.getpid()).memory_info().rss
    print("search: each query once on a fresh engine (cold) ...", flush=True)
    figures["search_cold"] = time_cold(index_dir, vocabulary, queries)
    print("search: timing query kinds, warm ...", flush=True)
    figures["search"] = time_search(engine, queries, repeat)
    figures["search"].update(time_without_snippets(engine, queries, repeat))
    figures["search"].update(time_fresh_threads(engine, queries))
    figures["search"].update(time_cached(index_dir, vocabulary, queries, repeat))
    rss_after = psutil.Process(os.getpid()).memory_info().rss
    figures["open"] = {
        "ms": round(open_ms, 1),
        "serving_view": bool(engine.generation().view.compiled),
        **time_files_check(index_dir),
        "note": "wall time of opening the live generation (SearchEngine.generation() of an "
        "engine made beforehand, in a process that has imported the engine's and the "
        "vocabulary's modules, as a serving process opening a newly published generation "
        "has), vocabulary included; files_check_ms: the part of it that compares "
        "the files with the manifest (sizes; SHA-256 of files not verified on this "
        "machine: none where it was built), timed again alone; copy_first_open_check_ms: "
        "every file's SHA-256, what the first opening of a copy on a replica adds",
    }
    figures["memory"] = {
        "engine_open_mib": round((rss_open - rss_before) / 2**20, 1),
        "process_rss_after_search_mib": round(rss_after / 2**20, 1),
    }
    for kind, row in figures["search"].items():
        median, p95, p99 = row["median_ms"], row["p95_ms"], row["p99_ms"]
        print(f"  {kind:32s} median {median:8.3f}  p95 {p95:8.3f}  p99 {p99:8.3f} ms")
    if profile:
        print("profile: cProfile per kind ...", flush=True)
        figures["profile"] = profile_kinds(engine, queries)
    return figures


def main(argv: list[str] | None = None) -> int:
    from bench.generate import default_path, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=5000, help="Synthetic articles (generated if missing)."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-kind", type=int, default=100, help="Queries of each kind.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed rounds over the queries.")
    parser.add_argument("--no-profile", action="store_true", help="Skip the cProfile pass.")
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="Skip the build if an index written with the code's schema exists.",
    )
    parser.add_argument(
        "--no-in-process-build",
        action="store_true",
        help="Skip the second, in-process build that times ingest and indexing apart.",
    )
    args = parser.parse_args(argv)
    export = default_path(args.count, args.seed)
    if not export.exists():
        generate(args.count, args.seed, export, REPO_ROOT / "corpus")
    figures = run(
        export,
        args.count,
        args.repeat,
        args.per_kind,
        profile=not args.no_profile,
        build=not args.reuse_index,
        in_process=not args.no_in_process_build,
    )
    parameters = {
        "articles_file": str(export),
        "seed": args.seed,
        "per_kind": args.per_kind,
        "repeat": args.repeat,
        "cache": "off (cache_size=0) except the *_cached row",
    }
    print(write_result(f"speed-{args.count}", parameters, figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
