"""Group commit (storage.commits): concurrent write blocks share a transaction, each returns only once its
changes are committed, and one block's failure undoes only that block."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.commits import BatchFailed, BatchReport
from storage.db import Database


class Gate:
    """Holds the first body until the test opens it, so that others queue behind it (a signal, not a sleep)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()


def make_db(tmp_path: Path, **options) -> tuple[Database, list[BatchReport]]:  # noqa: ANN003
    reports: list[BatchReport] = []
    db = Database(f"sqlite:///{tmp_path / 'g.db'}", on_commit=reports.append, **options)
    with db.session() as s:
        s.execute(text("CREATE TABLE said (who TEXT PRIMARY KEY, what TEXT NOT NULL)"))
    reports.clear()
    return db, reports


def stored(db: Database) -> dict[str, str]:
    with db.read() as s:
        return dict(s.execute(text("SELECT who, what FROM said")).all())


def run_behind(db: Database, gate: Gate, bodies: dict[str, object]) -> dict[str, BaseException | None]:
    """Thread "first" enters its body and waits at the gate; the others queue for their turn; then the gate
    opens. Returns each thread's error (None: its `session()` returned normally)."""
    outcome: dict[str, BaseException | None] = {}

    def write(who: str, body) -> None:  # noqa: ANN001
        try:
            with db.session() as s:
                if who == "first":
                    gate.entered.set()
                    assert gate.open.wait(30)
                body(s, who)
            outcome[who] = None
            # Returned: the change is visible to every other connection.
            seen[who] = who in stored(db)
        except BaseException as err:  # noqa: BLE001
            outcome[who] = err

    seen: dict[str, bool] = {}
    first = threading.Thread(target=write, args=("first", bodies["first"]))
    first.start()
    assert gate.entered.wait(30)
    others = [threading.Thread(target=write, args=(who, body)) for who, body in bodies.items() if who != "first"]
    for thread in others:
        thread.start()
    committer = db._committer
    assert committer is not None
    assert committer.wait_for_waiting(len(others), timeout=30)
    gate.open.set()
    for thread in [first, *others]:
        thread.join(30)
    run_behind.seen = seen  # type: ignore[attr-defined]
    return outcome


def say(s, who: str) -> None:  # noqa: ANN001
    s.execute(text("INSERT INTO said VALUES (:who, 'hello')"), {"who": who})


def test_writers_that_arrive_together_are_committed_in_one_transaction_and_each_sees_its_change_committed(tmp_path):
    db, reports = make_db(tmp_path)
    outcome = run_behind(db, Gate(), {who: say for who in ("first", "b", "c", "d", "e")})
    assert outcome == dict.fromkeys(("first", "b", "c", "d", "e"))
    assert set(stored(db)) == {"first", "b", "c", "d", "e"}
    assert all(run_behind.seen.values()), run_behind.seen  # type: ignore[attr-defined]
    # Five bodies, fewer commits than bodies (the four that queued behind the first share one).
    assert sum(r.members for r in reports) == 5 and len(reports) < 5


def test_a_block_that_fails_undoes_only_its_own_changes_in_a_shared_transaction(tmp_path):
    db, reports = make_db(tmp_path)

    def broken(s, who: str) -> None:  # noqa: ANN001
        say(s, who)
        raise ValueError("this report is malformed")

    outcome = run_behind(db, Gate(), {"first": say, "b": broken, "c": say})
    assert isinstance(outcome["b"], ValueError) and outcome["first"] is None and outcome["c"] is None
    assert set(stored(db)) == {"first", "c"}


def test_when_the_commit_fails_every_writer_of_the_batch_hears_it_and_nothing_is_stored(tmp_path):
    failing = {"on": False}

    def disk_full(batch) -> None:  # noqa: ANN001
        if failing["on"]:
            raise OSError("disk I/O error")

    db, _ = make_db(tmp_path, before_commit=disk_full)
    failing["on"] = True
    outcome = run_behind(db, Gate(), {"first": say, "b": say, "c": say})
    assert all(isinstance(err, BatchFailed) for err in outcome.values()), outcome
    failing["on"] = False
    assert stored(db) == {}
    with db.session() as s:  # the next writer starts afresh
        say(s, "later")
    assert set(stored(db)) == {"later"}


def test_a_write_block_opened_inside_another_commits_with_it(tmp_path):
    db, _ = make_db(tmp_path)
    with db.session() as outer:
        say(outer, "outer")
        with pytest.raises(ValueError):
            with db.session() as inner:
                say(inner, "inner-undone")
                raise ValueError
        with db.session() as inner:
            say(inner, "inner")
    assert set(stored(db)) == {"outer", "inner"}


def test_postgresql_style_databases_can_run_without_group_commit(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'plain.db'}", group_commit=False)
    with db.session() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.execute(text("INSERT INTO t VALUES (1)"))
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
    assert db._committer is None


def test_a_write_that_fails_alone_leaves_nothing_and_the_next_write_is_recorded(tmp_path):
    db, reports = make_db(tmp_path)
    with pytest.raises(ValueError):
        with db.session() as s:
            say(s, "broken")
            raise ValueError
    with db.session() as s:
        say(s, "next")
    assert stored(db) == {"next": "hello"}
    assert [r.members for r in reports] == [1]


def test_a_thread_that_just_wrote_cannot_take_the_turn_again_ahead_of_one_already_waiting(tmp_path):
    db, _ = make_db(tmp_path)
    db._committer._max_age = 0  # every batch commits as its body ends, as a tick's long transactions do
    gate, order = Gate(), []

    def busy() -> None:  # like a tick writing item after item
        for n in range(3):
            with db.session() as s:
                order.append(f"busy-{n}")
                say(s, f"busy-{n}")
                if n == 0:
                    gate.entered.set()
                    assert gate.open.wait(30)

    def other() -> None:  # like the outbox's sender, arriving while the first item is written
        with db.session() as s:
            order.append("other")
            say(s, "other")

    first = threading.Thread(target=busy)
    first.start()
    assert gate.entered.wait(30)
    second = threading.Thread(target=other)
    second.start()
    assert db._committer.wait_for_waiting(1, timeout=30)
    gate.open.set()
    first.join(30)
    second.join(30)
    assert order == ["busy-0", "other", "busy-1", "busy-2"]
