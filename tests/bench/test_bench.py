"""The benchmark's own parts: generator, query sets, statistics, peers and report.

No timing is asserted here: these tests check that the benchmarks measure what
they say (right articles, right queries, right counts, honest verdicts).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields

from bench import speed
from bench.common import compile_package, latency_summary, percentile, read_results
from bench.generate import FIRST_DAY, LAST_DAY, ArticleGenerator, generate, load_names
from bench.ours import reusable_index
from bench.peers import SqliteFts5
from bench.queries import KINDS, BenchQuery, make_queries, read_articles
from bench.report import TARGETS, TARGETS_11, Target, analytics_overhead, render
from search_service.index import generations
from search_service.index import schema as index_module
from search_service.index.build import build_from_articles

from ..conftest import as_compiled_with_a_column_per_field

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def articles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "articles.jsonl"
    generate(600, 3, out, REPO_ROOT / "corpus")
    return out


def test_same_seed_gives_the_same_articles(tmp_path: Path, articles_file: Path) -> None:
    again = tmp_path / "again.jsonl"
    generate(600, 3, again, REPO_ROOT / "corpus")
    assert again.read_bytes() == articles_file.read_bytes()


def test_another_seed_gives_other_articles(tmp_path: Path, articles_file: Path) -> None:
    other = tmp_path / "other.jsonl"
    generate(600, 4, other, REPO_ROOT / "corpus")
    assert other.read_bytes() != articles_file.read_bytes()


def test_a_generation_cut_short_leaves_no_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "articles.jsonl"

    def cut_short(self: ArticleGenerator, count: int) -> Iterator[dict[str, Any]]:
        yield from islice(original(self, count), 10)
        raise KeyboardInterrupt

    original = ArticleGenerator.articles
    monkeypatch.setattr(ArticleGenerator, "articles", cut_short)
    with pytest.raises(KeyboardInterrupt):
        generate(600, 3, out, REPO_ROOT / "corpus")
    assert not out.exists()


def test_articles_are_in_the_export_format_and_marked_synthetic(articles_file: Path) -> None:
    articles = read_articles(articles_file)
    assert len(articles) == 600
    for article in articles:
        assert article["id"].startswith("synthetic-3-")
        assert article["title"] and len(article["body"].split()) >= 40
        assert FIRST_DAY <= dt.date.fromisoformat(article["date"]) <= LAST_DAY
        assert article["language"] in {"en", "fr", "es"}
        assert article["url"].startswith("https://synthetic.invalid/")
        assert isinstance(article["countries"], list) and isinstance(article["partners"], list)
    assert len({a["id"] for a in articles}) == 600


def test_languages_come_in_the_sites_proportions(articles_file: Path) -> None:
    shares = Counter(a["language"] for a in read_articles(articles_file))
    assert 0.53 < shares["en"] / 600 < 0.67
    assert 0.24 < shares["fr"] / 600 < 0.36
    assert 0.06 < shares["es"] / 600 < 0.14


def test_word_frequencies_are_zipf_shaped(articles_file: Path) -> None:
    words = Counter(
        w.lower()
        for a in read_articles(articles_file)
        if a["language"] == "en"
        for w in a["body"].split()
    )
    ranked = [count for _, count in words.most_common()]
    # Zipf: the 10th word is roughly ten times rarer than the first, and most words are rare.
    assert 4 < ranked[0] / ranked[9] < 25
    assert sum(1 for c in ranked if c == 1) > len(ranked) / 3


def test_french_elisions_are_written_with_apostrophes(articles_file: Path) -> None:
    french = " ".join(a["body"] for a in read_articles(articles_file) if a["language"] == "fr")
    assert "l’" in french.lower() or "l'" in french.lower()
    assert " l " not in french


def test_countries_and_partners_are_also_named_in_the_text(articles_file: Path) -> None:
    """Metadata names are written in the article too (canonical name or an alias)."""
    countries, partners = load_names(REPO_ROOT / "corpus")
    names = {entry[0]: entry for entry in countries.entries + partners.entries}
    named = [a for a in read_articles(articles_file) if a["countries"] or a["partners"]]
    assert len(named) > 400
    mentioned = 0
    for article in named:
        text = article["title"] + " " + article["body"]
        wanted = [names[c] for c in article["countries"] + article["partners"]]
        mentioned += any(name in text for entry in wanted for name in entry)
    assert mentioned / len(named) > 0.95


def test_every_query_kind_is_drawn_and_phrases_are_adjacent_words(articles_file: Path) -> None:
    articles = read_articles(articles_file)
    queries = make_queries(articles, per_kind=20)
    assert set(queries.queries) == set(KINDS)
    assert all(len(queries.queries[kind]) == 20 for kind in KINDS)
    bodies = " ".join(a["body"].lower() for a in articles)
    for query in queries.queries["phrase"]:
        assert query.phrase and " ".join(query.words) in bodies
    assert all(q.prefix and len(q.prefix) <= 4 for q in queries.queries["prefix"])
    assert all(q.countries and q.year_from for q in queries.queries["two_words_facets_filter"])
    assert all(q.sort == "newest" for q in queries.queries["browse_newest_facets"])
    assert len(queries.suggest) == 20


def test_queries_are_reproducible(articles_file: Path) -> None:
    articles = read_articles(articles_file)
    assert make_queries(articles, 10).to_json() == make_queries(articles, 10).to_json()


def test_compiling_the_package_writes_every_modules_bytecode_despite_dont_write_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "module.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as PYTHONDONTWRITEBYTECODE=1
    compile_package(package)
    for source in (package / "__init__.py", package / "inner" / "module.py"):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 201)]
    assert percentile(values, 0.99) == 198.0
    assert percentile(values, 0.5) == 100.0
    assert percentile([float(v) for v in range(1, 301)], 0.99) == 297.0
    assert percentile([7.0], 0.99) == 7.0
    summary = latency_summary(reversed(values))
    assert summary["median_ms"] == 100.5
    assert summary["p99_ms"] == 198.0
    assert summary["max_ms"] == 200.0
    assert summary["n"] == 200


def test_sqlite_peer_counts_and_filters_like_the_articles_say(tmp_path: Path) -> None:
    articles = [
        _article("a", "mutual health in Benin", ["Benin"], "2012-03-01"),
        _article("b", "health insurance in Togo", ["Togo"], "2015-05-01"),
        _article("c", "health and education", ["Benin", "Togo"], "2020-01-01"),
    ]
    peer = SqliteFts5()
    peer.build(articles, tmp_path)
    assert peer.search(BenchQuery("one_word", "health", ("health",))) == 3
    assert peer.search(BenchQuery("one_word", "health", ("health",), countries=("Togo",))) == 2
    assert peer.search(BenchQuery("prefix", "insu", (), prefix="insu")) == 1
    assert (
        peer.search(
            BenchQuery("phrase", '"health insurance"', ("health", "insurance"), phrase=True)
        )
        == 1
    )
    filtered = BenchQuery(
        "x", "health", ("health",), countries=("Benin",), year_from=2010, year_to=2014
    )
    assert peer.search(filtered) == 1
    assert dict(peer._facet_counts(filtered, "country")) == {"Benin": 1}  # country filter ignored
    peer.close()


def _article(article_id: str, body: str, countries: list[str], date: str) -> dict[str, Any]:
    return {
        "id": article_id, "title": body.split()[0], "body": body, "date": date,
        "language": "en", "countries": countries, "partners": [],
    }  # fmt: skip


def _results_with(figures: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    machine = {
        "nproc": 2,
        "cpu_model": "cpu",
        "memory_gib": 1,
        "python": "3.11",
        "platform": "linux",
    }
    return {name: {"machine": machine, "figures": figures}}


def test_a_missed_target_shows_its_gap_and_a_met_one_says_met() -> None:
    speed = {"articles": 100000, "build_command": {"articles_per_s": 500.0}}
    results = _results_with(speed, "speed-100000")
    build_target = next(t for t in TARGETS if "build rate" in t.what)
    assert "gap: 1,000 articles/s short (3× to go)" in build_target.row(results)
    ceiling = Target("latency", 10, "ms", False, lambda r: (5.0, "x.json"))
    assert "**met**" in ceiling.row(results)
    over = Target("latency", 10, "ms", False, lambda r: (25.0, "x.json"))
    assert "gap: 15 ms over (2.5× the target)" in over.row(results)


def test_a_build_rate_at_the_whoosh_writers_measured_ceiling_meets_issue_11s_target() -> None:
    """The ceiling is the faster of the writer alone (one commit) and the build's own
    write phase (in batches): beating a slow one-commit writer is not enough."""

    def results(ours: float, writer: float, write_seconds: float) -> Any:
        phases = f"  phases: read 1.0s, write {write_seconds}s, view 2.0s, check 0.5s"
        build = {"articles": 100000, "articles_per_s": ours, "report_tail": [phases]}
        return {
            **_results_with({"build_command": build}, "speed-100000"),
            **_results_with({"articles_per_s": writer}, "whoosh-writer-100000-p2"),
        }

    target = next(t for t in TARGETS_11 if t.what == "100k: index build rate")
    at_ceiling = target.row(results(338, 287, 400.0))
    assert "**met against the measured ceiling** (287 articles/s)" in at_ceiling
    assert "the build's write phase, in batches: 250/s" in at_ceiling
    below_batches = target.row(results(338, 287, 200.0))
    assert "gap: 262 articles/s short" in below_batches
    assert "one commit: 287/s (whoosh-writer-100000-p2.json" in below_batches
    assert "gap: 262 articles/s short" in target.row(results(338, 480, 400.0))
    lower_is_better = Target("x", 10, "ms", False, lambda r: (25.0, "x.json"), lambda r: 5.0)
    assert "gap: 15 ms over" in lower_is_better.row({})


def test_report_marks_unmeasured_targets_and_describes_the_machine() -> None:
    text = render(_results_with({"articles": 10, "systems": {}, "ratios": {}}, "peers-10"))
    assert "2 cores, cpu" in text
    assert text.count("not measured") == len(TARGETS) + len(TARGETS_11)


def test_each_results_file_says_how_fast_the_machine_was_and_the_report_lists_it() -> None:
    from bench.common import machine

    written = machine()["python_work_ms"]
    assert written > 0
    results = _results_with({"articles": 10, "systems": {}, "ratios": {}}, "peers-10")
    results["peers-10"]["machine"]["python_work_ms"] = 13.5
    text = render(results)
    assert "(`machine.python_work_ms`; larger is slower): peers-10 13.5." in text


def test_each_results_file_records_the_load_average_of_its_start_not_of_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from bench import common

    at_start = list(common.LOAD_AVERAGE_AT_START)
    busier = [at_start[0] + 5.0, at_start[1] + 5.0, at_start[2] + 5.0]
    monkeypatch.setattr(os, "getloadavg", lambda: tuple(busier))
    assert common.machine()["load_average_at_start"] == at_start


def test_each_results_file_records_the_measured_packages_and_the_report_lists_each_set() -> None:
    from bench.common import MEASURED_PACKAGES, machine

    written = machine()["packages"]
    assert list(written) == list(MEASURED_PACKAGES)
    assert written["numpy"] and written["whoosh-reloaded"] == "2.7.5"
    results = _results_with({"articles": 10, "systems": {}, "ratios": {}}, "peers-10")
    results["peers-20"] = _results_with({"articles": 20, "systems": {}, "ratios": {}}, "peers-20")[
        "peers-20"
    ]
    results["peers-10"]["machine"]["packages"] = {"numpy": "2.4.6", "uvloop": None}
    results["peers-20"]["machine"]["packages"] = {"numpy": "2.3.0", "uvloop": None}
    text = render(results)
    assert "- Packages (`machine.packages`) of peers-10: numpy 2.4.6, uvloop absent." in text
    assert "- Packages (`machine.packages`) of peers-20: numpy 2.3.0, uvloop absent." in text
    results["peers-20"]["machine"]["packages"] = {"numpy": "2.4.6", "uvloop": None}
    assert "the same in every file that records them): numpy 2.4.6, uvloop absent." in render(
        results
    )


def _http_row(clients: int, p99: float, rps: float, heaps: list[float] | None = None) -> Any:
    row = {"clients": clients, "p99_ms": p99, "median_ms": p99 / 4, "throughput_rps": rps}
    return {**row, "server_heap_per_process_mib": heaps} if heaps else row


def test_issue_11_targets_read_the_two_worker_run_its_warm_resend_and_the_opening() -> None:
    two = {
        "workers": 2,
        "search": [_http_row(1, 8, 150), _http_row(8, 60, 700), _http_row(32, 200, 650, [40, 70])],
        "search_warm_again": _http_row(8, 20, 900),
    }
    one = {"workers": 1, "search": [_http_row(8, 10, 300)]}
    results = {
        **_results_with(two, "http-100000-w2"),
        **_results_with(one, "http-100000-w1"),
        **_results_with({"open": {"ms": 150.0, "files_check_ms": 120.0}}, "speed-100000"),
    }
    rows = {target.what: target.row(results) for target in TARGETS_11}

    assert (
        "| 60 ms | gap: 10 ms over"
        in rows["100k, 2 workers: /search p99, 8 clients, distinct queries"]
    )
    assert (
        "| 700 req/s | **met** | `http-100000-w2.json, best at 8 clients`"
        in rows["100k, 2 workers: /search req/s"]
    )
    assert "| 3 × | gap: 1 × over" in rows["100k: cold p99 / warm p99, 8 clients"]
    assert "| 150 ms | **met** |" in rows["100k: opening a generation"]
    assert "120.0 ms checking the files" in rows["100k: opening a generation"]
    assert "| 70 MiB | gap: 20 MiB over" in rows["100k: private memory of one worker process"]
    assert "heap per process: 40, 70 MiB" in rows["100k: private memory of one worker process"]
    assert "not measured" in rows["50k: opening a generation"]


def test_the_worker_memory_target_reads_private_memory_where_a_run_measured_it() -> None:
    """A forked worker's heap counts the pages it shares with the supervisor; what one more
    worker adds is its private memory."""
    last = {
        **_http_row(32, 20, 650, [48, 118, 114]),
        "server_private_per_process_mib": [21, 92, 87],
    }
    two = {"workers": 2, "search": [_http_row(8, 20, 700), last]}
    target = next(t for t in TARGETS_11 if t.what.startswith("100k: private memory"))

    measured = target.row(_results_with(two, "http-100000-w2"))

    assert "| 92 MiB | gap: 42 MiB over" in measured
    assert "private memory per process: 21, 92, 87 MiB" in measured


def test_a_workers_memory_with_the_defaults_is_read_from_the_run_with_the_cache_on() -> None:
    def run(cache: bool, private: list[float]) -> dict[str, Any]:
        last = {**_http_row(32, 20, 650), "server_private_per_process_mib": private}
        return {"workers": 2, "cache": cache, "search": [_http_row(8, 20, 700), last]}

    results = {
        **_results_with(run(False, [20, 45, 44]), "http-100000-w2-wrk"),
        **_results_with(run(True, [20, 58, 52]), "http-100000-w2-cache-wrk"),
    }
    rows = {target.what: target.row(results) for target in TARGETS_11}

    assert (
        "| 45 MiB | **met** | `http-100000-w2-wrk.json"
        in rows["100k: private memory of one worker process"]
    )
    assert (
        "| 58 MiB | gap: 8 MiB over (1.16× the target) | `http-100000-w2-cache-wrk.json"
        in rows["100k, service defaults (cache on): private memory of one worker process"]
    )


def test_results_files_are_valid_json_in_the_shared_envelope() -> None:
    for path in (REPO_ROOT / "bench" / "results").glob("*.json"):
        document = json.loads(path.read_text())
        assert {"benchmark", "machine", "parameters", "figures"} <= set(document)


def test_the_analytics_comparison_gives_medians_over_rounds_and_the_change() -> None:
    from bench.http_load import _change

    def row(clients: int, rps: float, p99: float, cpu: float) -> dict[str, Any]:
        return {
            "clients": clients,
            "throughput_rps": rps,
            "p99_ms": p99,
            "median_ms": p99 / 2,
            "server_cpu_ms_per_request": cpu,
        }

    rows = {
        "off": [row(1, 100, 10, 2.0), row(8, 400, 40, 2.0), row(1, 110, 30, 2.2)],
        "on": [row(1, 100, 11, 2.1), row(8, 390, 44, 2.1), row(1, 90, 12, 2.1)],
    }

    change = _change(rows, 1)

    assert change["throughput_rps"] == {"off": 105, "on": 95, "change_percent": -9.52}
    assert change["p99_ms"]["off"] == 20 and change["p99_ms"]["on"] == 11.5
    assert change["server_cpu_ms_per_request"]["change_percent"] == 0.0


def test_the_analytics_comparison_is_a_target_and_a_section_of_its_own() -> None:
    figures = {
        "articles": 5000,
        "workers": 1,
        "cache": False,
        "instructions": {
            "searches": 200,
            "warm_up": 20,
            "per_search": {"off": 20_000_000, "on": 20_300_000},
            "analytics_per_search": 300_000,
            "change_percent": 1.5,
        },
        "load_average_at_end": [2.5],
    }
    results = _results_with(figures, "http-5000-w1-analytics")

    text = render(results)

    assert "| 5k: search analytics on, instructions per /search (issue 13) | ≤ 5 % | 1.5 % |" in (
        text
    )
    assert "## Search analytics off and on (issue 13)" in text
    assert "| 20,000,000 | 20,300,000 | 300,000 | 1.5 % |" in text
    # Not mistaken for a load run of the service: its HTTP targets stay unmeasured.
    assert text.count("not measured") == len(TARGETS) - 1 + len(TARGETS_11)


def test_the_analytics_section_lists_the_count_of_each_heap_layout_it_averaged() -> None:
    instructions = {
        "searches": 200,
        "warm_up": 20,
        "heap_pads": [0, 1000, 3777],
        "per_layout": {"off": [4_907_543, 4_918_420, 4_917_790], "on": [5_1, 5_2, 5_3]},
        "per_search": {"off": 4_914_584, "on": 52},
        "analytics_per_search": 0,
        "change_percent": 0.0,
    }
    figures = {"articles": 5000, "workers": 1, "cache": False, "instructions": instructions}

    text = render(_results_with(figures, "http-5000-w1-analytics"))

    assert "Each the mean of 3 children" in text
    assert "off 4,907,543, 4,918,420, 4,917,790; on 51, 52, 53." in text


def test_the_analytics_target_reads_the_newest_comparison_that_counted_instructions() -> None:
    def comparison(change: float, finished_at: str) -> dict[str, Any]:
        instructions = {
            "searches": 200,
            "warm_up": 20,
            "per_search": {"off": 10_000_000, "on": 10_000_000},
            "analytics_per_search": 0,
            "change_percent": change,
        }
        figures = {"articles": 5000, "workers": 1, "cache": False, "instructions": instructions}
        return {"finished_at": finished_at, "figures": figures}

    results = {
        "http-5000-w1-analytics": comparison(2.59, "2026-12-03T17:54:28+00:00"),
        "http-5000-w1-analytics-wrk": comparison(0.2, "2026-12-05T05:01:31+00:00"),
    }

    assert analytics_overhead(results) == (0.2, "http-5000-w1-analytics-wrk.json, callgrind")


def test_a_comparison_says_whether_its_writer_wrote_a_transaction_per_search() -> None:
    """The writer once polled its queue under callgrind, so a transaction held as many
    records as its thread's timing allowed: such counts are marked as varying."""

    def comparison(writer: str) -> dict[str, Any]:
        instructions = {
            "searches": 200,
            "warm_up": 20,
            "writer": writer,
            "per_search": {"off": 10_000_000, "on": 10_500_000},
            "analytics_per_search": 500_000,
            "change_percent": 5.0,
        }
        figures = {"articles": 5000, "workers": 1, "cache": False, "instructions": instructions}
        return {"finished_at": "2026-12-05T06:50:00+00:00", "figures": figures}

    flushed = {"http-5000-w1-analytics": comparison("one transaction per record, flushed")}
    polled = {"http-5000-w1-analytics": comparison("one transaction per record")}

    flushed_overhead, polled_overhead = analytics_overhead(flushed), analytics_overhead(polled)
    assert flushed_overhead is not None and polled_overhead is not None
    assert "a transaction per search" in flushed_overhead[1]
    assert "a transaction per search" not in polled_overhead[1]
    assert "polling its queue" in render(
        _results_with(polled["http-5000-w1-analytics"]["figures"], "http-5000-w1-analytics")
    )
    assert "polling its queue" not in render(
        _results_with(flushed["http-5000-w1-analytics"]["figures"], "http-5000-w1-analytics")
    )


