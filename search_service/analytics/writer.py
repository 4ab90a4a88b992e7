"""Records written off the request path: a queue, drained in batches by one thread.

The request only puts a record on a queue (`put`, never blocking, never
failing, never waking the thread). A thread of the worker process wakes every
`interval` seconds and writes what gathered in one short transaction, so a busy
service makes a handful of small writes a second however many searches it
answers; `flush` and `close` (the app's shutdown) wake it at once. A thread
waiting on the queue itself was woken by every record: a thread switch and a
handoff of the interpreter lock per search (the 5k bench index, 2 workers, wrk:
system CPU per request 0.11-0.24 ms before, 0.08-0.12 ms after, as with analytics
off). The same thread deletes rows older than the retention when it starts and
when the day changes.

A write that fails (a full disk, the store locked for longer than its busy
timeout) is logged and its records dropped: analytics never hold up a search.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Final

from search_service.analytics.store import AnalyticsStore, Clock, Record, utc_today
from search_service.errors import AnalyticsStoreError

logger = logging.getLogger(__name__)

#: Records waiting at most (beyond it new ones are dropped, and counted).
MAX_PENDING: Final = 100_000
#: Records written in one transaction at most.
MAX_BATCH: Final = 2_000
#: Seconds between a waiting flush's checks that the writer thread still runs.
FLUSH_CHECK_SECONDS: Final = 0.1
#: SQLite's page cache of each worker's writer, in KiB. Its default, 2 MB, was most of the
#: writer thread's 2.5 MiB arena in a worker at 100k (1.1 MiB with 256 KiB); a record costs
#: about 3 µs more on a store just made, the same on a store holding a day of 200,000
#: searches (docs/analytics.md, "The writer's page cache").
WRITER_PAGE_CACHE_KIB: Final = 256


class _Stop:
    """Put on the queue by `close`: write what is pending, then end the thread."""


class _Signal:
    """Set by one thread, waited for by another; set twice before it is taken, it is set
    once. It wakes the writer thread before its interval is over, and answers a flush.

    A bare lock, held while the signal is not set. `threading.Event` waits and sets
    through a `Condition` written in Python (three `AttributeError`s raised and caught to
    make one): with an `Event` to wake the thread and another to answer the flush, a
    flush of nothing cost 78,600 instructions, 29,900 with locks (31,900 since a flush
    waits in steps, `_answered`; callgrind, 200 flushes), and the analytics comparison of
    `bench.http_load` flushes after each search.
    """

    def __init__(self) -> None:
        self._unset = threading.Lock()
        self._unset.acquire()

    def set(self) -> None:
        try:  # noqa: SIM105 (`contextlib.suppress` makes an object a call, twice a flush)
            self._unset.release()
        except RuntimeError:
            pass  # set already, not yet taken

    def wait(self, timeout: float) -> bool:
        """Whether it was set (and is now taken) within `timeout` seconds (none: at once,
        as `Event.wait` did; a lock refuses a negative timeout)."""
        return self._unset.acquire(timeout=max(timeout, 0.0))


class _Flush:
    """Put on the queue by `flush`: answered once what was queued before it is written."""

    __slots__ = ("answered",)

    def __init__(self) -> None:
        self.answered = _Signal()


class BatchWriter:
    """One per worker process; `put` from any thread."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int,
        interval: float = 1.0,
        clock: Clock = utc_today,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the analytics writer's interval must be positive, not {interval}")
        self.path = path
        self.retention_days = retention_days
        self.interval = interval
        self.clock = clock
        #: Records dropped: queue full, or their write failed.
        self.dropped = 0
        self._queue: queue.SimpleQueue[Record | _Flush | _Stop] = queue.SimpleQueue()
        self._wake = _Signal()
        self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
        self._pruned_on: object = None

    def start(self) -> None:
        self._thread.start()

    def put(self, record: Record) -> None:
        if self._queue.qsize() >= MAX_PENDING:
            self.dropped += 1
            return
        self._queue.put(record)

    def flush(self, timeout: float = 30.0) -> bool:
        """Block until every record put before this call is written (tests, shutdown);
        False if they are not within `timeout` seconds, or the thread ends first."""
        if not self._thread.is_alive():
            return False
        flushed = _Flush()
        self._queue.put(flushed)
        self._wake.set()
        return self._answered(flushed, timeout)

    def _answered(self, flushed: _Flush, timeout: float) -> bool:
        """Whether `flushed` was answered within `timeout` seconds. A flush queued behind
        `close`'s `_Stop` never is: the thread's end is noticed within
        `FLUSH_CHECK_SECONDS`, not at the timeout."""
        waited = 0.0
        while waited < timeout:
            step = timeout - waited
            if step > FLUSH_CHECK_SECONDS:
                step = FLUSH_CHECK_SECONDS
            if flushed.answered.wait(step):
                return True
            waited += step
            if not self._thread.is_alive():
                break  # it may have answered just before it ended
        return flushed.answered.wait(0)

    def close(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self._queue.put(_Stop())
            self._wake.set()
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            store = AnalyticsStore.open(self.path, page_cache_kib=WRITER_PAGE_CACHE_KIB)
        except AnalyticsStoreError as error:
            logger.warning("search analytics not written: %s", error)
            self._drain_without_store()
            return
        with store:
            self._prune(store)
            self._loop(store)

    def _loop(self, store: AnalyticsStore) -> None:
        while True:
            self._wake.wait(self.interval)
            stopped = self._write_queued(store)
            self._prune(store)
            if stopped:
                return

    def _write_queued(self, store: AnalyticsStore) -> bool:
        """Write every record queued, answering the `flush`es queued among them in order;
        returns whether `close` asked the thread to end."""
        pending: list[Record] = []
        stopped = False
        while not stopped and not self._queue.empty():  # this thread alone takes from it
            item = self._queue.get_nowait()
            if isinstance(item, (_Flush, _Stop)):
                self._write(store, pending)
                pending = []
                if isinstance(item, _Flush):
                    item.answered.set()
                stopped = isinstance(item, _Stop)
                continue
            pending.append(item)
            if len(pending) >= MAX_BATCH:
                self._write(store, pending)
                pending = []
        self._write(store, pending)
        return stopped

    def _write(self, store: AnalyticsStore, records: list[Record]) -> None:
        if not records:
            return
        try:
            store.write(records)
        except Exception as error:  # a lost batch of counts must never stop the service
            self.dropped += len(records)
            logger.warning("search analytics: %d records not written (%s)", len(records), error)

    def _prune(self, store: AnalyticsStore) -> None:
        today = self.clock()
        if today == self._pruned_on:
            return
        try:
            store.prune(today, self.retention_days)
        except Exception as error:
            logger.warning("search analytics: old rows not deleted (%s)", error)
        self._pruned_on = today

    def _drain_without_store(self) -> None:
        """Without a store, keep answering `flush` and `close` (records are dropped)."""
        while True:
            item = self._queue.get()
            if isinstance(item, _Flush):
                item.answered.set()
            elif isinstance(item, _Stop):
                return
            else:
                self.dropped += 1
