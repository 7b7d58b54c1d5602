"""`enqueue_many` writes exactly the rows `enqueue` writes, in their order, and leaves a key already queued
alone, on SQLite and PostgreSQL alike — whether a batch shares its instant (rendered once into the
statement) or not (bound per row)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.outbox.queue import URGENT, enqueue, enqueue_many, message_payload, outbox_row
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage

NOW = datetime(2027, 3, 9, 14, 0, 0, 123456, tzinfo=UTC)
COLUMNS = ("method", "payload", "status", "attempts", "rate_limited", "next_attempt_at", "write_back", "created_at",
           "priority", "order_key", "launch_id", "claimed_by", "sent_at")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url) -> str:  # noqa: ANN001
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def calls(shared_instant: bool) -> list[dict]:
    """Posts, DMs, a card, a Home refresh (background), one with a write-back, some later than others."""
    out = []
    for n in range(12):
        later = None if shared_instant else NOW + timedelta(seconds=n)
        out.append({"key": f"k{n}", "method": "chat.postMessage", "now": NOW, "not_before": later,
                    "payload": message_payload(f"C0CH{n % 3}", f"escalation <{n}> & “quotes”"), "priority": URGENT})
    out.append({"key": "card", "method": "golive.issue_card", "now": NOW,
                "payload": {"channel": "C0SUP", "issue_id": 7, "ts_from": "issue:7:card"}})
    out.append({"key": "home", "method": "golive.home", "now": NOW, "payload": {"user": "U0CSM"},
                "not_before": NOW + timedelta(minutes=1) if not shared_instant else None})
    if not shared_instant:
        out.append({"key": "reply", "method": "chat.postMessage", "now": NOW,
                    "payload": message_payload("C0CH0", "thread", thread_ts_from="k0"),
                    "write_back": {"model": "Issue", "id": 7, "ts_field": "thread_ts"}})
    return out


def stored(db: Database, prefix: str) -> list[tuple]:
    with db.read() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
                      .order_by(OutboxMessage.id)).all()
        return [(row.dedupe_key[len(prefix):], *(getattr(row, name) for name in COLUMNS)) for row in rows]


@pytest.mark.parametrize("shared_instant", [True, False], ids=["shared", "varied"])
def test_enqueue_many_as_enqueue(url, shared_instant):
    """The same calls through enqueue_many and through enqueue: the same rows, in order; a queued key kept."""
    db = Database(url)
    upgrade(db)
    try:
        batch = calls(shared_instant)
        with db.session() as s:
            # Queued earlier, under a key the batch repeats: left as it was.
            enqueue(s, key="many:k3", method="chat.postMessage", payload=message_payload("C0OLD", "first"),
                    now=NOW - timedelta(hours=1))
            enqueue(s, key="one:k3", method="chat.postMessage", payload=message_payload("C0OLD", "first"),
                    now=NOW - timedelta(hours=1))
        with db.session() as s:
            enqueue_many(s, [outbox_row(**{**call, "key": f"many:{call['key']}"}) for call in batch])
        with db.session() as s:
            for call in batch:
                enqueue(s, **{**call, "key": f"one:{call['key']}"})
        with db.session() as s:  # the same batch again: nothing doubled, nothing changed
            enqueue_many(s, [outbox_row(**{**call, "key": f"many:{call['key']}"}) for call in batch])

        many, one = stored(db, "many:"), stored(db, "one:")
        assert many == one
        assert [row[0] for row in many] == ["k3"] + [call["key"] for call in batch if call["key"] != "k3"]
        assert many[0][2] == message_payload("C0OLD", "first")
        k5 = next(row for row in many if row[0] == "k5")
        assert k5[2]["text"] == "escalation <5> & “quotes”"
        assert k5[6] == (NOW if shared_instant else NOW + timedelta(seconds=5))  # next_attempt_at, to the µs
        assert k5[8] == NOW
    finally:
        db.dispose()
