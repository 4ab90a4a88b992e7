"""`serve` sends a response's head and its body in one write.

A real uvicorn on a free loopback port runs the app with the protocol `serve`
runs (`GuardedHttpToolsProtocol`), its connection's transport wrapped to note
every write the protocol makes; raw sockets are the clients. What must not be
held back with the head is checked too: an interim `100 Continue`, the head of a
`HEAD` request, and the head of a response whose app fails before its body.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.settings import Settings
from search_service.web.api import create_app
from search_service.web.protocol import GuardedHttpToolsProtocol, ProtocolLimits

from .conftest import LiveServer

LIMITS = ProtocolLimits(
    max_url_bytes=2048,
    max_header_bytes=4096,
    request_read_timeout=5.0,
    limit_concurrency=8,
    any_origin=False,
)
#: Far above what any answer here takes: a client that times out fails its test.
SOCKET_TIMEOUT = 10.0

Writes = list[list[bytes]]


class NotedTransport:
    """A connection's transport that notes each write made through it, as its chunks."""

    def __init__(self, transport: asyncio.Transport, writes: Writes) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append([bytes(data)])
        self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        chunks = [bytes(chunk) for chunk in chunks]
        self._writes.append(chunks)
        self._transport.writelines(chunks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def noting_protocol(writes: Writes) -> type[GuardedHttpToolsProtocol]:
    class Noting(GuardedHttpToolsProtocol.with_limits(LIMITS)):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(NotedTransport(transport, writes))

    return Noting


def received(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def one_answer(sock: socket.socket) -> bytes:
    """One answer of a kept-alive connection: its head, then as many bytes as it announces."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def ask(port: int, request: bytes) -> bytes:
    """Send `request` (its connection closed by the server after the answer), read it all."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(request)
        return received(sock)


@pytest.fixture
def writes() -> Writes:
    return []


@pytest.fixture
def server(
    settings_for: Callable[..., Settings], news: list[Article], writes: Writes
) -> Iterator[LiveServer]:
    settings = settings_for()
    build_from_articles(news, settings.index_dir)
    with LiveServer(create_app(settings), http=noting_protocol(writes)) as live:
        yield live


def test_a_search_answer_leaves_in_one_write_of_its_head_and_body(
    server: LiveServer, writes: Writes
) -> None:
    answer = ask(
        server.port, b"GET /search?q=teachers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b'"hits":[{' in body
    assert f"content-length: {len(body)}".encode() in head.lower()
    assert len(writes) == 1
    assert writes[0] == [head + b"\r\n\r\n", body]


def test_each_answer_of_a_kept_alive_connection_leaves_in_one_write(
    server: LiveServer, writes: Writes
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = one_answer(sock)
        sock.sendall(b"GET /search?q=health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        second = received(sock)

    assert first.startswith(b"HTTP/1.1 200 ") and second.startswith(b"HTTP/1.1 200 ")
    assert [b"".join(chunks) for chunks in writes] == [first, second]
    assert [len(chunks) for chunks in writes] == [2, 2]


def test_an_interim_100_continue_is_sent_before_the_body_is_read(
    server: LiveServer, writes: Writes
) -> None:
    """The client waits for it before sending its body: held back, it would never come."""
    body = b'{"search_id": "x", "position": 1, "article_id": "a"}'
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(
            b"POST /clicks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        interim = sock.recv(65536)
        sock.sendall(body)
        final = received(sock)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 422 ")
    assert writes[0] == [interim]


def test_a_head_request_gets_its_head_without_a_body_to_wait_for(server: LiveServer) -> None:
    """On a kept-alive connection, which no close comes to flush a held head."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(b"\r\n\r\n") and (chunk := sock.recv(65536)):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"content-length: " in answer.lower()


async def _starts_then_fails(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
    )
    raise RuntimeError("the app failed before its body")


def test_the_head_of_an_answer_whose_app_fails_before_its_body_still_leaves(
    writes: Writes,
) -> None:
    """As uvicorn sent it before: the head, then the connection closed."""
    with LiveServer(_starts_then_fails, http=noting_protocol(writes)) as live:  # type: ignore[arg-type]
        answer = ask(live.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"content-length: 5\r\n\r\n")
