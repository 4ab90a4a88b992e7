"""16 clients against a real `serve` while index builds are SIGKILLed at random moments.

Found by hand before, pinned here: not one request fails (every answer is a 200)
while builds die mid-write and others publish; the clients see the published
generations come in, and no `building-…` folder of a killed build is ever served.
Bounded: 3 killed builds and 2 complete ones, a few hundred requests.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from search_service.index import generations
from search_service.index.build import PAUSE_ENV

from ..conftest import start_serve
from .conftest import add_export

pytestmark = pytest.mark.slow

CLIENTS = 16
KILLED_BUILDS = 3
MIN_REQUESTS = 400
REQUESTS: list[tuple[str, dict[str, str | int]]] = [
    ("/search", {"q": "teachers"}),
    ("/search", {"q": "health insurance benin", "per_page": 20}),
    ("/search", {"q": "report", "sort": "newest", "year_from": 2012}),
    ("/search", {"q": "", "country": "Benin"}),
    ("/suggest", {"q": "tea"}),
    ("/articles/export-7", {}),
    ("/health", {}),
]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "search_service", *args]


@pytest.fixture
def server(corpus: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`search-service serve --workers 2` over a first generation, on a free port."""
    index = tmp_path / "indexes"
    add_export(corpus, 1000)  # builds take a few seconds: room to be killed midway
    built = subprocess.run(
        command("index", "build", "--corpus", str(corpus), "--index", str(index)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    env = {**os.environ, "SEARCH_LOG_LEVEL": "warning", "SEARCH_RELOAD_INTERVAL": "0.1"}
    process, base = start_serve(
        command("serve", "--index", str(index), "--workers", "2"),
        output=tmp_path / "serve.out",
        env=env,
        cwd=tmp_path,
    )
    try:
        for _ in range(600):
            assert process.poll() is None, "serve exited"
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base, index
    finally:
        process.terminate()
        process.wait(timeout=30)


class Clients:
    """`CLIENTS` threads asking `REQUESTS` in turn until stopped; every failure kept."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.answered = 0
        self.generations: set[str] = set()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(CLIENTS)]

    def _run(self, number: int) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            turn = number
            while not self.stop.is_set():
                path, params = REQUESTS[turn % len(REQUESTS)]
                turn += 1
                try:
                    response = client.get(path, params=params)
                except httpx.HTTPError as error:
                    self._note(f"{path}: {error!r}")
                    continue
                if response.status_code != 200:
                    self._note(f"{path}: {response.status_code} {response.text[:200]}")
                    continue
                with self._lock:
                    self.answered += 1
                    if path == "/health":
                        self.generations.add(response.json()["generation"])

    def _note(self, failure: str) -> None:
        with self._lock:
            self.failures.append(failure)

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def kill_a_build(
    corpus: Path, index: Path, rng: random.Random, while_writing: bool
) -> dict[str, Any]:
    """Start a build (paused after each batch of articles) and SIGKILL it at a random
    moment: while it reads the corpus, or while it writes its new generation."""
    build = subprocess.Popen(
        command("index", "build", "--corpus", str(corpus), "--index", str(index), "--full"),
        env={**os.environ, PAUSE_ENV: "0.3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if while_writing:
        deadline = time.monotonic() + 120
        while not writing(index) and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
    else:
        time.sleep(rng.uniform(0.05, 0.5))
    was_writing = writing(index)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    return {"returncode": build.returncode, "writing": was_writing}


def writing(index: Path) -> bool:
    return any(path.name.startswith("building-") for path in index.iterdir())


def test_no_request_fails_while_builds_are_killed_and_others_publish(
    server: tuple[str, Path], corpus: Path
) -> None:
    base, index = server
    rng = random.Random(12)
    first = generations.read_pointer(index)
    published = [first]
    with Clients(base) as clients:
        kills = []
        for round_ in range(KILLED_BUILDS):
            add_export(corpus, 50 + round_, name="changing.jsonl")  # each build has work
            kills.append(kill_a_build(corpus, index, rng, while_writing=round_ > 0))
            if round_ % 2 == 1:
                done = subprocess.run(
                    command("index", "build", "--corpus", str(corpus), "--index", str(index)),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert done.returncode == 0, done.stderr
                published.append(generations.read_pointer(index))
        add_export(corpus, 60, name="changing.jsonl")
        done = subprocess.run(
            command("index", "build", "--corpus", str(corpus), "--index", str(index)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        published.append(generations.read_pointer(index))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            clients.answered < MIN_REQUESTS or published[-1] not in clients.generations
        ):
            time.sleep(0.05)

    assert clients.failures == []
    assert clients.answered >= MIN_REQUESTS
    assert [kill["returncode"] for kill in kills] == [-signal.SIGKILL] * KILLED_BUILDS
    assert [kill["writing"] for kill in kills][1:] == [True] * (KILLED_BUILDS - 1)
    assert published[-1] in clients.generations  # the last publish was served
    assert clients.generations <= set(published)  # never a killed build's generation
    assert not [p for p in index.iterdir() if p.name.startswith("building-")]
