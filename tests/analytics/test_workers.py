"""`search-service serve --workers 2`: both workers count into one store, and what they
queued is written when the service stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from search_service.cli import main
from search_service.index.build import build_index

from ..conftest import start_serve


def wait_until_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the service did not answer /health")


def test_two_workers_count_every_search_into_one_store(
    tmp_path: Path,
    shipped_corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index_dir, data_dir = tmp_path / "indexes", tmp_path / "data"
    build_index(shipped_corpus, index_dir, full=True)
    env = {**os.environ, "SEARCH_DATA_DIR": str(data_dir), "SEARCH_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "search_service", "serve", "--index", str(index_dir)]
    process, base = start_serve(
        [*command, "--workers", "2"], output=tmp_path / "serve.out", env=env, stderr=None
    )
    queries = [f"query {n}" for n in range(40)] + ["abidjan"] * 40
    try:
        wait_until_healthy(base, process)

        def search(query: str) -> int:
            with httpx.Client(base_url=base, timeout=30) as client:  # a connection each
                return client.get("/search", params={"q": query}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(search, queries))
    finally:
        process.send_signal(signal.SIGTERM)  # a graceful stop: each worker's lifespan ends
        process.wait(timeout=60)

    assert statuses == [200] * len(queries)
    monkeypatch.setenv("SEARCH_DATA_DIR", str(data_dir))
    assert main(["report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["searches"] == len(queries)
    counted = {row["query"]: row["searches"] for row in report["top_queries"]}
    assert counted["abidjan"] == 40
