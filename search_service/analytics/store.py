"""The analytics store: one SQLite file under `SEARCH_DATA_DIR`, shared by every worker.

WAL mode (readers never wait for the writer), a busy timeout and short
transactions, so several uvicorn workers and the `report` command can use the
file at once. The schema is versioned (`PRAGMA user_version`): a file made by a
newer version is refused rather than misread, an older one is migrated.

Its tables hold exactly the fields of `SearchRecord` and `ClickRecord` (and
the id-signing key in `meta`). They are `WITHOUT ROWID` tables keyed by the
random search id (searches and their filters by the day, then the id), so not
even the order in which searches were made that day is kept. A day's rows lie
together: a batch writes pages of its day only, not pages spread over every day
kept (`_SCHEMA`). An id is good for one day (`ids`), so it is stored once.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from search_service.analytics.ids import new_key
from search_service.errors import AnalyticsStoreError

FILE_NAME: Final = "analytics.sqlite3"
SCHEMA_VERSION: Final = 2
#: Milliseconds a connection waits for another one's write before giving up.
BUSY_TIMEOUT_MS: Final = 10_000
#: Rows of the `INSERT` statements a batch is written in (`_insert`): 1,000 searches take
#: 10 statements, of five texts a table, which the connection keeps prepared. Prepared
#: again each time (that of one row, `BEGIN` and `COMMIT`), they were about 37,000 of the
#: 84,000 instructions a transaction of one record cost (callgrind).
ROWS_PER_STATEMENT: Final = (256, 64, 16, 4, 1)
#: Statements a connection keeps prepared: more than the store runs, whose `INSERT`s are of
#: `ROWS_PER_STATEMENT` rows only. Written for each batch's number of rows, 128 of them
#: kept (sqlite3's default; about 0.5 MB each at 1,000 rows) held about 100 MB a worker.
STATEMENTS_KEPT: Final = 32

_SEARCHES: Final = """CREATE TABLE {name} (
        id TEXT NOT NULL,
        day TEXT NOT NULL,
        query TEXT NOT NULL,
        results INTEGER NOT NULL,
        PRIMARY KEY (day, id)
    ) WITHOUT ROWID"""
_SEARCH_FILTERS: Final = """CREATE TABLE {name} (
        search_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (day, search_id, name, value)
    ) WITHOUT ROWID"""

#: Keyed by the day, then the random id. Keyed by the id alone (version 1), every record
#: went to a random page of the whole file, and a second random page of an index by day:
#: once the file outgrew SQLite's cache, a batch of 1,000 searches wrote some 3,000 pages
#: to the WAL, 55 µs of CPU per record at 240,000 searches kept against 7 µs at 20,000.
#: A day's rows are together now, so a batch writes pages of today only.
_SCHEMA: Final = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
    _SEARCHES.format(name="searches"),
    _SEARCH_FILTERS.format(name="search_filters"),
    """CREATE TABLE clicks (
        search_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        article_id TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (search_id, position)
    ) WITHOUT ROWID""",
    "CREATE INDEX clicks_by_day ON clicks (day)",
)

#: Schema changes, by the version they lead to.
_MIGRATIONS: Final[dict[int, tuple[str, ...]]] = {
    2: (
        _SEARCHES.format(name="searches_by_day_and_id"),
        "INSERT INTO searches_by_day_and_id (id, day, query, results) "
        "SELECT id, day, query, results FROM searches",
        _SEARCH_FILTERS.format(name="search_filters_by_day"),
        "INSERT INTO search_filters_by_day (search_id, name, value, day) "
        "SELECT f.search_id, f.name, f.value, s.day "
        "FROM search_filters f JOIN searches s ON s.id = f.search_id",
        "DROP TABLE search_filters",
        "DROP TABLE searches",
        "ALTER TABLE searches_by_day_and_id RENAME TO searches",
        "ALTER TABLE search_filters_by_day RENAME TO search_filters",
    ),
}

Clock = Callable[[], dt.date]


def utc_today() -> dt.date:
    """The day records are filed under: the UTC date, the same for every worker."""
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One counted search: everything the store keeps about it."""

    id: str
    day: dt.date
    query: str
    filters: tuple[tuple[str, str], ...]
    results: int


@dataclass(frozen=True, slots=True)
class ClickRecord:
    """One opened result: everything the store keeps about it."""

    search_id: str
    position: int
    article_id: str
    day: dt.date


Record = SearchRecord | ClickRecord


def store_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


