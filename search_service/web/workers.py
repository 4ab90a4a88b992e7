"""The worker processes of `serve --workers N`: forked from a supervisor that has
imported the app, instead of spawned.

uvicorn's supervisor starts each worker with multiprocessing's "spawn": a fresh
interpreter that imports FastAPI, numpy, Whoosh, pycountry and the app once more, 56 MiB
of private memory in every worker at 100,000 articles before it serves anything
(docs/serving-speed.md, "Workers forked after the imports"). Forked after those imports, the
workers share the supervisor's pages until they write to them; the imported objects are
frozen out of the garbage collector first (`gc.freeze`), so that a collection in a
worker does not write to every page holding one of them (Python's documentation of
`gc.freeze`).

The supervisor also builds the app (`create_app`: settings, routes, the engine with
no generation open yet), and every worker serves that object (`preloaded_app`): built
in a worker, the same app cost it 13 MiB of private memory, most of it pages of the
supervisor's that building it wrote to (docs/serving-speed.md, "A worker's memory, piece by piece").
It loads uvicorn's configuration too (what each worker's uvicorn would import and wrap
before serving) and serves a few searches (`warm_up`), so what the first requests build
is built once. What holds a thread, an open file or a mapped index (the live
generation, its watcher, the analytics recorder) is created by each worker, in the
app's lifespan.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
from collections.abc import Iterator
from multiprocessing.context import ForkProcess
from typing import Final

import uvicorn
import uvicorn._subprocess
from fastapi import FastAPI
from uvicorn.supervisors.multiprocess import SIGNALS

from search_service.child_processes import die_with_parent
from search_service.errors import ServeError
from search_service.web.balance import claim_slot, use_slot
from search_service.web.warm_up import warm_up

#: What a worker imports to serve: the app's module pulls in the rest (FastAPI, numpy,
#: Whoosh, the search engine, the analytics recorder).
_APP_MODULE: Final = "search_service.web.api"
#: The app `preload_app` built in the supervisor, which its forked workers serve.
_preloaded: FastAPI | None = None
#: The signals uvicorn's supervisor handles (and a worker must not, from birth).
_SIGNALS: Final = frozenset(SIGNALS)


class ForkedWorkerProcess(ForkProcess):
    """A worker forked from the supervisor, with the signal handlers a fresh process has,
    that stops when the supervisor dies.

    uvicorn's supervisor queues the signals it receives in handlers of its own; a
    forked worker would inherit them, and a SIGTERM arriving before the worker's
    server installs its handlers would be queued in a copy nobody reads, leaving
    the worker running while the supervisor waits for it. The signals are blocked
    across the fork, so one sent meanwhile waits for the worker's own handlers.

    A supervisor killed outright (SIGKILL, the out-of-memory killer) would leave its
    workers serving on the port with nobody to restart or stop them, and a new `serve`
    could not listen there: the kernel sends each worker a SIGTERM instead (a graceful
    stop: requests in progress end, the analytics queued are written).
    """

    def start(self) -> None:
        self._supervisor = os.getpid()
        self._slot = claim_slot(self)  # where it counts its connections (`balance`)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def run(self) -> None:
        for number in _SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        die_with_parent(self._supervisor, signal.SIGTERM)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        use_slot(self._slot)
        super().run()


class ForkedWorkers:
    """Stands in for the multiprocessing context uvicorn starts its workers with (it only
    asks for `.Process`)."""

    Process = ForkedWorkerProcess


def preload_app(config: uvicorn.Config) -> None:
    """Import what every worker imports, build the app they serve (`preloaded_app`),
    load uvicorn's `config` (its workers then find it loaded), serve a few searches
    (`warm_up`), then freeze it all out of the garbage collector.

    `create_app` reads the settings `serve` exported to the environment. `ServeError`
    when the app cannot be imported or built (as uvicorn's own loading of it in a
    single worker would say).
    """
    global _preloaded
    try:
        api = importlib.import_module(_APP_MODULE)
    except Exception as error:  # any error of the app's modules at import time
        raise ServeError(
            f"the service failed to start: importing the app failed: {error!r}"
        ) from error
    try:
        _preloaded = api.create_app()
    except Exception as error:  # any error of the app's settings or routes
        raise ServeError(
            f"the service failed to start: building the app failed: {error!r}"
        ) from error
    try:
        config.load()
        config.get_loop_factory()  # imports the event loop's module
    except (Exception, SystemExit) as error:  # uvicorn exits on what it cannot import
        raise ServeError(
            f"the service failed to start: loading uvicorn's configuration failed: {error!r}"
        ) from error
    warm_up(_preloaded)
    gc.collect()
    gc.freeze()


def preloaded_app() -> FastAPI:
    """The factory uvicorn calls in each forked worker: the app the supervisor built.

    Without `preload_app` first (a worker not forked from `serve`'s supervisor), a new
    one.
    """
    if _preloaded is not None:
        return _preloaded
    api = importlib.import_module(_APP_MODULE)
    app: FastAPI = api.create_app()
    return app


@contextlib.contextmanager
def forked_workers() -> Iterator[None]:
    """While inside, uvicorn's supervisor forks its workers (`ForkedWorkerProcess`).

    uvicorn has no option for it: its module `_subprocess` starts every worker through
    the context named `spawn` (checked by tests/api/test_serve_command.py, which
    fails if a worker is spawned again). Outside, it is put back.
    """
    module = uvicorn._subprocess
    spawn = module.spawn
    setattr(module, "spawn", ForkedWorkers())  # noqa: B010 - typed as a SpawnContext
    try:
        yield
    finally:
        setattr(module, "spawn", spawn)  # noqa: B010