def _results_measured_at(folder: Path, *work_ms: float) -> dict[str, dict[str, Any]]:
    """Results files measured at `work_ms`, and one from before the measure, read back."""
    folder.mkdir()
    for number, work in enumerate(work_ms):
        document = {"benchmark": f"b{number}", "machine": {"python_work_ms": work}}
        (folder / f"b{number}.json").write_text(json.dumps(document))
    (folder / "older.json").write_text(json.dumps({"benchmark": "older", "machine": {}}))
    return read_results(folder)


def test_a_whole_run_on_a_much_slower_machine_says_why_it_should_wait(tmp_path: Path) -> None:
    from bench.run_all import machine_check

    # The median, not the mean (22.1): one file written in a slow hour moves it little.
    results = _results_measured_at(tmp_path / "results", 13.0, 13.4, 40.0)
    reason = machine_check(results, 20.1)
    assert reason is not None
    assert "1.5x slower" in reason and "20.1 ms now, 13.4 ms" in reason
    assert machine_check(results, 16.7) is None  # within a quarter of the median
    assert machine_check({}, 40.0) is None  # no results yet: nothing to keep


def test_the_machine_check_reads_only_plausible_measures() -> None:
    from bench.run_all import machine_check

    measures: list[Any] = [13.4, True, None, -1, "x", math.inf]
    results: dict[str, Any] = {
        f"b{number}": {"machine": {"python_work_ms": work}} for number, work in enumerate(measures)
    }
    results["list"] = [1, 2]
    results["machine-not-a-dict"] = {"machine": "fast"}
    assert machine_check(results, 16.7) is None
    assert machine_check(results, 20.1) is not None  # against 13.4, the one plausible file


