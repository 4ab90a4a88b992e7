"""The SQLite store: WAL, its schema version, retention, and several writers at once."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from search_service.analytics.ids import SearchIds
from search_service.analytics.store import (
    SCHEMA_VERSION,
    AnalyticsStore,
    ClickRecord,
    SearchRecord,
    store_path,
)
from search_service.analytics.writer import WRITER_PAGE_CACHE_KIB, BatchWriter, _Signal, _Stop
from search_service.errors import AnalyticsStoreError

TODAY = dt.date(2026, 12, 1)


def search(
    search_id: str, day: dt.date = TODAY, query: str = "health", results: int = 3
) -> SearchRecord:
    return SearchRecord(
        id=search_id, day=day, query=query, filters=(("country", "Benin"),), results=results
    )


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_the_store_is_made_in_wal_mode_with_its_schema_version(tmp_path: Path) -> None:
    path = store_path(tmp_path / "data")

    AnalyticsStore.open(path).close()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_store_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = store_path(tmp_path / "data")

    AnalyticsStore.open(path).close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_store_of_a_newer_schema_is_refused_not_misread(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    AnalyticsStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(AnalyticsStoreError, match="schema version"):
        AnalyticsStore.open(path)


def test_a_file_that_is_not_a_store_is_refused_with_its_path(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.write_bytes(b"this is not SQLite " * 100)

    with pytest.raises(AnalyticsStoreError, match=str(path)):
        AnalyticsStore.open(path)


def test_the_key_stays_the_same_when_the_store_is_opened_again(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        drawn = SearchIds(store.key()).draw(TODAY)

    with AnalyticsStore.open(path) as store:
        assert SearchIds(store.key()).is_valid(drawn, TODAY)


def test_a_search_id_and_a_clicked_position_count_once(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store.write([search("a"), search("a"), search("b")])
        store.write([search("a")])
        click = ClickRecord(search_id="a", position=2, article_id="x", day=TODAY)
        store.write([click, click])

    assert count(path, "searches") == 2
    assert count(path, "clicks") == 1


def test_each_row_of_a_batch_keeps_its_own_day(tmp_path: Path) -> None:
    """A batch written just after midnight holds searches and clicks of two days."""
    yesterday = TODAY - dt.timedelta(days=1)
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store.write(
            [
                search("late", yesterday),
                search("early"),
                ClickRecord(search_id="late", position=1, article_id="x", day=yesterday),
                ClickRecord(search_id="early", position=1, article_id="y", day=TODAY),
            ]
        )
        days = {
            table: sorted(store.rows(f"SELECT {column}, day FROM {table}"))
            for table, column in (
                ("searches", "id"),
                ("search_filters", "search_id"),
                ("clicks", "search_id"),
            )
        }

    both = [("early", TODAY.isoformat()), ("late", yesterday.isoformat())]
    assert days == {"searches": both, "search_filters": both, "clicks": both}


def _wal_frames(path: Path, db: sqlite3.Connection) -> int:
    page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    wal = path.with_name(path.name + "-wal")
    return max(0, wal.stat().st_size - 32) // (page_size + 24)


def test_a_batch_writes_pages_of_its_day_only_however_many_days_are_kept(
    tmp_path: Path,
) -> None:
    """Keyed by the random id alone, each record of a batch went to a random page of the
    whole store (and to one of an index by day): 1,000 records wrote about 3,000 pages,
    a cost per search that grew with the days kept."""
    path = store_path(tmp_path)
    drawn = random.Random(5)
    earlier = [
        search(drawn.randbytes(20).hex(), TODAY - dt.timedelta(days=day))
        for day in range(1, 11)
        for n in range(2_000)
    ]
    with AnalyticsStore.open(path) as store:
        store.write(earlier)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        store.write([search(drawn.randbytes(20).hex()) for n in range(300)])

        frames = _wal_frames(path, store._db)
    # 300 searches and their filters of one day: some 20 pages (version 1: 473).
    assert frames < 60, f"{frames} pages written for 300 searches"
    assert count(path, "searches") == 20_300


def test_a_version_1_store_is_migrated_keeping_every_row(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    with sqlite3.connect(path) as db:
        for statement in VERSION_1_SCHEMA:
            db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('key', ?)", (b"k" * 32,))
        db.executemany(
            "INSERT INTO searches VALUES (?, ?, ?, ?)",
            [("a", "2026-11-30", "health", 3), ("b", "2026-12-01", "benin", 0)],
        )
        db.execute("INSERT INTO search_filters VALUES ('a', 'country', 'Benin')")
        db.execute("INSERT INTO clicks VALUES ('a', 1, 'x', '2026-11-30')")
        db.execute("PRAGMA user_version = 1")

    with AnalyticsStore.open(path) as store:
        assert store.key() == b"k" * 32
        store.write([search("c", TODAY)])

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert sorted(db.execute("SELECT id, day, query, results FROM searches")) == [
            ("a", "2026-11-30", "health", 3),
            ("b", "2026-12-01", "benin", 0),
            ("c", "2026-12-01", "health", 3),
        ]
        assert sorted(db.execute("SELECT search_id, name, value, day FROM search_filters")) == [
            ("a", "country", "Benin", "2026-11-30"),
            ("c", "country", "Benin", "2026-12-01"),
        ]
        assert db.execute("SELECT * FROM clicks").fetchall() == [("a", 1, "x", "2026-11-30")]
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert {row[0] for row in tables} == {"searches", "search_filters", "clicks", "meta"}
        indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        assert [row[0] for row in indexes if not row[0].startswith("sqlite_")] == ["clicks_by_day"]


#: The schema of version 1 (before 2026-12-05): searches and filters keyed by the id alone.
VERSION_1_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE searches (id TEXT PRIMARY KEY, day TEXT NOT NULL, query TEXT NOT NULL, "
    "results INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX searches_by_day ON searches (day, query)",
    "CREATE TABLE search_filters (search_id TEXT NOT NULL, name TEXT NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (search_id, name, value)) WITHOUT ROWID",
    "CREATE TABLE clicks (search_id TEXT NOT NULL, position INTEGER NOT NULL, "
    "article_id TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (search_id, position)) "
    "WITHOUT ROWID",
    "CREATE INDEX clicks_by_day ON clicks (day)",
)


def test_what_retention_deletes_leaves_no_trace_in_the_file(tmp_path: Path) -> None:
    """Deleted rows are overwritten (`secure_delete`), not left in the pages' free space.

    Debian's SQLite overwrites them by default; builds without `SQLITE_SECURE_DELETE`
    do not (with the pragma set `OFF`, the query is still in the file: checked)."""
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store.write([search("old", TODAY - dt.timedelta(days=30), query="secret-query-4411")])
        store.write([search("new", TODAY)])

        store.prune(TODAY, 7)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    assert count(path, "searches") == 1
    assert b"secret-query-4411" not in path.read_bytes()


def test_a_batch_is_written_in_a_few_statements_of_a_few_sizes(tmp_path: Path) -> None:
    """SQLite runs each statement with the interpreter lock let go, and a writer thread
    waits to take it back from the thread serving requests: a statement per row made
    the writer hand it over a thousand times a second under load. Statements of five
    sizes (256, 64, 16, 4 and 1 rows) are few texts, which the connection keeps prepared."""
    path = store_path(tmp_path)
    clicks = [
        ClickRecord(search_id=f"s{i}", position=1, article_id="x", day=TODAY) for i in range(500)
    ]
    with AnalyticsStore.open(path) as store:
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        store.write([*(search(f"s{i}") for i in range(1_000)), *clicks])
        store._db.set_trace_callback(None)

    rows_per_statement: dict[str, list[int]] = {}
    for sql in statements:
        if sql.startswith("INSERT"):
            table = sql.split()[4]
            rows_per_statement.setdefault(table, []).append(sql.count("), (") + 1)
    # 1,000 rows: 3 of 256, 3 of 64, 2 of 16, 2 of 4; 500 rows: 1, 3, 3 and 1.
    thousand = [256] * 3 + [64] * 3 + [16] * 2 + [4] * 2
    assert rows_per_statement == {
        "searches": thousand,
        "search_filters": thousand,
        "clicks": [256] + [64] * 3 + [16] * 3 + [4],
    }
    assert (count(path, "searches"), count(path, "search_filters"), count(path, "clicks")) == (
        1_000,
        1_000,
        500,
    )


def test_batches_of_many_sizes_do_not_pile_up_prepared_statements(tmp_path: Path) -> None:
    """An `INSERT` written for each batch's number of rows and kept by the statement
    cache (128 of about 0.5 MB at 1,000 rows) grew a worker by about 100 MB."""
    process = psutil.Process()
    with AnalyticsStore.open(store_path(tmp_path)) as store:
        store.write([search(f"warm{i}") for i in range(1_000)])
        before = process.memory_info().rss
        for size in range(1_000, 1_150):
            store.write([search(f"b{size}-{i}") for i in range(size)])
        grown = process.memory_info().rss - before

    assert grown < 20 * 2**20


def test_rows_beyond_sqlites_bound_of_variables_go_in_several_statements_losing_none(
    tmp_path: Path,
) -> None:
    """A bound of 9 variables: two searches (four values each) per statement; an id met
    again in a later statement still counts once."""
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 9)
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        store.write([search(f"s{i}") for i in range(5)] + [search("s0", results=99)])
        store._db.set_trace_callback(None)

    assert len([sql for sql in statements if sql.startswith("INSERT OR IGNORE INTO searches")]) == 3
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, results FROM searches ORDER BY id").fetchall()
    assert rows == [(f"s{i}", 3) for i in range(5)]
    assert count(path, "search_filters") == 5


def test_retention_deletes_searches_clicks_and_filters_older_than_the_kept_days(
    tmp_path: Path,
) -> None:
    path = store_path(tmp_path)
    kept_days = 90
    oldest_kept = TODAY - dt.timedelta(days=kept_days - 1)
    too_old = oldest_kept - dt.timedelta(days=1)
    with AnalyticsStore.open(path) as store:
        store.write(
            [
                search("old", too_old),
                search("kept", oldest_kept),
                ClickRecord("old", 1, "x", too_old),
                ClickRecord("kept", 1, "x", oldest_kept),
                # a click whose search was never counted: kept a day, then deleted
                ClickRecord("never-counted", 1, "x", TODAY - dt.timedelta(days=2)),
                ClickRecord("not-yet", 1, "x", TODAY),
            ]
        )

        store.prune(TODAY, kept_days)

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT id FROM searches").fetchall() == [("kept",)]
        assert db.execute("SELECT search_id FROM search_filters").fetchall() == [("kept",)]
        assert sorted(db.execute("SELECT search_id FROM clicks").fetchall()) == [
            ("kept",),
            ("not-yet",),
        ]


def test_the_writer_applies_the_retention_when_it_starts(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    with AnalyticsStore.open(path) as store:
        store.write([search("old", TODAY - dt.timedelta(days=10)), search("new", TODAY)])
    writer = BatchWriter(path, retention_days=5, clock=lambda: TODAY)

    writer.start()
    writer.close()

    assert count(path, "searches") == 1


def _page_cache(store: AnalyticsStore) -> int:
    return int(store._db.execute("PRAGMA cache_size").fetchone()[0])


def test_a_connection_s_page_cache_is_bounded_only_when_asked(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    with (
        AnalyticsStore.open(path) as default,
        AnalyticsStore.open(path, page_cache_kib=256) as small,
    ):
        assert _page_cache(default) != -256  # SQLite's own (2,000 KiB as it is usually built)
        assert _page_cache(small) == -256


@pytest.mark.parametrize("size", [0, -5])
def test_a_page_cache_of_no_size_is_refused_before_the_file_is_touched(
    tmp_path: Path, size: int
) -> None:
    with pytest.raises(ValueError, match="positive"):
        AnalyticsStore.open(store_path(tmp_path), page_cache_kib=size)
    assert not store_path(tmp_path).exists()


def test_each_worker_s_writer_keeps_a_small_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker has a writer: SQLite's 2 MB default was most of its thread's arena."""
    opened: list[AnalyticsStore] = []
    real_open = AnalyticsStore.open

    def spied(path: Path, **options: Any) -> AnalyticsStore:
        opened.append(real_open(path, **options))
        return opened[-1]

    monkeypatch.setattr(AnalyticsStore, "open", spied)
    writer = BatchWriter(store_path(tmp_path), retention_days=90, clock=lambda: TODAY)
    writer.start()
    writer.put(search("id-1"))

    assert writer.flush()
    assert len(opened) == 1 and _page_cache(opened[0]) == -WRITER_PAGE_CACHE_KIB
    writer.close()
    assert count(store_path(tmp_path), "searches") == 1


