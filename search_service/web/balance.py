"""Connections shared out evenly between the worker processes of `serve --workers N`.

The workers accept connections from one listening socket. Left to the kernel and
libuv, the worker that wakes first takes every connection waiting (libuv accepts
until the backlog is empty): the 8 keep-alive connections a load test (or a reverse
proxy's pool of upstream connections) opens at once were split between two workers
4/4 in 13 runs of 36, 5/3 in 16, 6/2 in 4, 7/1 in 2 and 8/0 once. A worker's
requests queue behind one another in its one thread, so the clients of the fuller
worker wait longer, and a worker holding no connection leaves its core idle: at
5,000 articles, 1,247 requests/s for the 8/0 split against 2,240 (docs/serving-speed.md,
"Connections shared out between the workers").

Here each worker counts its open connections in a table in memory shared by all of
them (`ConnectionTable`, a slot per worker, given by the supervisor when it starts
one) and accepts them itself (`BalancedListener`), one at a time: a worker holding
more connections than the least loaded leaves a waiting connection to that one for
`SEARCH_BALANCE_WAIT_MS` at most, then takes it. A worker busy with a long request,
stopped, or not run in time by a system whose cores are busy with other work, holds no
connection back longer: there the connections are shared as the kernel wakes the
workers. The event loop is uvloop's, with `create_server` on a shared socket making
that listener (`BalancedLoop`); uvicorn takes it as a custom loop (`LOOP`).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import multiprocessing
import select
import socket
from collections.abc import Callable
from typing import Any, Final

import uvloop

logger = logging.getLogger("search_service.web.balance")

#: uvicorn's `loop` option for several workers: it imports this factory in each worker.
LOOP: Final = "search_service.web.balance:new_event_loop"
#: How long a worker stops accepting when the system refuses it a descriptor (EMFILE…),
#: as asyncio's own servers do.
ACCEPT_RETRY_SECONDS: Final = 1.0
#: How often a worker leaving a connection to a less loaded one looks again: taken by
#: then, it stops waiting; still there, it may be the least loaded itself by now.
LOOK_AGAIN_SECONDS: Final = 0.001
#: The count of a slot no worker holds: never the least loaded.
_FREE: Final = 1 << 62
#: Accept errors that pause accepting (`ACCEPT_RETRY_SECONDS`), as in asyncio's servers;
#: any other is logged and the next connection taken.
_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class ConnectionTable:
    """The open connections of each worker, in memory its forked workers share.

    A worker writes only its own slot (from its event loop's thread) and reads the
    others': aligned 64-bit words, so no lock is needed. The supervisor gives the
    slots out (`claim`); a slot counts from its worker's first accept (`Slot.start`)
    until the worker stops accepting (`Slot.leave`) or ends.
    """

    def __init__(self, slots: int) -> None:
        self._counts = multiprocessing.RawArray(ctypes.c_int64, [_FREE] * slots)
        self._holders: list[Any] = [None] * slots

    def claim(self, worker: Any) -> Slot | None:
        """A slot for `worker` (a process about to start), from the supervisor; None
        when every slot's worker is still running (the worker then accepts unbalanced).

        Slots of workers that ended are freed first: one killed (SIGKILL, the
        out-of-memory killer) could not free its own. The slot stays free until the
        worker's listener starts (`Slot.start`): a worker still starting, or one that
        never does, holds no connection back from the others.
        """
        for index, holder in enumerate(self._holders):
            if holder is not None and not holder.is_alive():
                self._holders[index] = None
                self.set(index, _FREE)
        for index, holder in enumerate(self._holders):
            if holder is None:
                self._holders[index] = worker
                return Slot(self, index)
        return None

    def counts(self) -> list[int]:
        """Every slot's count (`_FREE`: no worker)."""
        return list(self._counts)

    def set(self, index: int, count: int) -> None:
        self._counts[index] = count

    def add(self, index: int, change: int) -> None:
        self._counts[index] += change


class Slot:
    """One worker's place in the table: its count, and whether it is the least loaded."""

    def __init__(self, table: ConnectionTable, index: int) -> None:
        self.table = table
        self.index = index

    def start(self) -> None:
        """This worker accepts from now on, holding no connection yet."""
        self.table.set(self.index, 0)

    def opened(self) -> None:
        self.table.add(self.index, 1)

    def closed(self) -> None:
        self.table.add(self.index, -1)

    def is_least_loaded(self) -> bool:
        """Whether no other worker holds fewer connections than this one."""
        counts = self.table.counts()
        mine = counts[self.index]
        return all(mine <= count for count in counts)

    def leave(self) -> None:
        """This worker accepts no more: the others stop leaving connections to it."""
        self.table.set(self.index, _FREE)


#: The table `serve`'s supervisor shares with the workers it forks (None: one process).
_table: ConnectionTable | None = None
#: This worker's slot (None: not a balanced worker; its server accepts as uvloop does).
_slot: Slot | None = None
#: How long a worker leaves a waiting connection to a less loaded one before taking it.
_wait_seconds: float = 0.0


def share_connections(workers: int, wait_seconds: float) -> None:
    """In the supervisor, before it forks `workers` workers: the table they will share,
    and how long each leaves a connection to a less loaded one (0: no table, no balancing).

    Twice as many slots as workers: a restart (SIGHUP) starts each new worker before
    it stops the old one.
    """
    global _table, _wait_seconds
    _table = ConnectionTable(2 * workers) if wait_seconds > 0 else None
    _wait_seconds = wait_seconds


def claim_slot(worker: Any) -> Slot | None:
    """In the supervisor: the slot of a worker it is about to start (None: no table)."""
    return _table.claim(worker) if _table is not None else None


def use_slot(slot: Slot | None) -> None:
    """In a worker, before its server starts: the slot its listener counts in."""
    global _slot
    _slot = slot


class BalancedListener:
    """Accepts the connections of a socket shared with other workers, one at a time,
    leaving each to a less loaded worker for about `wait_seconds` at most (counted in the
    loop's milliseconds, from the first connection left since this worker last took one).

    It stands in for the `asyncio.Server` uvicorn keeps (`close`, `wait_closed`).
    Each connection is counted in this worker's slot from its accept until its
    protocol's `connection_lost` (the protocol calls the `on_lost` it is given).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        slot: Slot,
        wait_seconds: float,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._slot = slot
        self._wait_seconds = wait_seconds
        self._fd = sock.fileno()
        self._resuming: asyncio.TimerHandle | None = None
        self._waiting_since: float | None = None
        self._overdue = False
        self._closing = False
        self._connecting: set[asyncio.Task[None]] = set()
        sock.setblocking(False)
        slot.start()
        loop.add_reader(self._fd, self._on_readable)

    def _on_readable(self) -> None:
        """Take one waiting connection, or leave it to a less loaded worker for a while.

        Once connections have waited that long (`_overdue`), every one waiting is taken
        (until none is left), so a burst is not let in one per `wait_seconds`.
        """
        if not self._overdue and not self._slot.is_least_loaded():
            self._leave_to_another()
            return
        try:
            connection, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError):
            self._stop_waiting()  # none left: another worker took it
            return
        except ConnectionAbortedError:
            self._dealt_with_one()  # the client gave up before it was taken
            return
        except OSError as error:
            if error.errno not in _OUT_OF_RESOURCES:
                logger.warning("accepting a connection failed: %s", error)
                self._dealt_with_one()
                return
            logger.error("accepting a connection failed (%s): retrying in a second", error)
            self._stop_waiting()
            self._pause(ACCEPT_RETRY_SECONDS, self._accept_again)
            return
        self._dealt_with_one()
        connection.setblocking(False)
        self._slot.opened()
        task = self._loop.create_task(self._connect(connection))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._counted_protocol, connection)
        except Exception as error:  # its protocol never started: nothing else counts it out
            self._slot.closed()
            connection.close()
            logger.warning("a connection could not be set up: %s", error)

    def _counted_protocol(self) -> asyncio.BaseProtocol:
        protocol = self._factory()
        protocol.on_lost = self._slot.closed  # type: ignore[attr-defined]
        return protocol

    def _leave_to_another(self) -> None:
        """Stop watching the socket for a moment (a connection waiting would wake this
        worker again at once), then look again (`_look_again`)."""
        if self._waiting_since is None:
            self._waiting_since = self._loop.time()
        self._pause(LOOK_AGAIN_SECONDS, self._look_again)

    def _look_again(self) -> None:
        """Watch the socket again. No connection waiting any more ends the wait; one
        still waiting after `wait_seconds` is overdue, and taken with all that wait."""
        self._resuming = None
        if self._closing:
            return
        if not _is_readable(self._fd):
            self._stop_waiting()
        elif (
            self._waiting_since is not None
            and self._loop.time() - self._waiting_since >= self._wait_seconds
        ):
            self._overdue = True
        self._loop.add_reader(self._fd, self._on_readable)

    def _dealt_with_one(self) -> None:
        """A waiting connection taken (or gone): the wait is over, unless it was overdue
        and more are waiting, which waited as long."""
        if not self._overdue or not _is_readable(self._fd):
            self._stop_waiting()

    def _stop_waiting(self) -> None:
        self._waiting_since = None
        self._overdue = False

    def _accept_again(self) -> None:
        """After a pause for want of descriptors: connections waiting are taken at once."""
        self._resuming = None
        if self._closing:
            return
        self._overdue = _is_readable(self._fd)
        self._loop.add_reader(self._fd, self._on_readable)

    def _pause(self, seconds: float, then: Callable[[], None]) -> None:
        self._loop.remove_reader(self._fd)
        self._resuming = self._loop.call_later(seconds, then)

    def close(self) -> None:
        """Accept no more (connections already open stay, as with asyncio's servers)."""
        if self._closing:
            return
        self._closing = True
        self._loop.remove_reader(self._fd)
        if self._resuming is not None:
            self._resuming.cancel()
        self._slot.leave()

    async def wait_closed(self) -> None:
        """Connections being set up are set up (uvicorn then waits for them to close)."""
        if self._connecting:
            await asyncio.gather(*self._connecting, return_exceptions=True)


def _is_readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class BalancedLoop(uvloop.Loop):
    """uvloop's event loop, whose server on a shared socket is a `BalancedListener`
    in a balanced worker (and uvloop's own anywhere else, or with TLS)."""

    async def create_server(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: Any = None,
        port: Any = None,
        *,
        sock: socket.socket | None = None,
        **options: Any,
    ) -> Any:
        if sock is None or _slot is None or options.get("ssl") is not None:
            return await super().create_server(protocol_factory, host, port, sock=sock, **options)
        return BalancedListener(self, sock, protocol_factory, _slot, _wait_seconds)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's loop factory for several workers (`LOOP`)."""
    return BalancedLoop()