def test_run_all_stops_before_any_step_unless_asked_to_run_anyway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import run_all

    ran: list[list[list[str]]] = []

    def run_steps(planned: list[list[str]]) -> list[str]:
        ran.append(planned)
        return []

    monkeypatch.setattr(run_all, "machine_check", lambda results, now: "too slow")
    monkeypatch.setattr(run_all, "python_work_ms", lambda: 40.0)
    monkeypatch.setattr(run_all, "run_steps", run_steps)
    assert run_all.main([]) == run_all.MACHINE_TOO_SLOW
    assert run_all.main(["--quick"]) == run_all.MACHINE_TOO_SLOW  # it rewrites relevance.json
    assert ran == []
    assert run_all.main(["--anyway"]) == 0
    assert ran[0] == run_all.steps(False, False)


def test_run_all_names_the_steps_that_failed() -> None:
    from bench.run_all import run_steps

    failed = run_steps([["json.tool", "--help"], ["bench.no_such_step"]])
    assert failed == ["python -m bench.no_such_step (exit 1)"]


def test_relevance_without_its_evaluation_data_says_what_is_missing_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.relevance import main

    (tmp_path / "corpus.jsonl").write_text("{}\n")
    with pytest.raises(SystemExit) as stopped:
        main(["--scifact", str(tmp_path)])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert f"no SciFact data in {tmp_path} (queries.jsonl, qrels/test.tsv missing)" in said