def test_the_writer_writes_what_is_queued_when_it_is_closed(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    writer = BatchWriter(path, retention_days=90, interval=3600, clock=lambda: TODAY)
    writer.start()

    for n in range(250):
        writer.put(search(f"id-{n}"))
    writer.close()

    assert count(path, "searches") == 250
    assert writer.dropped == 0


def test_a_flush_writes_what_is_queued_at_once_whatever_the_interval(tmp_path: Path) -> None:
    """The writer wakes once per interval, and at a flush: what was queued is written."""
    path = store_path(tmp_path)
    writer = BatchWriter(path, retention_days=90, interval=3600, clock=lambda: TODAY)
    writer.start()
    for n in range(3):
        writer.put(search(f"id-{n}"))

    assert writer.flush(timeout=10)
    assert count(path, "searches") == 3
    writer.put(search("id-3"))
    assert writer.flush(timeout=10)
    assert count(path, "searches") == 4
    writer.close()


def test_wakes_asked_before_the_writer_takes_one_are_one() -> None:
    """`flush` and `close` wake the thread; two wakes before it looks are one, and asking
    again when one is pending is no error."""
    wake = _Signal()
    assert not wake.wait(0)

    wake.set()
    wake.set()

    assert wake.wait(0)
    assert not wake.wait(0)


def test_a_flush_from_several_threads_at_once_returns_once_its_records_are_written(
    tmp_path: Path,
) -> None:
    path = store_path(tmp_path)
    writer = BatchWriter(path, retention_days=90, interval=3600, clock=lambda: TODAY)
    writer.start()
    found: list[bool] = []

    def put_and_flush(thread: int) -> None:
        for n in range(20):
            writer.put(search(f"t{thread}-{n}"))
            assert writer.flush(timeout=30)
            with sqlite3.connect(path) as db:
                row = db.execute("SELECT 1 FROM searches WHERE id = ?", (f"t{thread}-{n}",))
                found.append(row.fetchone() is not None)

    threads = [threading.Thread(target=put_and_flush, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()

    assert found == [True] * 80
    assert count(path, "searches") == 80


def test_a_writer_without_its_store_answers_flushes_and_counts_what_it_drops(
    tmp_path: Path,
) -> None:
    """A store it cannot open (here, of a newer schema) costs the records, never a search:
    a flush still returns at once and `close` still ends the thread."""
    path = store_path(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    writer = BatchWriter(path, retention_days=90, interval=3600, clock=lambda: TODAY)
    writer.start()
    writer.put(search("lost-1"))
    writer.put(search("lost-2"))

    assert writer.flush(timeout=30)
    assert writer.dropped == 2
    writer.close(timeout=30)
    assert not writer._thread.is_alive()


def test_a_flush_queued_behind_close_returns_false_when_the_thread_ends(
    tmp_path: Path,
) -> None:
    """A flush racing `close` (its marker queued after the stop) is never answered: it
    says False once the thread has ended instead of waiting out its timeout."""
    writer = BatchWriter(store_path(tmp_path), retention_days=90, interval=3600)
    writer.start()
    writer._queue.put(_Stop())  # `close` got there first, the thread not yet woken
    answers: list[bool] = []
    flushing = threading.Thread(target=lambda: answers.append(writer.flush(timeout=600)))

    flushing.start()
    flushing.join(timeout=60)

    assert not flushing.is_alive(), "the flush waited for its timeout"
    assert answers == [False]


def _write_from_a_process(path: str, worker: int, searches: int, go: Any) -> None:
    writer = BatchWriter(Path(path), retention_days=90, interval=0.01, clock=lambda: TODAY)
    writer.start()
    go.wait(60)  # every process has started its writer: they write at the same time
    for n in range(searches):
        writer.put(search(f"w{worker}-{n}", query=f"query {n % 7}"))
        writer.put(ClickRecord(f"w{worker}-{n}", 1 + n % 3, "x", TODAY))
    writer.close()
    assert writer.dropped == 0


def test_several_processes_writing_one_store_at_once_lose_nothing(tmp_path: Path) -> None:
    """Four worker processes, each with its writer thread, on one new file at the same time."""
    path = store_path(tmp_path / "data")
    processes, per_process = 4, 600
    context = multiprocessing.get_context("spawn")
    go = context.Barrier(processes)
    workers = [
        context.Process(target=_write_from_a_process, args=(str(path), w, per_process, go))
        for w in range(processes)
    ]

    for process in workers:
        process.start()
    for process in workers:
        process.join(120)

    assert [process.exitcode for process in workers] == [0] * processes
    assert count(path, "searches") == processes * per_process
    assert count(path, "clicks") == processes * per_process
    assert count(path, "search_filters") == processes * per_process
