"""A file of the live generation truncated, garbled or deleted on disk.

The service refuses the generation (503 `index_damaged`, saying to run `index
rollback`) instead of answering errors, wrong results or dying; it keeps
answering that, without crashing or restarting, until `index rollback`
republishes the previous generation, which it then serves without a restart.
`index status` and `search` say the same (exit 7); the next build is a full one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from search_service.cli import EXIT_CODES, main
from search_service.index import generations
from search_service.index.compiled_view import VIEW_NAME
from search_service.search import engine

from ..conftest import start_serve
from .conftest import add_export

Serve = Callable[..., Any]
ROLLBACK = "`search-service index rollback`"
DAMAGED = EXIT_CODES["damaged_pointer"].code  # the live index is damaged: 7


def garble(path: Path, every: int = 0) -> None:
    """Flip 4 KiB in the middle of the file, or 256 bytes of every `every` (same size:
    only its checksum tells)."""
    data = bytearray(path.read_bytes())
    spans = (
        [(len(data) // 2, 4096)] if not every else [(at, 256) for at in range(0, len(data), every)]
    )
    for start, length in spans:
        data[start : start + length] = bytes(byte ^ 0xFF for byte in data[start : start + length])
    with open(path, "r+b") as handle:  # in place, as bad disk blocks would
        handle.write(bytes(data))


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 3)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbled segment": lambda gen: garble(segment(gen)),
    "truncated segment": lambda gen: truncate(segment(gen)),
    "deleted segment": lambda gen: segment(gen).unlink(),
    "truncated table of contents": lambda gen: truncate(next(gen.glob("*.toc"))),
    "garbled serving view": lambda gen: garble(view_file(gen)),
    "truncated serving view": lambda gen: truncate(view_file(gen)),
    "deleted serving view": lambda gen: view_file(gen).unlink(),
    "garbled index of the serving view": lambda gen: garble(view_file(gen, ".json")),
}


def segment(generation: Path) -> Path:
    return max(generation.glob("*.seg"), key=lambda path: path.stat().st_size)


def view_file(generation: Path, suffix: str = ".bin") -> Path:
    """The serving view's arrays (memory-mapped like Whoosh's files), or their index."""
    return generation / generations.VIEW_FOLDER / f"{VIEW_NAME}{suffix}"


#: The files damaged under a serving service: Whoosh's largest, and the serving view's
#: arrays (what searches read when the generation has a view).
SERVED_FILES: dict[str, Callable[[Path], Path]] = {"segment": segment, "serving view": view_file}


@pytest.fixture
def two_generations(corpus: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """An index with a previous generation (the corpus) and a live one (50 more articles)."""
    index = tmp_path / "indexes"
    assert build(corpus, index) == 0
    previous = str(generations.read_pointer(index))
    add_export(corpus, 50, name="more.jsonl")
    assert build(corpus, index) == 0
    return index, previous, str(generations.read_pointer(index))


def build(corpus: Path, index: Path, *options: str) -> int:
    return main(["index", "build", "--corpus", str(corpus), "--index", str(index), *options])


def assert_refused(response: Any) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "index_damaged"
    assert ROLLBACK in error["message"]


def assert_every_route_refused(client: Any, damaged: str, times: int = 5) -> None:
    for _ in range(times):
        for target in ("/search?q=teachers", "/search", "/suggest?q=tea", "/articles/export-1"):
            assert_refused(client.get(target))
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json() == {"status": "index_damaged", "generation": damaged, "articles": 0}


def served_once_reloaded(client: Any, generation: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if health["generation"] == generation and health["status"] == "ok":
            break
        time.sleep(0.01)
    response = client.get("/search", params={"q": "teachers"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


#: Whoosh leaves a file it failed to read open (a segment whose directory cannot be
#: unpickled, `reading.py`); the garbage collector closes it, with a ResourceWarning.
WHOOSH_LEAVES_A_FILE_OPEN = pytest.mark.filterwarnings("ignore::ResourceWarning")


@WHOOSH_LEAVES_A_FILE_OPEN
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_live_generation_is_refused_with_503_and_rollback_recovers(
    two_generations: tuple[Path, str, str],
    serve: Serve,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    index, previous, live = two_generations
    DAMAGE[kind](index / live)

    client = serve(index)  # starts on the damaged generation: it must not crash
    assert_every_route_refused(client, live)

    capsys.readouterr()
    assert main(["index", "status", "--index", str(index)]) == DAMAGED
    out = capsys.readouterr().out
    assert f"live generation: {live}" in out
    assert "DAMAGED" in out and f"index rollback` republishes {previous}" in out
    assert main(["search", "teachers", "--index", str(index)]) == DAMAGED
    assert f"the live generation {live} is damaged" in capsys.readouterr().err

    assert main(["index", "rollback", "--index", str(index)]) == 0
    assert served_once_reloaded(client, previous)["total"] == 200  # the corpus's 200 exports


@WHOOSH_LEAVES_A_FILE_OPEN
@pytest.mark.parametrize("damaged", list(SERVED_FILES))
def test_a_file_garbled_under_a_serving_service_is_refused_from_the_first_failed_read(
    two_generations: tuple[Path, str, str], serve: Serve, damaged: str
) -> None:
    index, previous, live = two_generations
    client = serve(index)
    cached = client.get("/search", params={"q": "teachers"})
    assert cached.status_code == 200

    garble(SERVED_FILES[damaged](index / live), every=2048)
    # The first read of a damaged part that fails has the files checked: the
    # generation is refused from then on, its cached answers included. (Before that,
    # a garbled block that still reads as data may give a wrong answer, a 404.)
    answers = [client.get(f"/articles/export-{n}") for n in range(50)]
    answers += [client.get("/search", params={"q": f"report {n}"}) for n in range(50)]
    statuses = [answer.status_code for answer in answers]
    assert 503 in statuses and 500 not in statuses
    assert set(statuses[statuses.index(503) :]) == {503}
    assert_every_route_refused(client, live)

    assert main(["index", "rollback", "--index", str(index)]) == 0
    assert served_once_reloaded(client, previous)["total"] == 200


@WHOOSH_LEAVES_A_FILE_OPEN
@pytest.mark.parametrize("damaged", list(SERVED_FILES))
def test_a_file_truncated_under_a_serving_service_is_noticed_before_it_is_read(
    two_generations: tuple[Path, str, str], serve: Serve, damaged: str
) -> None:
    """Reading a mapped file past its new end would kill the process (SIGBUS): the
    service compares the sizes of its files with the manifest at every pointer check,
    so it refuses the generation before any request reads it (asked via /health,
    which reads no index file)."""
    index, previous, live = two_generations
    client = serve(index)
    assert client.get("/search", params={"q": "teachers"}).status_code == 200

    truncate(SERVED_FILES[damaged](index / live))
    for _ in range(500):
        if client.get("/health").status_code == 503:
            break
        time.sleep(0.01)
    assert_every_route_refused(client, live)

    assert main(["index", "rollback", "--index", str(index)]) == 0
    assert served_once_reloaded(client, previous)["total"] == 200


@WHOOSH_LEAVES_A_FILE_OPEN
def test_the_build_after_damage_is_full_and_publishes_a_sound_generation(
    corpus: Path, two_generations: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    index, _, live = two_generations
    garble(segment(index / live))
    capsys.readouterr()

    assert build(corpus, index) == 0

    out = capsys.readouterr().out
    assert "build: full (the live generation is damaged: " in out
    new = generations.live_generation(index)
    assert new is not None and new.name != live
    assert generations.damage(new, thorough=True) is None


@pytest.mark.slow
def test_serve_on_a_damaged_generation_stays_up_and_recovers_without_a_restart(
    two_generations: tuple[Path, str, str], tmp_path: Path
) -> None:
    """The real command with two workers: no worker dies or restarts, every answer is a
    503 `index_damaged` until the rollback, then the rolled-back generation is served."""
    import httpx

    index, previous, live = two_generations
    truncate(segment(index / live))
    command = [sys.executable, "-m", "search_service", "serve", "--index", str(index)]
    command += ["--workers", "2"]
    env = {**os.environ, "SEARCH_LOG_LEVEL": "warning", "SEARCH_RELOAD_INTERVAL": "0.1"}
    server, base = start_serve(
        command, output=tmp_path / "serve.out", env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_for_answer(client, server)
            workers = sorted(child.pid for child in psutil.Process(server.pid).children())
            for _ in range(10):
                assert_every_route_refused(client, live, times=1)
            assert main(["index", "rollback", "--index", str(index)]) == 0
            recovered = wait_for_health(client, previous)
            search = client.get("/search", params={"q": "teachers"})
            after = sorted(child.pid for child in psutil.Process(server.pid).children())
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    assert after == workers  # nothing crashed, nothing was restarted
    assert recovered == 200 and search.status_code == 200
    assert search.json()["total"] == 200
    assert f"the live generation {live} is damaged" in err


def wait_for_answer(client: Any, server: subprocess.Popen[str]) -> None:
    for _ in range(600):
        assert server.poll() is None, "serve exited"
        try:
            client.get("/health")
            return
        except OSError:
            time.sleep(0.05)
        except Exception as error:  # httpx's connection errors
            if "connect" not in type(error).__name__.lower():
                raise
            time.sleep(0.05)
    raise AssertionError("serve did not answer")


def wait_for_health(client: Any, generation: str) -> int:
    """Both workers notice the rollback on their own: ask until several answers agree."""
    agreeing = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = client.get("/health")
        agreeing = agreeing + 1 if health.json().get("generation") == generation else 0
        if agreeing >= 10:
            return int(health.status_code)
        time.sleep(0.02)
    raise AssertionError(f"{generation} was not served")


@WHOOSH_LEAVES_A_FILE_OPEN
def test_a_replica_serves_on_until_a_generation_copied_to_it_is_complete(
    two_generations: tuple[Path, str, str],
    serve: Serve,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/deploy.md: a new generation reaches a replica as a copy of its folder, then
    its pointer. A pointer that arrives before the copy is complete (or a copy cut
    short) leaves the replica on the generation it serves; the complete copy is
    served once it is there."""
    monkeypatch.setattr(engine, "_RECHECK_SECONDS", 0.2)
    builder, previous, live = two_generations
    replica = tmp_path / "replica"
    replica.mkdir()
    shutil.copytree(builder / previous, replica / previous)
    generations.write_json_durably(replica / generations.POINTER_FILE, {"live": previous})
    client = serve(replica)
    assert client.get("/health").json()["generation"] == previous

    shutil.copytree(builder / live, replica / live)
    truncate(segment(replica / live))  # the copy is not finished
    generations.write_json_durably(replica / generations.POINTER_FILE, {"live": live})
    answers = []
    for _ in range(40):
        answers.append(
            (client.get("/health").json()["generation"], client.get("/search").status_code)
        )
        time.sleep(0.01)
    assert set(answers) == {(previous, 200)}

    shutil.copy(segment(builder / live), segment(replica / live))  # the copy completes
    assert served_once_reloaded(client, live)["total"] == 250
