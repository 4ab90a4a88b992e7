"""The table the workers of `serve` count their connections in (`web.balance`); the
workers themselves sharing connections out are tested as processes in
test_serve_command.py."""

from __future__ import annotations

from dataclasses import dataclass

from search_service.settings import Settings
from search_service.web import balance, server
from search_service.web.balance import ConnectionTable


@dataclass
class Worker:
    running: bool = True

    def is_alive(self) -> bool:
        return self.running


def test_a_worker_is_the_least_loaded_until_it_holds_more_than_another() -> None:
    table = ConnectionTable(4)
    first, second = table.claim(Worker()), table.claim(Worker())
    assert first is not None and second is not None

    first.opened()
    assert second.is_least_loaded() and not first.is_least_loaded()
    second.opened()
    assert first.is_least_loaded() and second.is_least_loaded()
    first.closed()
    assert first.is_least_loaded() and not second.is_least_loaded()


def test_a_worker_that_stopped_accepting_is_never_the_least_loaded() -> None:
    """Its slot would otherwise make the others leave every new connection to it."""
    table = ConnectionTable(2)
    leaving, staying = table.claim(Worker()), table.claim(Worker())
    assert leaving is not None and staying is not None
    staying.opened()

    leaving.leave()

    assert staying.is_least_loaded()


def test_the_slot_of_an_ended_worker_goes_to_the_next_one_counting_from_zero() -> None:
    table = ConnectionTable(2)
    ended, running = Worker(), Worker()
    old = table.claim(ended)
    assert old is not None and table.claim(running) is not None
    old.opened()
    old.opened()
    ended.running = False

    replacement = table.claim(Worker())

    assert replacement is not None and replacement.index == old.index
    assert table.counts()[replacement.index] == 0


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
