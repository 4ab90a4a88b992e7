"""The table the workers of `serve` count their connections in (`web.balance`), and the
listener that accepts by it, in one process (two listeners on two descriptors of one
socket stand for two workers); real workers sharing connections out are tested as
processes in test_serve_command.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import uvloop

from search_service.settings import Settings
from search_service.web import balance, server
from search_service.web.balance import ConnectionTable, Slot


@dataclass
class Worker:
    running: bool = True

    def is_alive(self) -> bool:
        return self.running


def started(table: ConnectionTable) -> Slot:
    slot = table.claim(Worker())
    assert slot is not None
    slot.start()
    return slot


def test_a_worker_is_the_least_loaded_until_it_holds_more_than_another() -> None:
    table = ConnectionTable(4)
    first, second = started(table), started(table)

    first.opened()
    assert second.is_least_loaded() and not first.is_least_loaded()
    second.opened()
    assert first.is_least_loaded() and second.is_least_loaded()
    first.closed()
    assert first.is_least_loaded() and not second.is_least_loaded()


def test_a_worker_that_stopped_accepting_is_never_the_least_loaded() -> None:
    """Its slot would otherwise make the others leave every new connection to it."""
    table = ConnectionTable(2)
    leaving, staying = started(table), started(table)
    staying.opened()

    leaving.leave()

    assert staying.is_least_loaded()


def test_a_worker_holds_nothing_back_until_its_listener_starts() -> None:
    """A worker still starting (or one that never does) is not the least loaded."""
    table = ConnectionTable(2)
    serving = started(table)
    serving.opened()
    starting = table.claim(Worker())
    assert starting is not None

    assert serving.is_least_loaded()
    starting.start()
    assert not serving.is_least_loaded()


def test_the_slots_of_ended_workers_are_freed_when_the_next_one_is_claimed() -> None:
    """A worker killed outright cannot free its slot; left at its count, it would hold
    connections back from the others."""
    table = ConnectionTable(3)
    ended, running, killed = Worker(), Worker(), Worker()
    slots = [table.claim(worker) for worker in (ended, running, killed)]
    for slot in slots:
        assert slot is not None
        slot.start()
    ended.running = killed.running = False
    survivor = slots[1]
    assert survivor is not None
    survivor.opened()

    replacement = table.claim(Worker())

    assert replacement is not None and replacement.index == 0
    assert survivor.is_least_loaded()  # neither dead slot, nor the one still starting


def test_a_worker_started_when_every_slot_is_held_accepts_unbalanced() -> None:
    table = ConnectionTable(1)
    assert table.claim(Worker()) is not None

    assert table.claim(Worker()) is None


def test_several_workers_run_the_balanced_loop_and_one_uvicorns_own() -> None:
    assert server.uvicorn_options(Settings(workers=2))["loop"] == balance.LOOP
    assert server.uvicorn_options(Settings(workers=1))["loop"] == "auto"
    loop = balance.new_event_loop()
    try:
        assert isinstance(loop, balance.BalancedLoop)
    finally:
        loop.close()


class Counted(asyncio.Protocol):
    on_lost: Callable[[], None] | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.on_lost is not None:
            self.on_lost()


def test_connections_left_waiting_too_long_are_all_taken_at_once() -> None:
    """Past the wait, a burst is taken whole, not one connection per wait. The wait is an
    hour, made to have started an hour ago instead of waited for."""
    table = ConnectionTable(2)
    busy, idle = started(table), started(table)

    async def burst() -> int:
        loop = asyncio.get_running_loop()
        with socket.create_server(("127.0.0.1", 0)) as listening:
            listener = balance.BalancedListener(loop, listening, Counted, busy, 3600)
            busy.opened()  # `idle` is the least loaded, and takes nothing: it is stopped
            clients = [socket.create_connection(listening.getsockname()) for _ in range(5)]
            try:
                for _ in range(5):
                    await asyncio.sleep(0)
                assert table.counts()[busy.index] == 1  # each left to `idle` so far
                assert listener._waiting_since is not None
                listener._waiting_since -= 3600
                await _until(lambda: table.counts()[busy.index] == 1 + 5)
                return table.counts()[busy.index]
            finally:
                listener.close()
                await listener.wait_closed()
                for client in clients:
                    client.close()

    assert uvloop.run(burst()) == 1 + 5
    assert table.counts()[idle.index] == 0


async def _until(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (an AssertionError after 5 s)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def test_a_worker_leaving_a_connection_to_another_takes_the_next_once_it_holds_fewer() -> None:
    """Two workers in one loop, each with its own descriptor of the listening socket.
    `left` holds more and leaves a connection to `right`; once `right` holds more, the
    next is taken by `left`, not kept waiting until the end of its hour's wait (which a
    worker that stopped watching the socket for the whole wait did)."""
    table = ConnectionTable(2)
    left_slot, right_slot = started(table), started(table)

    async def three_connections() -> list[int]:
        loop = asyncio.get_running_loop()
        with socket.create_server(("127.0.0.1", 0)) as listening, listening.dup() as second:
            left = balance.BalancedListener(loop, listening, Counted, left_slot, 3600)
            right = balance.BalancedListener(loop, second, Counted, right_slot, 3600)
            left_slot.opened()  # a connection from before
            clients: list[socket.socket] = []
            try:
                for _ in range(3):
                    held = sum(table.counts())
                    clients.append(socket.create_connection(listening.getsockname()))
                    await _until(lambda: sum(table.counts()) == held + 1)  # noqa: B023
                return sorted(table.counts())
            finally:
                for listener in (left, right):
                    listener.close()
                    await listener.wait_closed()
                for client in clients:
                    client.close()

    assert uvloop.run(three_connections()) == [2, 2]


def test_a_balance_wait_of_zero_leaves_the_workers_unbalanced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`SEARCH_BALANCE_WAIT_MS=0`: no table, so each worker's server is uvloop's own."""
    monkeypatch.setattr(balance, "_table", None)
    monkeypatch.setattr(balance, "_wait_seconds", 0.0)

    balance.share_connections(2, 0.0)

    assert balance.claim_slot(Worker()) is None
    balance.share_connections(2, 0.02)
    assert balance.claim_slot(Worker()) is not None