class AnalyticsStore:
    """One connection to the store; used by one thread (the writer, or a report)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, page_cache_kib: int | None = None
    ) -> AnalyticsStore:
        """Open (and with `create`, make or migrate) the store at `path`; `page_cache_kib`
        bounds SQLite's page cache of this connection (2 MB by default).

        `AnalyticsStoreError` when it cannot be: a folder that cannot be made, a
        file that is not this store, a schema newer than this version knows.
        """
        path = Path(path)
        if page_cache_kib is not None and page_cache_kib <= 0:
            raise ValueError(f"a page cache of {page_cache_kib} KiB: give a positive size")
        try:
            if create:
                _make_file(path)
            elif not path.exists():
                raise AnalyticsStoreError(f"no analytics store at {path.resolve()}")
            connection = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=STATEMENTS_KEPT,
            )
        except OSError as error:
            raise AnalyticsStoreError(f"cannot open {path.resolve()}: {error}") from error
        except sqlite3.Error as error:
            raise AnalyticsStoreError(f"cannot open {path.resolve()}: {error}") from error
        store = cls(path, connection)
        try:
            store._prepare(page_cache_kib)
        except sqlite3.Error as error:
            connection.close()
            raise AnalyticsStoreError(
                f"{path.resolve()} is not a readable analytics store: {error}"
            ) from error
        except AnalyticsStoreError:
            connection.close()
            raise
        return store

    def __enter__(self) -> AnalyticsStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _prepare(self, page_cache_kib: int | None) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _retry_locked(lambda: db.execute("PRAGMA journal_mode = WAL").fetchone())
        if page_cache_kib is not None:
            db.execute(f"PRAGMA cache_size = -{int(page_cache_kib)}")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
        # What retention deletes (and what a migration copies away) is overwritten, not
        # left in free space: the queries are the visitors' words.
        db.execute("PRAGMA secure_delete = ON")
        with self.transaction():
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise AnalyticsStoreError(
                    f"{self.path.resolve()} has schema version {version}; this version of "
                    f"search-service reads up to {SCHEMA_VERSION} (upgrade it)"
                )
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute("INSERT INTO meta (name, value) VALUES ('key', ?)", (new_key(),))
            else:
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[target]:
                        db.execute(statement)
            if version != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken at once (`BEGIN IMMEDIATE`): no deadlock
        between two writers that both read first."""
        _retry_locked(lambda: self._db.execute("BEGIN IMMEDIATE"))
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def key(self) -> bytes:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        if row is None:
            raise AnalyticsStoreError(f"{self.path.resolve()} has no signing key")
        return bytes(row[0])

    def write(self, records: Sequence[Record]) -> None:
        """Write records in one transaction; an id already stored (or a click's position)
        is left as it is, so a repeated search or click counts once."""
        searches = [r for r in records if isinstance(r, SearchRecord)]
        clicks = [r for r in records if isinstance(r, ClickRecord)]
        day = {d: d.isoformat() for d in {r.day for r in records}}  # one or two a batch
        with self.transaction() as db:
            _insert(
                db,
                "INSERT OR IGNORE INTO searches (id, day, query, results)",
                [(r.id, day[r.day], r.query, r.results) for r in searches],
            )
            _insert(
                db,
                "INSERT OR IGNORE INTO search_filters (search_id, name, value, day)",
                [(r.id, name, value, day[r.day]) for r in searches for name, value in r.filters],
            )
            _insert(
                db,
                "INSERT OR IGNORE INTO clicks (search_id, position, article_id, day)",
                [(r.search_id, r.position, r.article_id, day[r.day]) for r in clicks],
            )

    def prune(self, today: dt.date, keep_days: int) -> int:
        """Delete what is older than `keep_days` days (today counts as one); rows deleted.

        Clicks whose search never came (a search id drawn but never counted) go
        after a day.
        """
        cutoff = (today - dt.timedelta(days=keep_days - 1)).isoformat()
        yesterday = (today - dt.timedelta(days=1)).isoformat()
        with self.transaction() as db:
            deleted = db.execute("DELETE FROM search_filters WHERE day < ?", (cutoff,)).rowcount
            deleted += db.execute("DELETE FROM searches WHERE day < ?", (cutoff,)).rowcount
            deleted += db.execute("DELETE FROM clicks WHERE day < ?", (cutoff,)).rowcount
            deleted += db.execute(
                "DELETE FROM clicks WHERE day < ? AND search_id NOT IN (SELECT id FROM searches)",
                (yesterday,),
            ).rowcount
        return deleted

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read query (for the report)."""
        try:
            return list(self._db.execute(sql, parameters).fetchall())
        except sqlite3.Error as error:
            raise AnalyticsStoreError(f"cannot read {self.path.resolve()}: {error}") from error


def _insert(db: sqlite3.Connection, insert: str, rows: list[tuple[Any, ...]]) -> None:
    """`insert` (its `VALUES` left out) of `rows`, many rows per statement, in statements
    of a few sizes only (`_statement_sizes`).

    sqlite3 lets the interpreter lock go while SQLite runs a statement, and a
    worker's writer thread then waits to take it back from the thread serving
    requests, up to a switch interval (5 ms) each time, while that thread is made
    to hand it over. One statement per row (`executemany`) wrote 1,000 records in
    3-4 ms alone, in 4-5 s beside a busy thread, with 2,400-3,000 context switches;
    under load the writer never caught up and every request paid for the handovers.
    One statement for the whole batch was new almost every time (its number of rows),
    and the connection could keep none prepared (`STATEMENTS_KEPT`).
    """
    if not rows:
        return
    width = len(rows[0])
    most = max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    start = 0
    for size in _statement_sizes(most):
        while len(rows) - start >= size:
            chunk = rows[start : start + size]
            statement = _statement(insert, width, size)
            db.execute(statement, [value for fields in chunk for value in fields])
            start += size


@functools.lru_cache(maxsize=8)
def _statement_sizes(most: int) -> tuple[int, ...]:
    """`ROWS_PER_STATEMENT` cut to `most` rows (SQLite's bound of variables), the largest
    first, and one row always among them, so that every row is written."""
    return tuple(sorted({min(size, most) for size in ROWS_PER_STATEMENT} | {1}, reverse=True))


@functools.lru_cache(maxsize=64)
def _statement(insert: str, width: int, rows: int) -> str:
    """`insert` with the `VALUES` of `rows` rows of `width` values each, made once: the
    text of 256 rows took longer to write than a record of one row to store."""
    row = "(" + ", ".join(["?"] * width) + ")"
    return f"{insert} VALUES {', '.join([row] * rows)}"


def _make_file(path: Path) -> None:
    """The store's folder, and its file readable by its owner only (queries are the
    visitors' words)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def _retry_locked(action: Callable[[], Any], attempts: int = 5) -> Any:
    """`action`, tried again when SQLite says the database is locked beyond its busy
    timeout (switching to WAL and `BEGIN IMMEDIATE` can be, under many writers)."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None
