"""The HTTP layer of `serve` bounds what a client can hold: sizes, time, concurrency.

Raw sockets against a real uvicorn on a free loopback port, running the app with
`protocol.GuardedHttpToolsProtocol` (what `serve` runs) and small limits so the
tests stay short. Every refusal is the API's error shape, never uvicorn's plain
text, and never a hang: a socket timeout (far above the limits) fails a test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.settings import Settings
from search_service.web.api import create_app
from search_service.web.protocol import GuardedHttpToolsProtocol, ProtocolLimits
from search_service.web.server import uvicorn_options

from ..conftest import start_serve
from .conftest import LiveServer

LIMITS = ProtocolLimits(
    max_url_bytes=2048,
    max_header_bytes=4096,
    request_read_timeout=1.0,
    limit_concurrency=2,
    any_origin=True,
)
#: A refused or dropped client must hear back long before this (else: a hang).
SOCKET_TIMEOUT = 20.0


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, str]:
        assert self.headers["content-type"] == "application/json"
        document = json.loads(self.body)
        assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
        error: dict[str, str] = document["error"]
        return error


def parse(data: bytes) -> Answer:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split(" ")[1]), headers, body)


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_answer(sock: socket.socket) -> bytes:
    """One answer on a connection kept open: its head, then its `Content-Length` bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole head: {data!r}"
        data += chunk
    length = int(parse(data).headers["content-length"])
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole body: {data!r}"
        data += chunk
    return data


def exchange(port: int, data: bytes) -> Answer:
    """Send `data`, read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(data)
        return parse(read_until_closed(sock))


def get(port: int, target: str = "/health") -> Answer:
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    return exchange(port, request.encode())


@pytest.fixture
def app(settings_for: Callable[..., Settings], news: list[Article]) -> FastAPI:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    return create_app(settings)


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app, http=GuardedHttpToolsProtocol.with_limits(LIMITS)) as live:
        yield live


def test_an_over_long_url_gets_414_in_the_error_shape(server: LiveServer) -> None:
    answer = get(server.port, "/search?q=" + "a" * 3000)
    assert answer.status == 414
    assert answer.error()["code"] == "uri_too_long"
    assert "2,048 bytes" in answer.error()["message"]
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("target", "extra_headers", "status"),
    [
        ("/search?q=" + "a" * 3000, "", 414),
        ("/health", "".join(f"X-Header-{n}: {'v' * 100}\r\n" for n in range(60)), 431),
    ],
)
def test_a_head_request_the_protocol_refuses_gets_the_head_without_the_body(
    server: LiveServer, target: str, extra_headers: str, status: int
) -> None:
    """HTTP sends no content in answer to `HEAD`: a client reading the head must not find a
    body after it. The head still gives the length of the body a `GET` gets."""
    head = f"{target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra_headers}\r\n"
    answer = exchange(server.port, ("HEAD " + head).encode())
    as_get = exchange(server.port, ("GET " + head).encode())

    assert answer.status == as_get.status == status
    assert answer.body == b""
    assert as_get.body and int(answer.headers["content-length"]) == len(as_get.body)


def test_a_url_streamed_without_end_is_cut_off_with_414(server: LiveServer) -> None:
    """The request line never ends: the answer comes as soon as the limit is passed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(b"GET /search?q=" + b"a" * 5000)
        answer = parse(read_until_closed(sock))
    assert answer.status == 414


def test_over_large_headers_get_431_in_the_error_shape(server: LiveServer) -> None:
    many = "".join(f"X-Header-{n}: {'v' * 100}\r\n" for n in range(60))
    answer = exchange(server.port, f"GET /health HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
    assert answer.status == 431
    assert answer.error()["code"] == "headers_too_large"


def test_one_endless_header_is_cut_off_with_431_before_the_read_deadline(
    app: FastAPI,
) -> None:
    """httptools buffers a header until its end: the protocol counts the bytes itself."""
    patient = dataclasses.replace(LIMITS, request_read_timeout=3600.0)
    with (
        LiveServer(app, http=GuardedHttpToolsProtocol.with_limits(patient)) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=SOCKET_TIMEOUT) as sock,
    ):
        # Past the bound of a head (headers + url) in one write, then nothing more: bytes
        # sent after the server answered and closed meet a reset that can discard its answer.
        endless = b"v" * (LIMITS.max_header_bytes + LIMITS.max_url_bytes + 1000)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Endless: " + endless)
        answer = parse(read_until_closed(sock))
    assert answer.status == 431


