"""What every benchmark shares: the machine's description, latency statistics, results files.

Every benchmark writes one JSON file to `bench/results/` with the same envelope
(benchmark name, when, git commit, machine, parameters, figures) so that
`bench/report.py` can turn them all into the one table the README links to.
"""

from __future__ import annotations

import compileall
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = BENCH_DIR / "data"


def cpu_model() -> str:
    """The CPU model as /proc/cpuinfo names it (the platform module only knows the arch)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


#: The load average as this benchmark's process started (each step of `run_all` is a
#: process of its own): read when its results file is written, minutes later, it would
#: count the benchmark's own load.
LOAD_AVERAGE_AT_START: Final = [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Enough about the machine to compare two results files honestly."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(LOAD_AVERAGE_AT_START),
        "python_work_ms": python_work_ms(),
        "packages": package_versions(),
    }


#: The installed packages whose versions move the figures: the index's format and
#: arrays, the HTTP stack and its JSON. Their ranges in pyproject.toml are open, and
#: every new machine installs the newest.
MEASURED_PACKAGES = (
    "whoosh-reloaded",
    "numpy",
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "uvicorn",
    "uvloop",
    "httptools",
    "orjson",
)


def package_versions() -> dict[str, str | None]:
    """The version of each of `MEASURED_PACKAGES` installed (None: not installed).

    A fresh machine installs the project anew, and two runs of the same code may then
    differ in their packages: a worker's private memory rose by 3-5 MiB, the supervisor's
    too, between two runs of the same commit on 2026-12-05, the second on a new machine,
    with no record of what the first had installed.
    """
    versions: dict[str, str | None] = {}
    for name in MEASURED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def compile_package(package: Path = REPO_ROOT / "search_service") -> None:
    """Write the package's bytecode, as installing it does (pip compiles what it installs).

    This machine's environment sets `PYTHONDONTWRITEBYTECODE` (so does the Dockerfile,
    whose `pip install` compiles the package all the same), and the project is installed
    editable: without this, every command a benchmark starts compiled the package's
    modules from source first, about 0.1 s of a build command's start on this machine
    (bench/README.md, "Bytecode"), which a deployment never pays. Modules already
    compiled and unchanged are only checked.
    """
    compileall.compile_dir(str(package), quiet=1)


def python_work_ms(rounds: int = 5) -> float:
    """Milliseconds one core takes for a fixed piece of Python work (the median of `rounds`).

    The machine these figures come from is a shared virtual machine whose speed moves by
    15-20 % within hours (Whoosh's writer alone: 723 articles/s at 5k one night, 619/s
    the next morning). Written with each results file, this says how fast the machine
    was for it, so two runs can be compared: the same code, a larger figure, a slower hour.
    """
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        _python_work()
        timings.append((time.perf_counter() - started) * 1000.0)
    return round(statistics.median(timings), 2)


def _python_work() -> int:
    """Dictionary, string and integer work, as a search's Python is made of."""
    counts: dict[str, int] = {}
    total = 0
    for number in range(60_000):
        word = f"w{number % 4999}"
        counts[word] = counts.get(word, 0) + 1
        total += len(word.upper())
    return total + len(counts)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values: the ceil(fraction × n)-th (p99 of 300: 297th)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


def latency_summary(samples_ms: Iterable[float]) -> dict[str, float | int]:
    """Median, p95, p99, mean and max of latencies in milliseconds."""
    values = sorted(samples_ms)
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 4),
        "p95_ms": round(percentile(values, 0.95), 4),
        "p99_ms": round(percentile(values, 0.99), 4),
        "mean_ms": round(statistics.fmean(values), 4),
        "max_ms": round(values[-1], 4),
    }


def time_calls(
    call: Callable[[Any], object], arguments: list[Any], repeat: int = 1, warmup: int = 1
) -> dict[str, float | int]:
    """Latency of `call(arg)` for every argument, after `warmup` untimed passes.

    Each argument is timed `repeat` times in rounds (not back to back) so a
    cache in the system under test only helps as much as it would across real
    visitors asking a mix of queries.
    """
    for _ in range(warmup):
        for argument in arguments:
            call(argument)
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(repeat):
        for argument in arguments:
            start = clock()
            call(argument)
            samples.append((clock() - start) * 1000.0)
    return latency_summary(samples)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def directory_size_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return round(total / 2**20, 2)


def write_result(name: str, parameters: dict[str, Any], figures: dict[str, Any]) -> Path:
    """Write `bench/results/<name>.json` in the shared envelope and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "parameters": parameters,
        "figures": figures,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def read_results(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every results file (of `folder`), by file stem."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        found[path.stem] = json.loads(path.read_text())
    return found
