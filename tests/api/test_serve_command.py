"""`search-service serve` as a real process: it says "open http://…" only once the address
answers (one worker or several), stops with exit 0 on Ctrl-C, and a port in use or a host
that is not of this machine is its own exit code, with nothing built. Its workers are
forked from the supervisor (sharing its imports), a killed one is replaced, and they share
keep-alive connections out evenly."""

from __future__ import annotations

import contextlib
import gc
import http.client
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Final

import httpx
import psutil
import pytest
from fastapi import FastAPI

from search_service import cli
from search_service.errors import ServeError
from search_service.settings import Settings
from search_service.web import api, server, workers
from search_service.web.workers import ForkedWorkerProcess, preload_app

pytestmark = pytest.mark.slow

COMMAND = str(Path(sys.executable).with_name("search-service"))
#: `serve_process`'s parameter for the tests of how connections are shared out: 2
#: workers, each leaving a new connection to one holding fewer for 10 s instead of 20 ms,
#: so that the less loaded one is run in time even where other work keeps the cores busy
#: (CI): the sharing is what these tests check, not the machine's scheduling.
PATIENT: Final = (2, {"SEARCH_BALANCE_WAIT_MS": "10000"})


@pytest.fixture
def serve_process(
    request: pytest.FixtureRequest, tmp_path: Path, shipped_corpus: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`serve --port 0 --workers N` building its first index; the process and the first
    line it printed about the address. The parameter: N, or N and settings."""
    workers, settings = request.param if isinstance(request.param, tuple) else (request.param, {})
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SEARCH_")}
    process = subprocess.Popen(
        [
            COMMAND,
            "serve",
            "--port",
            "0",
            "--workers",
            str(workers),
            "--index",
            str(tmp_path / "ix"),
            "--corpus",
            str(shipped_corpus),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "SEARCH_LOG_LEVEL": "warning", **settings},
    )
    try:
        assert process.stdout is not None
        announced = next(line for line in process.stdout if "open http" in line)
        yield process, announced
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("serve_process", [1, 2], indirect=True, ids=["1 worker", "2 workers"])
def test_serve_announces_the_address_it_listens_on_and_it_answers_at_once(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, announced = serve_process
    match = re.search(r"open (http://localhost:(\d+)/) ", announced)
    assert match, announced
    assert int(match.group(2)) != 0  # the port the system chose for --port 0

    response = httpx.get(match.group(1) + "health", timeout=120)  # no retry: it listens

    assert response.status_code == 200
    assert response.json()["articles"] == 2
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


def test_serve_on_a_port_in_use_has_its_own_code_and_builds_nothing(
    tmp_path: Path, shipped_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = cli.main(
            [
                "serve",
                "--port",
                str(port),
                "--index",
                str(tmp_path / "ix"),
                "--corpus",
                str(shipped_corpus),
            ]
        )

    out, err = capsys.readouterr()
    assert code == cli.EXIT_CODES["cannot_serve"].code
    assert code != cli.EXIT_CODES["build_running"].code
    assert err == (
        f"error: cannot listen on 127.0.0.1 port {port}: the port is in use (another "
        "service listens there); choose another with --port or SEARCH_PORT\n"
    )
    assert out == ""
    assert not (tmp_path / "ix").exists()


def test_serve_on_a_host_that_is_not_of_this_machine_has_the_same_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["serve", "--host", "203.0.113.7", "--index", str(tmp_path / "ix")])

    _, err = capsys.readouterr()
    assert code == cli.EXIT_CODES["cannot_serve"].code
    assert "cannot listen on 203.0.113.7: not an address of this machine" in err
    assert "--host or SEARCH_HOST" in err
    assert not (tmp_path / "ix").exists()


def test_serve_whose_app_fails_to_start_says_so_with_the_same_code(
    tmp_path: Path,
    shipped_corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @contextlib.asynccontextmanager
    async def failing_startup(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("the app cannot start")
        yield

    # Nothing real fails this way today: a stand-in app whose startup fails.
    monkeypatch.setattr(api, "create_app", lambda: FastAPI(lifespan=failing_startup))
    index = tmp_path / "ix"

    code = cli.main(
        ["serve", "--port", "0", "--index", str(index), "--corpus", str(shipped_corpus)]
    )

    out, err = capsys.readouterr()
    assert code == cli.EXIT_CODES["cannot_serve"].code  # not 3, uvicorn's own code for it
    assert err.endswith("error: the service failed to start (the log above says why)\n")
    assert "open http://localhost:" in out  # it did listen: the app is what failed


def _workers(process: subprocess.Popen[str], count: int) -> list[psutil.Process]:
    """The worker processes of `serve`, once there are `count` of them."""
    supervisor = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = supervisor.children()
        if len(children) == count:
            return children
        time.sleep(0.1)
    raise AssertionError(f"serve never had {count} workers: {supervisor.children()}")


def _base_url(announced: str) -> str:
    return announced.split("open ")[1].split(" ")[0]


def _answering_workers(
    serve_process: tuple[subprocess.Popen[str], str],
) -> tuple[subprocess.Popen[str], str, list[psutil.Process]]:
    """`serve` once it answers: the process, its address and its 2 workers."""
    process, announced = serve_process
    base = _base_url(announced)
    assert httpx.get(base + "health", timeout=120).status_code == 200
    return process, base, _workers(process, 2)


def _shared_dirty_mib(pid: int) -> float:
    """Memory the process wrote (or inherited written) and still shares with another."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Shared_Dirty:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no Shared_Dirty line for {pid}")


