"""The due-work engine: `tick(now)` claims due rows atomically and runs them exactly once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from bot.core import metrics
from schedules.registry import Schedule, Skip, WorkContext
from storage.db import Database
from storage.models import PlannedWork, WorkStatus

log = logging.getLogger("golive.engine")
MAX_ATTEMPTS = 3
BATCH = 200
SWEEP_CHUNK = 500  # items per transaction of a set-based sweeper
ITEMS_PER_TRANSACTION = 20  # planned items per transaction (each in its own savepoint)
TRANSACTION_SECONDS = 0.05  # … or fewer, so that the write lock is never held long


@dataclass
class TickResult:
    done: list[str] = field(default_factory=list)
    swept: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed)


def tick(db: Database, now: datetime, *, schedule: Schedule, worker_id: str,
         admins: tuple[str, ...] = (), progress: Callable[[], None] | None = None,
         locale: str = "en") -> TickResult:
    """Run every piece of work due at `now`. Each row is claimed with one conditional UPDATE
    (pending → done) inside the same transaction that does the work (in a savepoint), so
    two ticks — threads, processes or machines — can never both do it, and a crash leaves it
    pending for the next tick. `progress()` is called after each item done has committed (what it
    queued is in the outbox then: a delivery loop beside the tick can start on it)."""
    started = time.perf_counter()
    result = TickResult()
    tried: set[int] = set()
    while True:
        with db.session() as s:
            ids = [i for i in s.exec(
                select(PlannedWork.id)
                .where(PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at <= now)
                .order_by(PlannedWork.due_at, PlannedWork.id)
                .limit(BATCH + len(tried))
            ).all() if i not in tried]
        if not ids:
            break
        queue, more = iter(ids), True
        while more:
            # Several items per transaction (each claimed, run in its own savepoint and finished there, so
            # each is still done exactly once), committed after ITEMS_PER_TRANSACTION items or
            # TRANSACTION_SECONDS, whichever comes first: the write lock is never held long for others
            # (deliveries, Slack requests), and a transaction's fixed cost is shared.
            done, finished, more = len(result.done), [], False
            opened = time.perf_counter()
            with db.session() as s:
                for work_id in queue:
                    tried.add(work_id)
                    outcome = _run_one(s, db, schedule, work_id, now, worker_id, admins, result, locale)
                    if outcome is not None:
                        finished.append(outcome)
                    if len(finished) >= ITEMS_PER_TRANSACTION or time.perf_counter() - opened > TRANSACTION_SECONDS:
                        more = True
                        break
            for kind, status in finished:
                metrics.WORK_DONE.labels(kind=kind, result=status).inc()
            if progress is not None and len(result.done) > done:
                progress()
    for sweeper in schedule.sweepers:
        result.swept[sweeper.name] = _sweep(db, sweeper, now, locale)
    metrics.TICK_SECONDS.observe(time.perf_counter() - started)
    return result


def _sweep(db: Database, sweeper, now: datetime, locale: str = "en") -> int:  # noqa: ANN001
    chunk = sweeper.chunk
    extra = {"locale": locale} if sweeper.speaks else {}
    if chunk is None:
        return _sweep_each(db, sweeper, now, extra)
    # Set-based: chunk after chunk in id order (a cursor, so an item is visited at most once per tick),
    # each chunk one transaction (a crash loses nothing; on PostgreSQL a second worker skips the rows
    # this one has locked), until nothing is due: no per-tick cap.
    count, after = 0, 0
    while True:
        try:
            with db.session() as s:
                done = chunk(s, now, after, SWEEP_CHUNK, **extra)
        except Exception:  # a chunk that cannot be written: one item at a time, isolated, for this tick
            log.exception("%s failed for the chunk after id %s; sweeping item by item", sweeper.name, after)
            return count + _sweep_each(db, sweeper, now, extra)
        if done.last_id is None:
            return count
        count += done.done
        after = done.last_id


def _sweep_each(db: Database, sweeper, now: datetime, extra: dict | None = None) -> int:  # noqa: ANN001
    with db.session() as s:
        ids = sweeper.due(s, now)
    count = 0
    for item_id in ids:
        try:
            with db.session() as s:
                count += bool(sweeper.run(s, item_id, now, **(extra or {})))
        except Exception:  # one bad row must not stop the others
            log.exception("%s failed for %s", sweeper.name, item_id)
    return count


def _run_one(s: Session, db: Database, schedule: Schedule, work_id: int, now: datetime, worker_id: str,
             admins: tuple[str, ...], result: TickResult, locale: str = "en") -> tuple[str, str] | None:
    """One item in the session's transaction; (kind, status) when this worker claimed it."""
    error: Exception | None = None
    if not db.is_sqlite:
        locked = s.exec(
            select(PlannedWork.id)
            .where(PlannedWork.id == work_id, PlannedWork.status == WorkStatus.PENDING)
            .with_for_update(skip_locked=True)
        ).first()
        if locked is None:
            return None
    # The claim and the read of the claimed row in one statement (UPDATE … RETURNING): only the
    # worker whose UPDATE matched gets the row back. It is claimed as done: no other transaction sees
    # the row before this one commits, with the work, so the common outcome (done, no note) needs no
    # second UPDATE; any other outcome is written over it below, in the same transaction.
    work = s.scalars(
        update(PlannedWork)
        .where(PlannedWork.id == work_id, PlannedWork.status == WorkStatus.PENDING)
        .values(status=WorkStatus.DONE, finished_at=now, note=None, claimed_by=worker_id, claimed_at=now,
                attempts=PlannedWork.attempts + 1)
        .returning(PlannedWork)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).first()
    if work is None:
        return None
    kind = schedule.kinds.get(work.kind)
    late_by = now - work.due_at
    if kind is None:
        _finish(work, WorkStatus.FAILED, now, f"unknown kind {work.kind!r}")
        result.failed.append(work.key)
    elif late_by > kind.grace:
        _finish(work, WorkStatus.SKIPPED, now,
                f"skipped: found {_minutes(late_by)} late, past its {_minutes(kind.grace)} grace period")
        result.skipped.append(work.key)
        log.warning("skipped %s: %s late", work.key, late_by)
    else:
        try:
            with s.begin_nested():
                note = kind.run(WorkContext(session=s, work=work, now=now, late_by=late_by, admins=admins,
                                             locale=locale))
        except Skip as skip:
            _finish(work, WorkStatus.SKIPPED, now, str(skip)[:500])
            result.skipped.append(work.key)
        except Exception as exc:  # isolate one launch's failure from the rest of the tick
            log.exception("work %s failed", work.key)
            error = exc
            s.refresh(work)
            if work.attempts >= MAX_ATTEMPTS:
                _finish(work, WorkStatus.FAILED, now, f"failed: {type(exc).__name__}: {exc}"[:500])
                result.failed.append(work.key)
            else:
                work.status, work.claimed_by, work.note = WorkStatus.PENDING, None, f"retrying: {exc}"[:500]
                work.finished_at = None
        else:
            late_note = f"done {_minutes(late_by)} late" if late_by.total_seconds() >= 600 else None
            _finish(work, WorkStatus.DONE, now, note or late_note)
            result.done.append(work.key)
    s.add(work)
    if error is not None:
        log.info("work %s will be retried or is failed", work_id)
    return work.kind, work.status


def _finish(work: PlannedWork, status: str, now: datetime, note: str | None) -> None:
    work.status = status
    work.finished_at = now
    work.note = note


def _minutes(delta) -> str:  # noqa: ANN001
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
