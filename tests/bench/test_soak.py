"""The soak's own parts: the memory verdict, the request mix, its section of RESULTS.md."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.report import soak_section
from bench.soak import memory_growth, request_stream, server_errors

REPO_ROOT = Path(__file__).resolve().parents[2]


def samples(heaps: list[float], every: float = 5.0) -> list[dict[str, float]]:
    return [{"t": n * every, "heap_mib": heap, "rss_mib": heap * 2} for n, heap in enumerate(heaps)]


def test_memory_growth_compares_the_minute_after_the_first_with_the_last() -> None:
    # 10 minutes, a sample every 5 s: warm-up to 200 MiB in the first minute, a saw
    # between 190 and 210 afterwards (mean 200), and 220 for the last minute.
    warm = [100.0 + n * 8 for n in range(12)]
    saw = [190.0, 210.0] * 48
    heaps = warm + saw + [220.0] * 13  # t = 0..600 s
    found = memory_growth(samples(heaps), 600)
    assert (found["baseline_from_s"], found["window_s"]) == (60.0, 60.0)
    assert found["heap_baseline_mib"] == 200.0
    assert found["heap_end_mib"] == 220.0
    assert found["heap_growth_pct"] == 10.0
    assert found["heap_peak_mib"] == 220.0


def test_a_short_run_compares_its_second_third_with_its_last() -> None:
    found = memory_growth(samples([100.0, 150.0, 160.0, 170.0, 180.0, 190.0, 200.0]), 30)
    assert found["window_s"] == 10.0
    assert found["heap_baseline_mib"] == 165.0  # t = 10 and 15 s: 160, 170
    assert found["heap_end_mib"] == 190.0  # t = 20 to 30 s: 180, 190, 200


def test_the_request_stream_mixes_searches_completions_articles_and_health(
    tmp_path: Path,
) -> None:
    export = tmp_path / "articles.jsonl"
    generate(300, 5, export, REPO_ROOT / "corpus")
    stream = request_stream(export, ["synthetic-5-1", "synthetic-5-2"], 4000, seed=3)
    kinds = Counter(
        "article" if path.startswith("/articles/") else path.strip("/") for path, _ in stream
    )
    assert len(stream) == 4000
    assert 0.65 < kinds["search"] / 4000 < 0.75
    assert 0.17 < kinds["suggest"] / 4000 < 0.23
    assert 0.03 < kinds["article"] / 4000 < 0.07 and 0.03 < kinds["health"] / 4000 < 0.07
    searches = Counter(str(params) for path, params in stream if path == "/search")
    assert searches.most_common(1)[0][1] > 10  # a visitor stream: popular queries repeat


def soak_document(failed: int, growth: float, minutes: float = 10) -> dict[str, Any]:
    figures = {
        "minutes": minutes,
        "clients": 32,
        "workers": 2,
        "articles": 5000,
        "requests": 50_000,
        "failed": failed,
        "throughput_rps": 80.0,
        "latency": {"median_ms": 300.0, "p99_ms": 1200.0},
        "per_minute": [{"minute": 1, "requests": 5000, "failed": 0, "median_ms": 1, "p99_ms": 2}],
        "generations_served": 12,
        "client_cpu_s": 90.0,
        "builds": {
            "started": 40,
            "published": 20,
            "up_to_date": 0,
            "killed": 20,
            "killed_mid_write": 15,
            "failed": 0,
        },
        "memory": {"heap_growth_pct": growth, "heap_baseline_mib": 200, "heap_end_mib": 210},
    }
    return {"soak": {"figures": figures}}


def test_the_soak_section_marks_each_target_met_or_says_the_gap() -> None:
    met = "\n".join(soak_section(soak_document(failed=0, growth=4.5)))
    assert "| failed requests | 0 | 0 of 50,000 | **met** |" in met
    assert "| < 10 % | 4.5 %" in met and met.count("**met**") == 2
    assert "judged on 10 minutes" not in met
    missed = "\n".join(soak_section(soak_document(failed=3, growth=12.0, minutes=1)))
    assert "gap: 3 failed" in missed and "gap: 2 points over" in missed
    assert "judged on 10 minutes" in missed
    assert soak_section({}) == []


def test_the_soak_counts_exceptions_in_the_server_log_by_their_last_line() -> None:
    log = "\n".join(
        [
            "WARNING could not open the new generation (gone); will retry",
            "Exception in thread open-generation:",
            "Traceback (most recent call last):",
            '  File "engine.py", line 630, in _warm',
            "    for key in reversed(list(previous.cache.keys())):",
            "RuntimeError: OrderedDict mutated during iteration",
            "INFO done",
        ]
    )
    assert server_errors(log) == ["RuntimeError: OrderedDict mutated during iteration"]
    assert server_errors("WARNING slow\nINFO fine") == []


def test_the_soak_section_reports_exceptions_in_the_server_log() -> None:
    document = soak_document(failed=0, growth=4.5)
    document["soak"]["figures"]["server_errors"] = ["RuntimeError: boom"]
    document["soak"]["figures"]["server_error_count"] = 1
    section = "\n".join(soak_section(document))
    assert (
        "| exceptions in the server's log | 0 | 1 | gap: 1 (first: RuntimeError: boom) |" in section
    )