def test_the_whoosh_writer_alone_is_timed_right_after_the_build_it_is_shown_beside() -> None:
    from bench.run_all import steps

    planned = steps(quick=False, skip_large=True)
    build = planned.index(["bench.speed", "--count", "5000"])

    assert planned[build + 1] == [
        "bench.plain_whoosh_rate",
        "bench/data/synthetic-5000-seed1/articles.jsonl",
        "--procs",
        "2",
        "--our-schema",
    ]


def test_a_cached_index_is_measured_again_only_if_written_with_the_codes_schema(
    tmp_path: Path, varied_articles: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "synthetic-20-index"
    assert not reusable_index(index_dir)
    build_from_articles(varied_articles[:20], index_dir)
    assert reusable_index(index_dir)
    original = index_module.make_schema

    def with_a_region() -> fields.Schema:
        schema = original()
        schema.add("region", fields.ID(stored=True))
        return schema

    with monkeypatch.context() as patch:
        patch.setattr(index_module, "make_schema", with_a_region)  # the code's fingerprint
        assert not reusable_index(index_dir)
    (index_dir / generations.POINTER_FILE).write_text("{damaged", encoding="utf-8")
    assert not reusable_index(index_dir)


def test_a_cached_index_whose_view_is_of_an_older_version_is_built_again(
    tmp_path: Path, varied_articles: list[Any]
) -> None:
    """Served, but not what a build makes now: its figures would not be the code's."""
    index_dir = tmp_path / "synthetic-20-index"
    build_from_articles(varied_articles[:20], index_dir)
    live = generations.live_generation(index_dir)
    assert live is not None and reusable_index(index_dir)
    as_compiled_with_a_column_per_field(live.path)
    assert not reusable_index(index_dir)


def test_a_reused_index_takes_the_build_figures_of_the_run_that_published_it(
    tmp_path: Path, varied_articles: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "indexes"
    build_from_articles(varied_articles[:20], index_dir)
    live = generations.live_generation(index_dir)
    assert live is not None
    results = tmp_path / "results"
    results.mkdir()
    monkeypatch.setattr(speed, "RESULTS_DIR", results)

    def earlier_run(published: str) -> None:
        tail = [
            f"  published {published} in 6.8s (20 articles indexed, 740/s over the whole build)"
        ]
        figures = {"build_command": {"articles_per_s": 700.0, "report_tail": tail}}
        document = {"finished_at": "2026-12-06T04:40:26+00:00", "figures": figures}
        (results / "speed-20.json").write_text(json.dumps(document), encoding="utf-8")

    assert speed.earlier_build_figures(20, index_dir) == {}
    earlier_run(live.name)
    build = speed.earlier_build_figures(20, index_dir)["build_command"]
    assert build["articles_per_s"] == 700.0
    assert build["from_run_finished_at"] == "2026-12-06T04:40:26+00:00"
    earlier_run("gen-20261206T000000000000-abcdef")
    assert speed.earlier_build_figures(20, index_dir) == {}


def _python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code], text=True)


