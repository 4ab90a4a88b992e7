"""A background check for newly published generations, so an idle service follows them too.

`SearchEngine` looks at the live pointer when a request asks for the generation
(at most every `reload_interval` seconds). Without requests nothing would look,
and `/health` would report the old generation to the first monitor that asks
after a publish. The watcher asks on a timer instead: one daemon thread per
engine (so one per worker process of `serve`), started and stopped with the
app. It only reads the pointer and lets the engine open a new generation on the
engine's own opening thread; it never searches, so it holds no Whoosh searcher.
"""

from __future__ import annotations

import logging
import threading

from search_service.errors import (
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
)
from search_service.search.engine import SearchEngine

logger = logging.getLogger(__name__)

#: Seconds `stop` waits for the thread to end (an open in progress is not waited for).
_STOP_TIMEOUT = 5.0


class GenerationWatcher:
    """Checks the live pointer every `reload_interval` seconds until stopped."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self.interval = engine.settings.reload_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="generation-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=_STOP_TIMEOUT)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> None:
        """One look at the pointer; nothing published yet or a damaged index is no failure.

        The engine warns about a damaged pointer itself (once) when it is serving;
        an unexpected error is logged and the next check comes as usual.
        """
        try:
            self.engine.refresh()
        except (
            IndexNotFoundError,
            DamagedPointerError,
            DamagedGenerationError,
            IndexAccessError,
            OSError,
        ):
            pass  # the engine logs a damaged generation itself (once)
        except Exception:
            logger.exception("checking for a new index generation failed")