def test_a_malformed_request_gets_400_in_the_error_shape_not_plain_text(
    server: LiveServer,
) -> None:
    answer = exchange(server.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.status == 400
    assert answer.error()["code"] == "bad_request"


def test_a_client_sending_its_headers_a_byte_at_a_time_is_cut_off_with_408(
    server: LiveServer,
) -> None:
    """Slowloris: the deadline runs from the request's first byte, not from the last one."""
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200 + b"\r\n\r\n"
    served_meanwhile: list[int] = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sent = 0
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                sent += 1
                if sent == 1:  # the deadline runs: 1 s from now
                    served_meanwhile.append(get(server.port).status)
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server hung up: what it said is read below
        answer = parse(read_until_closed(sock))
    assert sent < len(request)  # cut off before the request was complete
    assert answer.status == 408
    assert answer.error()["code"] == "request_timeout"
    assert served_meanwhile == [200]


def test_a_connection_that_sends_nothing_is_closed(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        assert read_until_closed(sock) == b""


def test_many_idle_connections_do_not_stop_others_from_being_served(
    app: FastAPI,
) -> None:
    """Silent connections, half-sent requests and idle keep-alive connections, far more
    than the concurrency limit: they hold no request slot, and all are closed in the end."""
    limits = dataclasses.replace(LIMITS, request_read_timeout=3.0)
    with LiveServer(
        app, http=GuardedHttpToolsProtocol.with_limits(limits), timeout_keep_alive=3
    ) as live:
        idle: list[socket.socket] = []
        kept_alive: list[bytes] = []
        try:
            for n in range(150):
                sock = socket.create_connection(("127.0.0.1", live.port), timeout=SOCKET_TIMEOUT)
                idle.append(sock)
                if n % 3 == 1:
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
                elif n % 3 == 2:  # answered (not in flight, on a slow machine), then kept alive
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    kept_alive.append(read_answer(sock))
            served = [get(live.port, "/search?q=teachers").status for _ in range(20)]
            closed = [read_until_closed(sock) for sock in idle]
        finally:
            for sock in idle:
                sock.close()
    assert served == [200] * 20
    half_sent = [parse(data).status for n, data in enumerate(closed) if n % 3 == 1]
    assert half_sent == [408] * 50
    assert len(kept_alive) == 50 and all(data.startswith(b"HTTP/1.1 200") for data in kept_alive)
    assert all(data == b"" for n, data in enumerate(closed) if n % 3 == 2)  # closed when idle
    assert all(data == b"" for n, data in enumerate(closed) if n % 3 == 0)


def test_requests_beyond_the_concurrency_limit_get_503_overloaded(
    app: FastAPI,
) -> None:
    release = threading.Event()

    async def slow() -> dict[str, str]:
        while not release.is_set():
            await asyncio.sleep(0.01)
        return {"done": "yes"}

    app.add_api_route("/slow", slow)
    with LiveServer(app, http=GuardedHttpToolsProtocol.with_limits(LIMITS)) as live:
        holders = [
            socket.create_connection(("127.0.0.1", live.port), timeout=SOCKET_TIMEOUT)
            for _ in range(LIMITS.limit_concurrency)
        ]
        for sock in holders:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        overloaded = _first_answer_while(lambda: get(live.port), lambda a: a.status == 503)
        release.set()
        held = [parse(read_until_closed(sock)).status for sock in holders]
        for sock in holders:
            sock.close()
        after = get(live.port).status
    assert overloaded.status == 503
    assert overloaded.error()["code"] == "overloaded"
    assert overloaded.headers["retry-after"] == "1"
    assert held == [200] * LIMITS.limit_concurrency
    assert after == 200


def _first_answer_while(ask: Callable[[], Answer], wanted: Callable[[Answer], bool]) -> Answer:
    """The slow requests start when the server reads them: ask until they hold their slots."""
    answer = ask()
    deadline = time.monotonic() + 60
    while not wanted(answer) and time.monotonic() < deadline:
        time.sleep(0.02)
        answer = ask()
    return answer


def test_serve_runs_the_guarded_protocol_with_the_settings() -> None:
    settings = Settings(timeout_keep_alive=7, forwarded_allow_ips="10.0.0.1")
    options = uvicorn_options(settings)
    assert options["http"] == "search_service.web.protocol:GuardedHttpToolsProtocol"
    assert options["timeout_keep_alive"] == 7
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (True, "10.0.0.1")
    assert "limit_concurrency" not in options  # the protocol applies it, in the error shape


@pytest.mark.slow
def test_search_service_serve_refuses_an_over_long_url_with_its_setting(
    settings_for: Callable[..., Settings], news: list[Article], tmp_path: Path
) -> None:
    """The command itself: settings reach every worker through the environment."""
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    env = {
        **os.environ,
        "SEARCH_MAX_URL_BYTES": "1500",
        "SEARCH_LOG_LEVEL": "warning",
    }
    command = [
        sys.executable,
        "-m",
        "search_service",
        "serve",
        "--index",
        str(settings.index_dir),
        "--workers",
        "2",
    ]
    process, base = start_serve(
        command, output=tmp_path / "serve.out", env=env, cwd=tmp_path, stderr=None
    )
    try:
        port = int(base.rsplit(":", 1)[1])
        _wait_until_serving(port, process)
        answer = get(port, "/search?" + "country=Benin&" * 120)  # 1,688 bytes
        served = get(port, "/search?" + "country=Benin&" * 100)  # 1,408 bytes
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answer.status == 414
    assert "1,500 bytes" in answer.error()["message"]
    assert served.status == 200


def _wait_until_serving(port: int, process: subprocess.Popen[Any]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        try:
            if get(port).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("serve did not answer")
