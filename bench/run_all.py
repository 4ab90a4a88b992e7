"""Run every benchmark in order, then regenerate RESULTS.md.

Each step is the same command as in bench/README.md, run as its own process
(so one step's memory does not weigh on the next). `--quick` runs a small
version (2,000 articles, fewer queries) to check that everything works.

    python -m bench.run_all            # 5k, 50k and 100k articles: 30-60 min on 2 cores
    python -m bench.run_all --quick    # 2,000 articles: a few minutes
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from bench.common import REPO_ROOT


def steps(quick: bool, skip_large: bool) -> list[list[str]]:
    if quick:
        small = ["--count", "2000"]
        return [
            ["bench.speed", *small, "--per-kind", "30", "--repeat", "2"],
            ["bench.http_load", *small, "--requests", "300"],
            ["bench.peers", *small, "--per-kind", "30", "--repeat", "2"],
            ["bench.relevance", *small, "--per-language", "20"],
        ]
    wrk = ["--wrk"] if shutil.which("wrk") else []
    # The service's defaults (response cache on) under a stream of repeating queries.
    visitors = ["--cache", "--zipf", "1", "--requests", "10000"]
    planned = [
        ["bench.speed", "--count", "5000"],
        ["bench.http_load", "--count", "5000", "--workers", "1"],
        ["bench.http_load", "--count", "5000", "--workers", "1", *wrk],
        ["bench.http_load", "--count", "5000", "--workers", "2", *wrk],
        ["bench.http_load", "--count", "5000", "--workers", "2", *visitors, *wrk],
        ["bench.peers", "--count", "5000"],
        # The ceiling of the Whoosh writer for our schema, beside the build rate (issue 11).
        ["bench.plain_whoosh_rate", "bench/data/synthetic-5000-seed1/articles.jsonl",
         "--procs", "2", "--our-schema"],
        ["bench.relevance"],
    ]  # fmt: skip
    if not skip_large:
        # Issue 11's figures at 50k and 100k: opening, build rate and phases (speed), then
        # distinct queries from the first request with 2 workers, sent again warm (http_load).
        planned += [
            ["bench.speed", "--count", "50000", "--per-kind", "50", "--repeat", "2",
             "--no-in-process-build"],
            ["bench.http_load", "--count", "50000", "--workers", "2", "--requests", "1000", *wrk],
            ["bench.speed", "--count", "100000", "--per-kind", "50", "--repeat", "2",
             "--no-in-process-build"],
            ["bench.http_load", "--count", "100000", "--workers", "1", "--requests", "1000", *wrk],
            ["bench.http_load", "--count", "100000", "--workers", "2", "--requests", "1000", *wrk],
            # A worker's memory with the service's defaults (the response cache on).
            ["bench.http_load", "--count", "100000", "--workers", "2", "--requests", "1000",
             "--cache", *wrk],
        ]  # fmt: skip
    return [step for i, step in enumerate(planned) if step not in planned[:i]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles, to check the set-up.")
    parser.add_argument(
        "--skip-large", action="store_true", help="Leave out the 100,000-article runs."
    )
    args = parser.parse_args(argv)
    failed = run_steps(steps(args.quick, args.skip_large))
    if failed:
        print(
            f"{len(failed)} step(s) failed: {'; '.join(failed)}. Their results files, if any, "
            "are from earlier runs: the report shows those.",
            flush=True,
        )
    failed += run_steps([["bench.report"]])
    return 1 if failed else 0


def run_steps(planned: list[list[str]]) -> list[str]:
    """Run each step as `python -m STEP` in the repository; the commands of those that failed."""
    failed: list[str] = []
    for step in planned:
        command = [sys.executable, "-m", *step]
        print(f"$ python -m {' '.join(step)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command, cwd=REPO_ROOT)
        print(f"  exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(f"python -m {' '.join(step)} (exit {code})")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
