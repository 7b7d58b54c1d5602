"""The engine's claim (one UPDATE … RETURNING per item, claimed as done inside the item's transaction):
work done once, a failure rolled back and retried, a note kept, two ticks at once never doing an item twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.outbox.queue import post_message
from schedules.engine import MAX_ATTEMPTS, tick
from schedules.registry import Schedule, WorkContext, WorkKind
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage, PlannedWork, WorkStatus

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url) -> str:  # noqa: ANN001
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def post(ctx: WorkContext) -> str | None:
    post_message(ctx.session, key=f"work:{ctx.work.key}", channel="C0ACME", text="hello", now=ctx.now)
    return ctx.work.payload.get("note")


def broken(ctx: WorkContext) -> str | None:
    post_message(ctx.session, key=f"work:{ctx.work.key}", channel="C0ACME", text="half done", now=ctx.now)
    raise RuntimeError("the kind broke")


SCHEDULE = Schedule.of((WorkKind("post", post, timedelta(hours=1)), WorkKind("broken", broken, timedelta(hours=1))),
                       ())


def database(db_url: str, rows: list[tuple[str, str, dict]]) -> Database:
    db = Database(db_url)
    upgrade(db)
    with db.session() as s:
        for kind, key, payload in rows:
            s.add(PlannedWork(kind=kind, key=key, due_at=NOW - timedelta(minutes=1), payload=payload))
    return db


def rows(db: Database) -> dict[str, PlannedWork]:
    with db.read() as s:
        return {w.key: w for w in s.exec(select(PlannedWork)).all()}


def outbox_keys(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(s.exec(select(OutboxMessage.dedupe_key)).all())


def test_done_work_keeps_its_note_and_queues_once(url):
    db = database(url, [("post", "a", {}), ("post", "b", {"note": "posted late"})])
    try:
        result = tick(db, NOW, schedule=SCHEDULE, worker_id="w1")
        assert sorted(result.done) == ["a", "b"]
        work = rows(db)
        assert [(w.status, w.attempts, w.claimed_by, w.finished_at, w.note) for w in (work["a"], work["b"])] == [
            (WorkStatus.DONE, 1, "w1", NOW, None), (WorkStatus.DONE, 1, "w1", NOW, "posted late")]
        assert tick(db, NOW, schedule=SCHEDULE, worker_id="w2").count == 0
        assert outbox_keys(db) == ["work:a", "work:b"]
    finally:
        db.dispose()


def test_a_failing_item_is_rolled_back_retried_then_failed(url):
    db = database(url, [("broken", "x", {}), ("post", "y", {})])
    try:
        first = tick(db, NOW, schedule=SCHEDULE, worker_id="w1")
        assert first.done == ["y"] and first.failed == []
        x = rows(db)["x"]
        assert (x.status, x.attempts, x.claimed_by, x.finished_at) == (WorkStatus.PENDING, 1, None, None)
        assert x.note == "retrying: the kind broke"
        assert outbox_keys(db) == ["work:y"]  # what the broken kind queued was rolled back with it
        for _ in range(MAX_ATTEMPTS - 1):
            last = tick(db, NOW, schedule=SCHEDULE, worker_id="w1")
        assert last.failed == ["x"]
        x = rows(db)["x"]
        assert (x.status, x.attempts, x.finished_at) == (WorkStatus.FAILED, MAX_ATTEMPTS, NOW)
        assert x.note.startswith("failed: RuntimeError")
        assert tick(db, NOW, schedule=SCHEDULE, worker_id="w1").count == 0
        assert outbox_keys(db) == ["work:y"]
    finally:
        db.dispose()


def test_two_ticks_at_once_do_each_item_once(url):
    keys = [f"k{i:03d}" for i in range(120)]
    db = database(url, [("post", key, {}) for key in keys])
    second = Database(url)  # another process's engine on the same file
    try:
        results = {}
        threads = [threading.Thread(target=lambda name=name, d=d: results.update(
            {name: tick(d, NOW, schedule=SCHEDULE, worker_id=name)})) for name, d in (("w1", db), ("w2", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = results["w1"].done + results["w2"].done
        assert sorted(done) == keys  # every item once, none twice
        work = rows(db)
        assert all(work[key].attempts == 1 and work[key].status == WorkStatus.DONE for key in keys)
        assert {work[key].claimed_by for key in results["w2"].done} <= {"w2"}
        assert outbox_keys(db) == [f"work:{key}" for key in keys]
    finally:
        second.dispose()
        db.dispose()
