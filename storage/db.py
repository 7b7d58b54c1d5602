"""Engine and session factory: SQLite with WAL, busy_timeout and foreign keys; PostgreSQL unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from storage.commits import Batch, BatchReport, GroupCommitter

BUSY_TIMEOUT_MS = 30_000
CLOCK_CHECK_SECONDS = 60.0  # how often the offset between this machine's clock and the database's is measured

# Sessions open in each thread. The rule "never hold the database across the network" is checked
# against it: the test suite fails any test in which a Slack call starts while its thread holds one.
_open_sessions = threading.local()


def sessions_open() -> int:
    """How many database sessions the current thread has open."""
    return getattr(_open_sessions, "count", 0)


@contextmanager
def _counted() -> Iterator[None]:
    _open_sessions.count = sessions_open() + 1
    try:
        yield
    finally:
        _open_sessions.count = sessions_open() - 1


SYNCHRONOUS_LEVELS = ("full", "normal")


def make_engine(url: str, *, synchronous: str = "full") -> Engine:
    """`synchronous` (SQLite): "full" flushes every commit to the disk before it returns, so what golive
    acknowledged survives a power cut; "normal" leaves the flush to the next checkpoint (survives a crash of
    the process, not of the machine). Group commit makes "full" cost one flush per batch."""
    if synchronous not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not {synchronous!r}")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=10,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE ourselves
            # below so a writer takes the lock up front instead of failing on upgrade.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            # Writers take the lock up front (no failed lock upgrades); read-only sessions do not.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("golive_read_only") else
                                 "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Database:
    """Owns the engine. `db.session()` is a write transaction: the block's changes are committed when it
    exits without an error (and only then does it return); `db.read()` reads without taking a turn.

    `group_commit` (default: on for SQLite, off for PostgreSQL): concurrent threads' write blocks are
    committed together (storage.commits). SQLite has one writer at a time anyway and its busy handler sleeps
    and polls; taking turns in this process turns 1–2 s tails into a short wait, and sharing the commit
    shares the disk flush. PostgreSQL runs this process's transactions side by side on their own
    connections and already flushes concurrent commits together. Other processes still meet busy_timeout.
    """

    def __init__(self, url: str, *, group_commit: bool | None = None, synchronous: str = "full",
                 on_commit: Callable[[BatchReport], None] | None = None,
                 before_commit: Callable[[Batch], None] | None = None):
        self.url = url
        self.engine = make_engine(url, synchronous=synchronous)
        self._factory = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(golive_read_only=True)
        if group_commit is None:
            group_commit = self.is_sqlite
        self._committer = (GroupCommitter(self.engine, on_commit=on_commit,
                                          before_commit=before_commit) if group_commit else None)
        self._clock_offset: tuple[float, timedelta] | None = None  # (measured at, monotonic; database - local)

    def clock(self) -> datetime:
        """The database's time, in UTC: what leases held by several workers are measured against, so that
        machines whose clocks disagree still agree on whose a row is. SQLite lives on this machine: its
        clock is this one. PostgreSQL's is read once a minute and kept as an offset from the local clock."""
        local = datetime.now(UTC)
        if self.is_sqlite:
            return local
        checked = self._clock_offset
        if checked is None or time.monotonic() - checked[0] > CLOCK_CHECK_SECONDS:
            with self.engine.connect() as connection:
                before = datetime.now(UTC)
                remote = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
                after = datetime.now(UTC)
            checked = (time.monotonic(), remote.astimezone(UTC) - (before + (after - before) / 2))
            self._clock_offset = checked
            local = datetime.now(UTC)
        return local + checked[1]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._committer is None:
            with _counted(), self._factory.begin() as s:
                yield s
            return
        with _counted(), self._committer.session() as s:
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that takes no write lock (it still must not be held across a Slack call)."""
        with _counted(), Session(self._read_engine, expire_on_commit=False) as s:
            yield s

    def dispose(self) -> None:
        if self._committer is not None:
            self._committer.close()
        self.engine.dispose()
