"""The table the workers of `serve` count their connections in (`web.balance`); the
workers themselves sharing connections out are tested as processes in
test_serve_command.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass

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
    """Past the deferral, a burst is taken whole, not one connection per deferral. The
    deferral's end is called directly (`_resume`) instead of waited for."""
    table = ConnectionTable(2)
    busy, idle = started(table), started(table)

    async def burst() -> int:
        loop = asyncio.get_running_loop()
        with socket.create_server(("127.0.0.1", 0)) as listening:
            listener = balance.BalancedListener(loop, listening, Counted, busy)
            busy.opened()  # `idle` is the least loaded, and takes nothing: it is stopped
            clients = [socket.create_connection(listening.getsockname()) for _ in range(5)]
            try:
                for _ in range(5):
                    await asyncio.sleep(0)
                assert table.counts()[busy.index] == 1  # each left to `idle` so far
                assert listener._resuming is not None
                listener._resuming.cancel()
                listener._resume()
                for _ in range(20):
                    await asyncio.sleep(0)
                return table.counts()[busy.index]
            finally:
                listener.close()
                await listener.wait_closed()
                for client in clients:
                    client.close()

    assert uvloop.run(burst()) == 1 + 5
    assert table.counts()[idle.index] == 0