@pytest.mark.parametrize("serve_process", [2], indirect=True, ids=["2 workers"])
def test_workers_are_forked_from_the_supervisor_and_share_its_imported_pages(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, _, children = _answering_workers(serve_process)

    supervisor = psutil.Process(process.pid)
    for worker in children:
        assert worker.cmdline() == supervisor.cmdline()  # spawned: `-c from multiprocessing…`
        assert _shared_dirty_mib(worker.pid) > 10  # the imports, written once by the supervisor


@pytest.mark.parametrize("serve_process", [2], indirect=True, ids=["2 workers"])
def test_a_killed_worker_is_replaced_by_a_new_fork_that_answers(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, base, (killed, survivor) = _answering_workers(serve_process)

    killed.kill()
    killed.wait(timeout=30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and killed.pid in {w.pid for w in _workers(process, 2)}:
        time.sleep(0.1)
    (replacement,) = [w for w in _workers(process, 2) if w.pid not in (killed.pid, survivor.pid)]

    assert replacement.cmdline() == psutil.Process(process.pid).cmdline()
    survivor.suspend()  # only the replacement can accept a connection now
    try:
        for _ in range(5):
            with httpx.Client(timeout=60) as client:
                assert client.get(base + "search", params={"q": "education"}).status_code == 200
    finally:
        survivor.resume()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


@pytest.mark.parametrize("serve_process", [2], indirect=True, ids=["2 workers"])
def test_workers_stop_when_the_supervisor_is_killed(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    """Left running, they would hold the port with nobody to restart or stop them."""
    process, _, children = _answering_workers(serve_process)

    process.kill()
    process.wait(timeout=30)

    _, alive = psutil.wait_procs(children, timeout=60)
    assert alive == []


def _connections_held(worker: psutil.Process, port: int) -> int:
    """The worker's connections on `port` (open descriptors: closed ones are counted out)."""
    return sum(
        1
        for connection in worker.net_connections(kind="tcp")
        if connection.status != psutil.CONN_LISTEN and connection.laddr.port == port
    )


def _answered_on_each(connections: list[http.client.HTTPConnection]) -> None:
    for connection in connections:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        assert response.status == 200


def _until_none_held(workers: list[psutil.Process], port: int) -> None:
    deadline = time.monotonic() + 30
    while any(_connections_held(worker, port) for worker in workers):
        assert time.monotonic() < deadline, "the workers never closed the connections"
        time.sleep(0.02)


def _until_both_accept(workers: list[psutil.Process], port: int) -> None:
    """Until each worker serves (uvicorn's supervisor reports started once one does),
    holding no connection again."""
    deadline = time.monotonic() + 60
    while True:
        pair = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(2)]
        try:
            _answered_on_each(pair)
            both = all(_connections_held(worker, port) == 1 for worker in workers)
        finally:
            for connection in pair:
                connection.close()
            _until_none_held(workers, port)
        if both:
            time.sleep(0.5)  # a worker counts a connection out a loop step after closing it
            return
        assert time.monotonic() < deadline, "one worker never accepted a connection"
        time.sleep(0.1)


@pytest.mark.parametrize("serve_process", [PATIENT], indirect=True, ids=["2 workers"])
def test_keep_alive_connections_are_shared_out_evenly_between_the_workers(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    """As a reverse proxy's pool (or a load test) keeps them: left to the kernel, the
    worker woken first took the connections (8 opened at once: 8/0, 7/1, 6/2 as often
    as 4/4)."""
    _, base, children = _answering_workers(serve_process)
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    _until_both_accept(children, port)

    for _ in range(3):
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(8)]
        try:
            for connection in connections:  # one after another, each kept open
                _answered_on_each([connection])
            assert sorted(_connections_held(worker, port) for worker in children) == [4, 4]
        finally:
            for connection in connections:
                connection.close()
        _until_none_held(children, port)


@pytest.mark.parametrize("serve_process", [PATIENT], indirect=True, ids=["2 workers"])
def test_workers_restarted_by_sighup_share_connections_out_too(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    """uvicorn's supervisor restarts its workers on SIGHUP, each new one started before an
    old one stops: the new ones get slots of their own and count from zero."""
    process, base, old = _answering_workers(serve_process)
    port = int(base.rstrip("/").rsplit(":", 1)[1])

    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while {worker.pid for worker in _workers(process, 2)} & {worker.pid for worker in old}:
        assert time.monotonic() < deadline, "the workers were never restarted"
        time.sleep(0.1)
    new = _workers(process, 2)
    _until_both_accept(new, port)

    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(8)]
    try:
        for connection in connections:
            _answered_on_each([connection])
        assert sorted(_connections_held(worker, port) for worker in new) == [4, 4]
    finally:
        for connection in connections:
            connection.close()


@pytest.mark.parametrize("serve_process", [PATIENT], indirect=True, ids=["2 workers"])
def test_a_connection_waits_for_a_worker_holding_fewer_as_long_as_serve_is_told(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    """`SEARCH_BALANCE_WAIT_MS` reaches the workers: told 10 s, the worker holding more
    still leaves the new connection to a stopped one holding none after half a second
    (told 20 ms, the default, it has taken it by then)."""
    _, base, (stopped, serving) = _answering_workers(serve_process)
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    _until_both_accept([stopped, serving], port)

    stopped.suspend()
    first, second = (http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(2))
    try:
        _answered_on_each([first])  # the one worker running takes it
        second.request("GET", "/health")
        time.sleep(0.5)
        assert _connections_held(serving, port) == 1
        stopped.resume()
        response = second.getresponse()
        response.read()
        assert response.status == 200
        assert [_connections_held(worker, port) for worker in (stopped, serving)] == [1, 1]
    finally:
        stopped.resume()
        first.close()
        second.close()


@pytest.mark.parametrize("serve_process", [2], indirect=True, ids=["2 workers"])
def test_a_worker_that_does_not_accept_holds_no_connection_back(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    """A worker leaves a new connection to one holding fewer, but only for a moment: a
    stopped worker (or one busy with a long request) must not keep it waiting."""
    _, base, (stopped, serving) = _answering_workers(serve_process)
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    _until_both_accept([stopped, serving], port)

    stopped.suspend()
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(3)]
    try:
        for connection in connections:
            _answered_on_each([connection])
        assert _connections_held(serving, port) == 3
    finally:
        stopped.resume()
        for connection in connections:
            connection.close()


#: Set while a test wants each fork of this process to send its child a SIGTERM at once.
_TERM_CHILD_AT_FORK = threading.Event()


def _term_child_if_asked() -> None:
    if _TERM_CHILD_AT_FORK.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


os.register_at_fork(after_in_child=_term_child_if_asked)


def test_a_sigterm_sent_as_a_worker_is_forked_stops_it() -> None:
    """The supervisor queues signals in handlers of its own; a worker must not inherit them,
    even for a signal that arrives before it has replaced them (it would be queued where
    nobody reads it, and the supervisor would wait for the worker forever)."""
    previous = signal.signal(signal.SIGTERM, lambda number, frame: None)
    worker = ForkedWorkerProcess(target=time.sleep, args=(120,))
    try:
        _TERM_CHILD_AT_FORK.set()
        try:
            worker.start()
        finally:
            _TERM_CHILD_AT_FORK.clear()
        worker.join(timeout=60)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if worker.exitcode is None:
            worker.kill()

    assert worker.exitcode == -signal.SIGTERM


def test_preloading_the_app_freezes_its_objects_out_of_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collection in a forked worker must not write to the pages it shares."""
    monkeypatch.setattr(workers, "_preloaded", None)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    gc.unfreeze()
    try:
        preload_app(server.uvicorn_config(Settings(workers=2)))

        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_preloading_loads_uvicorns_config_with_the_app_it_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker's uvicorn then finds its configuration loaded (what it imports and
    wraps before serving, built once and shared)."""
    monkeypatch.setattr(workers, "_preloaded", None)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    config = server.uvicorn_config(Settings(workers=2))
    gc.unfreeze()
    try:
        preload_app(config)
    finally:
        gc.unfreeze()

    app = config.loaded_app
    while not isinstance(app, FastAPI):  # inside the middleware uvicorn wraps it in
        app = app.app
    assert config.loaded and app is workers._preloaded


def test_a_uvicorn_configuration_that_cannot_load_stops_serve_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn exits (SystemExit) on what it cannot import: a `ServeError`, as the app's."""
    monkeypatch.setattr(workers, "_preloaded", None)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    config = server.uvicorn_config(Settings(workers=2))
    config.loop = "search_service.no_such_module:loop_factory"

    gc.unfreeze()
    try:
        with pytest.raises(ServeError, match="loading uvicorn's configuration failed"):
            preload_app(config)
    finally:
        gc.unfreeze()


def _load_the_served_app(answers: multiprocessing.SimpleQueue[tuple[bool, bool, Path]]) -> None:
    """In a forked worker, as uvicorn loads its app: is it the supervisor's, with nothing
    opened yet?"""
    config = server.uvicorn_config(Settings(workers=2))
    config.load()
    app = config.loaded_app
    while not isinstance(app, FastAPI):  # inside the middleware uvicorn wraps it in
        app = app.app
    answers.put(
        (app is workers._preloaded, app.state.engine._current is None, app.state.settings.index_dir)
    )


def test_forked_workers_serve_the_app_the_supervisor_built_with_serves_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built in each worker, the app cost a worker 13 MiB of private memory (docs/serving-speed.md,
    "A worker's memory, piece by piece"); the live generation stays each worker's own."""
    monkeypatch.setattr(workers, "_preloaded", None)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    gc.unfreeze()
    try:
        preload_app(server.uvicorn_config(Settings(workers=2)))
    finally:
        gc.unfreeze()
    answers: multiprocessing.SimpleQueue[tuple[bool, bool, Path]] = multiprocessing.SimpleQueue()
    worker = ForkedWorkerProcess(target=_load_the_served_app, args=(answers,))
    worker.start()
    worker.join(timeout=60)

    assert worker.exitcode == 0
    assert answers.get() == (True, True, tmp_path / "ix")


def test_the_preloaded_factory_without_a_preload_builds_an_app_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker not forked from `serve`'s supervisor (nothing preloaded) still serves."""
    monkeypatch.setattr(workers, "_preloaded", None)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))

    app = workers.preloaded_app()

    assert isinstance(app, FastAPI) and app.state.settings.index_dir == tmp_path / "ix"
    assert workers._preloaded is None


def test_one_worker_builds_its_own_app_as_uvicorn_loads_it() -> None:
    config = server.uvicorn_config(Settings(workers=1))

    assert config.factory and config.app == "search_service.web.api:create_app"


def test_serve_with_workers_whose_app_cannot_be_built_says_so_with_the_same_code(
    tmp_path: Path,
    shipped_corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_create_app() -> FastAPI:
        raise RuntimeError("the routes cannot be built")

    # Nothing real fails this way today: a stand-in for a route or model that cannot be built.
    monkeypatch.setattr(api, "create_app", failing_create_app)
    monkeypatch.setattr(workers, "_preloaded", None)
    command = ["serve", "--port", "0", "--workers", "2", "--index", str(tmp_path / "ix")]

    code = cli.main([*command, "--corpus", str(shipped_corpus)])

    _, err = capsys.readouterr()
    assert code == cli.EXIT_CODES["cannot_serve"].code
    assert "the service failed to start: building the app failed" in err
    assert "the routes cannot be built" in err


def test_serve_with_workers_whose_app_cannot_be_imported_says_so_with_the_same_code(
    tmp_path: Path,
    shipped_corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "_APP_MODULE", "search_service.web.no_such_module")
    command = ["serve", "--port", "0", "--workers", "2", "--index", str(tmp_path / "ix")]

    code = cli.main([*command, "--corpus", str(shipped_corpus)])

    _, err = capsys.readouterr()
    assert code == cli.EXIT_CODES["cannot_serve"].code
    assert "the service failed to start: importing the app failed" in err
    assert "no_such_module" in err
