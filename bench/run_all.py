"""Run every benchmark in order, then regenerate RESULTS.md.

Each step is the same command as in bench/README.md, run as its own process
(so one step's memory does not weigh on the next). `--quick` runs a small
version (2,000 articles, fewer queries) to check that everything works.

    python -m bench.run_all            # 5k, 50k and 100k articles: 40-70 min on 2 cores
    python -m bench.run_all --quick    # 2,000 articles: a few minutes

A run replaces figures RESULTS.md shows (`--quick` too: it rewrites relevance.json). On a
machine much slower than the one they were measured on (`machine_check`), it stops before
the first step unless `--anyway`.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any, Final

from bench import callgrind
from bench.common import REPO_ROOT, python_work_ms, read_results

#: How much slower than the machine of the results shown (their `python_work_ms`) a whole
#: run may start. The machine is shared and its speed moves by hours (2026-12-06: Whoosh's
#: writer alone 228-554 articles/s within an hour, 729 in the run shown); a run on a
#: machine a quarter slower or more replaces the figures with the machine's, not the
#: code's.
SLOWER_THAN_SHOWN: Final = 1.25
#: `run_all`'s exit when it did not run for the machine (2 is argparse's, for a wrong option).
MACHINE_TOO_SLOW: Final = 3


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
        # The ceiling of the Whoosh writer for our schema, beside the build rate (issue 11):
        # right after the build, since this machine's speed moves within minutes.
        ["bench.plain_whoosh_rate", "bench/data/synthetic-5000-seed1/articles.jsonl",
         "--procs", "2", "--our-schema"],
        ["bench.http_load", "--count", "5000", "--workers", "1"],
        ["bench.http_load", "--count", "5000", "--workers", "1", *wrk],
        ["bench.http_load", "--count", "5000", "--workers", "2", *wrk],
        ["bench.http_load", "--count", "5000", "--workers", "2", *visitors, *wrk],
        ["bench.peers", "--count", "5000"],
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
    if not callgrind.missing_tools():
        # Instructions per request (callgrind), which the machine's speed does not move: last.
        planned += [
            ["bench.request_cost"],
            ["bench.request_cost", "--mix", "http-list", "--requests", "500"],
            ["bench.http_load", "--count", "5000", "--compare-analytics",
             "--callgrind", "200", "--rounds", "0"],
        ]  # fmt: skip
    return [step for i, step in enumerate(planned) if step not in planned[:i]]


def _plausible_ms(work: object) -> float | None:
    """`work` if a results file could have written it: a positive, finite number (not a bool)."""
    if isinstance(work, bool) or not isinstance(work, int | float):
        return None
    return float(work) if math.isfinite(work) and work > 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles, to check the set-up.")
    parser.add_argument(
        "--skip-large", action="store_true", help="Leave out the 100,000-article runs."
    )
    parser.add_argument(
        "--anyway",
        action="store_true",
        help="Run even on a machine over a quarter slower than the results shown were measured on.",
    )
    args = parser.parse_args(argv)
    if not args.anyway:
        reason = machine_check(read_results(), python_work_ms())
        if reason is not None:
            print(f"not run: {reason}", flush=True)
            return MACHINE_TOO_SLOW
    failed = run_steps(steps(args.quick, args.skip_large))
    if failed:
        print(
            f"{len(failed)} step(s) failed: {'; '.join(failed)}. Their results files, if any, "
            "are from earlier runs: the report shows those.",
            flush=True,
        )
    failed += run_steps([["bench.report"]])
    return 1 if failed else 0


def machine_check(results: Mapping[str, Any], now_ms: float) -> str | None:
    """Why a run should not replace `results` (`read_results`) now (None: go ahead).

    `now_ms` is this machine's `python_work_ms` now; the results' is the median of their
    files' (each file measures it as it is written; files from before it have none).
    """
    recorded = []
    for document in results.values():
        machine = document.get("machine") if isinstance(document, dict) else None
        work = machine.get("python_work_ms") if isinstance(machine, dict) else None
        if (measure := _plausible_ms(work)) is not None:
            recorded.append(measure)
    if not recorded:
        return None
    shown = statistics.median(recorded)
    if now_ms <= shown * SLOWER_THAN_SHOWN:
        return None
    return (
        f"the machine is {now_ms / shown:.1f}x slower than when the results shown were "
        f"measured (a fixed piece of Python work, `python_work_ms`: {now_ms:.1f} ms now, "
        f"{shown:.1f} ms the median of their files), so the run would record the machine "
        "rather than the code; run it later, or with --anyway"
    )


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
