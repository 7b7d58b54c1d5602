"""Group commit: the write transactions of concurrent threads committed together.

golive acknowledges a click or a report only once it is committed ("acknowledged means recorded"). With
SQLite there is one writer at a time and, with `synchronous=FULL`, every commit waits for the disk. Sixteen
people clicking at once would queue sixteen commits, one disk flush each. Here they share one:

- A thread that wants to write takes its *turn* (one body runs at a time, as SQLite allows anyway) and runs
  its body in a SAVEPOINT of the transaction that is open on the shared connection (opening one, with
  `BEGIN IMMEDIATE`, if none is).
- When its body ends, the savepoint is released (or rolled back, if the body raised: only its own changes are
  undone, the others' stay). If other threads are waiting for their turn, the transaction is left open for
  them; the last one, or the one that finds the batch big or old enough, commits for everybody.
- Each thread returns from `session()` only once the batch holding its changes has committed; if the commit
  fails, every thread of that batch gets the error. A crash before the commit loses only changes whose
  threads had not returned: nobody was told they were recorded.

A body must stay short and never wait for the network (the rule of `storage.db`): every thread that wants to
write waits for it. A thread already inside a body that opens another session gets a nested savepoint in the
same batch.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

MAX_MEMBERS = 64  # bodies in one transaction, at most
MAX_AGE_SECONDS = 0.025  # a batch older than this commits even if more threads are waiting


class BatchFailed(Exception):
    """The transaction holding this thread's changes did not commit: nothing of it was recorded."""


@dataclass(eq=False)
class Batch:
    connection: Connection
    opened: float
    members: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclass(frozen=True)
class BatchReport:
    """What `on_commit` hears after each batch: how many bodies committed together, and how long the
    transaction was open (seconds)."""

    members: int
    open_seconds: float
    committed: bool


class GroupCommitter:
    def __init__(self, engine: Engine, *, max_members: int = MAX_MEMBERS, max_age: float = MAX_AGE_SECONDS,
                 on_commit: Callable[[BatchReport], None] | None = None,
                 before_commit: Callable[[Batch], None] | None = None):
        self._engine = engine
        self._max_members = max_members
        self._max_age = max_age
        self._on_commit = on_commit
        self._before_commit = before_commit  # fault injection and observation (tests), called holding the turn
        self._lock = threading.Lock()
        self._queue: deque[tuple[int, threading.Event]] = deque()  # threads waiting for the turn, in order
        self._queued = threading.Condition(self._lock)  # one more thread waits for its turn (wait_for_waiting)
        self._holder: int | None = None
        self._waiting = 0
        self._batch: Batch | None = None
        self._connection: Connection | None = None  # kept between batches; only the turn's holder uses it

    @contextmanager
    def session(self) -> Iterator[Session]:
        me = threading.get_ident()
        if self._holder == me and self._batch is not None:
            with self._savepoint(self._batch, alone=False) as s:  # nested: part of the body that is running
                yield s
            return
        self._take_turn(me)
        batch: Batch | None = None
        try:
            batch = self._batch or self._open()
            # The batch's first body needs no savepoint: if it fails, nothing else is in the transaction.
            with self._savepoint(batch, alone=batch.members == 0) as s:
                yield s
            batch.members += 1
        finally:
            self._end_turn()
        batch.done.wait()
        if batch.error is not None:
            raise BatchFailed(str(batch.error)) from batch.error

    def wait_for_waiting(self, count: int, timeout: float) -> bool:
        """Until at least `count` threads wait for their turn (tests use it to line writers up)."""
        with self._queued:
            return self._queued.wait_for(lambda: self._waiting >= count, timeout=timeout)

    # -- the turn ---------------------------------------------------------------------------------------

    def _take_turn(self, me: int) -> None:
        """Wait for this thread's turn. Turns are handed over in arrival order: a thread that has just
        written cannot take the turn again ahead of those already waiting (a busy tick would otherwise
        keep the outbox's sender, or a request, waiting for seconds)."""
        with self._lock:
            if self._holder is None and not self._queue:
                self._holder = me
                return
            gate = threading.Event()
            self._queue.append((me, gate))
            self._waiting += 1
            self._queued.notify_all()
        try:
            gate.wait()
        except BaseException:
            with self._lock:
                handed = gate.is_set()
                if not handed:
                    self._queue.remove((me, gate))
                    self._waiting -= 1
            if handed:  # the turn came with the interruption: pass it on
                self._hand_over()
            raise

    def _end_turn(self) -> None:
        """Commit the open batch if nobody is waiting to add to it (or it is big or old enough), then hand
        the turn to the next thread. Committing while still holding the turn: SQLite could not start the
        next transaction before this one ends anyway."""
        batch = self._batch
        if batch is not None:
            with self._lock:
                waiting = self._waiting
            if (waiting == 0 or batch.members == 0 or batch.members >= self._max_members
                    or time.monotonic() - batch.opened >= self._max_age):
                self._batch = None
                self._close(batch)
        self._hand_over()

    def _hand_over(self) -> None:
        with self._lock:
            if self._queue:
                ident, gate = self._queue.popleft()
                self._waiting -= 1
                self._holder = ident
                gate.set()
            else:
                self._holder = None

    # -- the transaction --------------------------------------------------------------------------------

    def _open(self) -> Batch:
        if self._connection is None:
            self._connection = self._engine.connect()
        try:
            self._connection.begin()
        except BaseException:
            self._discard_connection()
            raise
        self._batch = Batch(self._connection, time.monotonic())
        return self._batch

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            finally:
                connection.close()

    @contextmanager
    def _savepoint(self, batch: Batch, *, alone: bool) -> Iterator[Session]:
        # alone: the session flushes into the batch's transaction and, on failure, rolls all of it back;
        # otherwise it works in a SAVEPOINT and a failure undoes this body's changes only.
        session = Session(bind=batch.connection, expire_on_commit=False,
                          join_transaction_mode="rollback_only" if alone else "create_savepoint")
        try:
            yield session
            session.commit()  # flush (and RELEASE SAVEPOINT)
        except BaseException:
            session.rollback()  # the whole (one-body) transaction, or back to the savepoint
            raise
        finally:
            session.close()

    def close(self) -> None:
        """Let go of the kept connection (Database.dispose)."""
        with self._lock:
            if self._holder is None and self._connection is not None:
                self._connection.close()
                self._connection = None

    def _close(self, batch: Batch) -> None:
        connection = batch.connection
        committed = False
        try:
            if batch.members:
                if self._before_commit is not None:
                    self._before_commit(batch)
                connection.commit()
                committed = True
            else:
                connection.rollback()  # nothing to keep (a lone body failed; it may have rolled back already)
        except BaseException as err:  # noqa: BLE001 - handed to every member of the batch
            batch.error = err
            self._discard_connection()
        finally:
            batch.done.set()
        if self._on_commit is not None and batch.members:
            self._on_commit(BatchReport(batch.members, time.monotonic() - batch.opened, committed))
