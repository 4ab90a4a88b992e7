"""`search-service serve` as a real process: it says "open http://…" only once the address
answers (one worker or several), stops with exit 0 on Ctrl-C, and a port in use or a host
that is not of this machine is its own exit code, with nothing built."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from search_service import cli
from search_service.web import api

pytestmark = pytest.mark.slow

COMMAND = str(Path(sys.executable).with_name("search-service"))


@pytest.fixture
def serve_process(
    request: pytest.FixtureRequest, tmp_path: Path, shipped_corpus: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`serve --port 0 --workers N` building its first index; the process and the first
    line it printed about the address."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SEARCH_")}
    process = subprocess.Popen(
        [
            COMMAND,
            "serve",
            "--port",
            "0",
            "--workers",
            str(request.param),
            "--index",
            str(tmp_path / "ix"),
            "--corpus",
            str(shipped_corpus),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "SEARCH_LOG_LEVEL": "warning"},
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