@pytest.mark.timeout(60)
def test_the_build_is_timed_to_its_end_not_to_the_next_memory_sample() -> None:
    started = time.perf_counter()
    child = _python("import time; time.sleep(0.5)")

    ended, peak = speed.wait_sampling_memory(child, every=600)

    assert child.returncode == 0
    assert ended - started < 30  # not the next sample, ten minutes on
    assert peak > 0  # sampled once, as it started


def test_the_builds_memory_is_the_sum_of_its_processes() -> None:
    """Two grandchildren of 64 MiB each: only their sum is over 128 MiB."""
    allocating = "b = b'x' * (64 * 2**20); import time; time.sleep(1.5)"
    child = _python(
        "import subprocess, sys\n"
        f"grandchildren = [subprocess.Popen([sys.executable, '-c', {allocating!r}]) "
        "for _ in range(2)]\n"
        "for grandchild in grandchildren:\n"
        "    grandchild.wait()"
    )

    _ended, peak = speed.wait_sampling_memory(child, every=0.05)

    assert child.returncode == 0
    assert peak > 128 * 2**20


def test_a_whole_run_counts_a_requests_instructions_last_where_valgrind_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The report's request-cost and analytics figures are callgrind's counts: `run_all`
    writes them too, after the timed steps (the machine's speed does not move them)."""
    from bench import callgrind, run_all

    counting = [
        ["bench.request_cost"],
        ["bench.request_cost", "--mix", "http-list", "--requests", "500"],
        ["bench.http_load", "--count", "5000", "--compare-analytics", "--callgrind", "200",
         "--rounds", "0"],
    ]  # fmt: skip
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(callgrind, "HEADER", __file__)  # valgrind's header, here or not
    assert run_all.steps(quick=False, skip_large=False)[-3:] == counting
    assert run_all.steps(quick=False, skip_large=True)[-3:] == counting

    for lacking in ("valgrind", "gcc"):
        monkeypatch.setattr(
            shutil, "which", lambda name, gone=lacking: None if name == gone else f"/bin/{name}"
        )
        assert not [step for step in run_all.steps(False, False) if step in counting]
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(callgrind, "HEADER", "/nowhere/callgrind.h")
    assert not [step for step in run_all.steps(False, False) if step in counting]


def test_a_counted_child_runs_with_a_fixed_hash_seed_and_counts_only_what_it_switches_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a random seed, three counts of the same code read +5.42, +4.88 and +4.51 %
    (e1a238f); counted from the start, two start-ups of the same child differed by
    1,500,130 instructions."""
    from bench import callgrind, http_load

    seen: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], **options: Any) -> None:
        seen.append((command, options["env"]))
        log = next(part for part in command if part.startswith("--log-file="))
        Path(log.removeprefix("--log-file=")).write_text("==1== Collected : 1234\n")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(callgrind, "compile_toggles", lambda folder: folder / "toggles.so")
    monkeypatch.setattr(callgrind, "compile_package", lambda: seen.append((["compiled"], {})))
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(callgrind, "HEADER", __file__)  # valgrind's header, here or not
    counted = http_load.instructions_per_search(Path("x.jsonl"), Path("index"), 20, 200)

    assert counted["per_search"] == {"off": 6, "on": 6}
    # The package's bytecode written before each child: a module changed since was
    # compiled from source in the child, and the count moved with it.
    assert [command for command, _ in seen[::2]] == [["compiled"]] * 6
    seen = seen[1::2]
    for command, env in seen:
        assert "--instr-atstart=no" in command
        assert command[command.index("--toggles") + 1].endswith("toggles.so")
        assert env["PYTHONHASHSEED"] == "0"
        assert env["OPENBLAS_NUM_THREADS"] == "1"
    children = [
        (command[command.index("--analytics-child") + 1], env[callgrind.PAD_VARIABLE])
        for command, env in seen
    ]
    pads = [str(pad) for pad in callgrind.HEAP_PADS]
    assert children == [("off", pad) for pad in pads] + [("on", pad) for pad in pads]
    assert len(set(pads)) >= 3


def test_a_counted_figure_averages_children_of_different_heap_layouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thousand objects made before the app moved the off figure by 10,877 instructions
    a search: each side is the mean of its children, each made its own number first."""
    from bench import callgrind, http_load

    counts = iter([100, 130, 160, 200, 260, 320])
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(callgrind, "HEADER", __file__)
    monkeypatch.setattr(http_load, "counted_instructions", lambda *args: next(counts) * 10)
    monkeypatch.setattr(callgrind, "HEAP_PADS", (0, 1, 2))
    monkeypatch.setattr(http_load, "HEAP_PADS", (0, 1, 2))

    counted = http_load.instructions_per_search(Path("x.jsonl"), Path("index"), 20, 10)

    assert counted["per_layout"] == {"off": [100, 130, 160], "on": [200, 260, 320]}
    assert counted["per_search"] == {"off": 130, "on": 260}
    assert counted["change_percent"] == 100.0


def test_a_counted_child_makes_the_objects_its_parent_asks_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import callgrind

    monkeypatch.setenv(callgrind.PAD_VARIABLE, "25")
    assert len(callgrind.pad_heap()) == 50
    monkeypatch.delenv(callgrind.PAD_VARIABLE)
    assert callgrind.pad_heap() == []


def test_a_counted_child_starts_no_openblas_thread() -> None:
    """numpy's OpenBLAS starts a thread a core that spins by the clock before it sleeps:
    under callgrind that spin moved one start-up's count by 1,500,015 instructions."""
    from bench.callgrind import STEADY_ENVIRONMENT

    threads = "import os, numpy; print(len(os.listdir('/proc/self/task')))"
    env = {**os.environ, **STEADY_ENVIRONMENT}
    found = subprocess.run(
        [sys.executable, "-c", threads], env=env, capture_output=True, text=True, check=True
    )

    assert found.stdout.strip() == "1"


def test_the_analytics_count_covers_the_measured_searches_and_their_records_only(
    tmp_path: Path, varied_articles: list[Any]
) -> None:
    """Switched on after the warm-up's records are written, off once the last measured
    search's record is: the writer's work falls inside the count, none of the warm-up's."""
    import asyncio

    from bench import http_load
    from search_service.analytics.store import FILE_NAME
    from search_service.settings import Settings
    from search_service.web.api import create_app

    index_dir = tmp_path / "index"
    build_from_articles(varied_articles[:20], index_dir)
    data = tmp_path / "data"
    settings = Settings(index_dir=index_dir, data_dir=data, cache_size=0, analytics=True)
    written_at: list[tuple[str, int]] = []

    def records() -> int:
        with sqlite3.connect(data / FILE_NAME) as db:
            return int(db.execute("SELECT COUNT(*) FROM searches").fetchone()[0])

    class Counting:
        def enable(self) -> None:
            written_at.append(("on", records()))

        def disable(self) -> None:
            written_at.append(("off", records()))

    warm_up = [("/search", {"q": "education"}), ("/search", {"q": "health"})]
    measured = [("/search", {"q": "union"}), ("/search", {"q": "mutual"}), ("/search", {"q": "a"})]
    asyncio.run(http_load._drive(create_app(settings), warm_up, measured, Counting()))

    assert written_at == [("on", 2), ("off", 5)]


def test_the_http_list_mix_counts_what_the_8_client_wrk_step_repeats(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, articles_file: Path
) -> None:
    """`request_cost --mix http-list` sends the list `http_load --wrk` sends 8 clients,
    whole and uncounted first, then the counted requests from its start again."""
    from bench import generate as generate_module
    from bench import http_load, request_cost

    sent: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    @contextlib.contextmanager
    def no_server(*args: Any, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        yield "http://127.0.0.1:1", None

    def wrk(base: str, paths: list[Any], clients: int, seconds: int) -> dict[str, Any]:
        if paths and paths[0][0] == "/search":
            sent.setdefault(clients, list(paths))
        return {"clients": clients}

    monkeypatch.setattr(http_load, "DATA_DIR", tmp_path)
    (tmp_path / "speed-600" / "indexes").mkdir(parents=True)
    monkeypatch.setattr(generate_module, "default_path", lambda count, seed: articles_file)
    monkeypatch.setattr(http_load, "running_server", no_server)
    monkeypatch.setattr(http_load, "wrk_load", wrk)
    monkeypatch.setattr(http_load, "load", lambda *args, **kwargs: _no_load())
    for measure in ("server_rss_mib", "server_heap_mib"):
        monkeypatch.setattr(http_load, measure, lambda server: 0.0)
    for measure in ("server_heap_per_process_mib", "server_private_per_process_mib"):
        monkeypatch.setattr(http_load, measure, lambda server: [])
    http_load.run(600, http_load.REQUESTS_PER_LEVEL, 2, False, 1, use_wrk=True)

    listing = request_cost.http_list(articles_file, "search")
    assert listing == sent[request_cost.HTTP_LIST_CLIENTS]
    requests, warm_up = request_cost.mix_requests("http-list", articles_file, "search", 200, 30)
    assert (requests, warm_up) == (listing + listing[:30], len(listing))
    more = len(listing) + 5  # counted past the list's end: round it again, as wrk does
    requests, _ = request_cost.mix_requests("http-list", articles_file, "search", 200, more)
    assert requests == listing + listing + listing[:5]
    default, warm_up = request_cost.mix_requests("requests", articles_file, "search", 200, 30)
    assert warm_up == 200
    assert default == request_cost.requests_of(articles_file, "search", 230)


async def _no_load() -> dict[str, Any]:
    return {}


def test_the_report_gives_the_warm_lists_request_cost_beside_the_mixs() -> None:
    results = _results_with(
        {"search": {"engine": 4_143_109, "app": 4_648_740, "http": 4_834_806}}, "request-cost-5000"
    )
    text = render(results)
    assert "costs 4.83 M instructions behind the HTTP" in text
    assert "the 8-client wrk step repeats" not in text

    warm = {"search": {"engine": 2_654_673, "app": 3_155_858, "http": 3_328_249}}
    results |= _results_with(warm, "request-cost-5000-http-list")
    assert "The list the 8-client wrk step repeats, warm: 3.33 M, 80 % in" in render(results)
