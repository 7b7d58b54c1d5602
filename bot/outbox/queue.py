"""The one door out: durable Slack calls queued in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import CheckIn, Issue, OutboxMessage, OutboxStatus

# Which rows may receive a Slack ts written back by the sender (model name -> class), so the sender
# never writes to an arbitrary table.
WRITE_BACK_TARGETS: dict[str, type] = {"CheckIn": CheckIn, "Issue": Issue}


URGENT, NORMAL, BACKGROUND = 0, 1, 2
# Calls that can wait behind everything else: refreshing what is already there, decorating it.
BACKGROUND_METHODS = frozenset({"chat.update", "pins.add", "views.publish", "golive.home", "golive.checkin_tally",
                                "golive.adoption_report", "golive.adoption_nudges", "golive.adoption_nudge",
                                "golive.usage_match", "golive.pin"})
# Calls whose order within a channel or thread does not matter (they change what is there, or are not posts).
UNORDERED_METHODS = BACKGROUND_METHODS | {"golive.flagged_message"}


def order_key(method: str, payload: dict[str, Any]) -> str | None:
    """Posts to one channel keep their order, and so do replies in one thread (a second `>>` reply never
    overtakes the first); updates, pins and Home refreshes need no order."""
    channel = payload.get("channel")
    if method in UNORDERED_METHODS or not channel or "ts" in payload or "ts_from" in payload:
        return None  # an update of a message already there, a pin, a refresh: no order to keep
    thread = payload.get("thread_ts") or payload.get("thread_ts_from")
    return f"{channel}/{thread}" if thread else str(channel)


def outbox_row(
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    launch_id: int | None = None,
    write_back: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    priority: int | None = None,
) -> dict[str, Any]:
    """The outbox row `enqueue` writes (for `enqueue_many`)."""
    if write_back is not None and write_back.get("model") not in WRITE_BACK_TARGETS:
        raise ValueError(f"unknown write-back target {write_back.get('model')!r}")
    return {
        "dedupe_key": key,
        "launch_id": launch_id,
        "method": method,
        "payload": payload,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "rate_limited": 0,
        "next_attempt_at": not_before or now,
        "write_back": write_back,
        "created_at": now,
        "priority": priority if priority is not None else (BACKGROUND if method in BACKGROUND_METHODS else NORMAL),
        "order_key": order_key(method, payload),
    }


# Built once per dialect; rows are passed as parameters (bound through the column types, so UTC datetimes are
# normalised like ORM writes), so the compiled statement is reused instead of rebuilt for every row.
_INSERTS = {name: insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
            for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))}


def _insert(session: Session):  # noqa: ANN202
    return _INSERTS[session.get_bind().dialect.name]


def enqueue(
    session: Session,
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    launch_id: int | None = None,
    write_back: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    priority: int | None = None,
) -> bool:
    """Queue a Slack call once per `key` (a second enqueue with the same key does nothing). `priority`:
    URGENT work (sev1, escalations, reporter notices) is sent before NORMAL, BACKGROUND last.

    Payload values may name another queued post instead of a ts that is not known yet:
    `{"thread_ts_from": KEY}` or `{"ts_from": KEY}`; the sender waits until that post is out.
    Returns True when a new row was written.
    """
    values = outbox_row(key=key, method=method, payload=payload, now=now, launch_id=launch_id,
                        write_back=write_back, not_before=not_before, priority=priority)
    result = session.execute(_insert(session), values)
    return bool(result.rowcount)


# Columns `outbox_row` usually fills with one value for a whole batch (the instant, a fresh row's state).
_SHARED_COLUMNS = ("status", "attempts", "rate_limited", "created_at", "next_attempt_at")


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """`enqueue` for many calls at once (rows from `outbox_row`, written in their order): one executemany
    INSERT, and a key already queued is left alone (ON CONFLICT DO NOTHING on the dedupe key), exactly as
    `enqueue` does.

    Only what differs between rows is bound per row (each payload JSON-encoded once): a value every row
    shares (the instant, a fresh row's status and counters) is rendered into the statement once, through
    the column's own type, instead of being converted for each row; a write-back no row asks for is left
    NULL. At thousands of rows per statement that conversion was most of the Python time."""
    if not rows:
        return
    table = OutboxMessage.__table__
    first = rows[0]
    shared = [name for name in _SHARED_COLUMNS
              if first[name] is not None and all(row[name] == first[name] for row in rows)]
    dropped = set(shared)
    if all(row["write_back"] is None for row in rows):
        dropped.add("write_back")
    statement = _insert(session)
    if shared:
        dialect = session.get_bind().dialect
        statement = statement.values({
            name: literal_column(str(literal(first[name], table.c[name].type).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True})))
            for name in shared})
    # (A statement that names its instant is compiled once per instant: once per tick, whatever its chunks.)
    session.execute(statement, [{key: value for key, value in row.items() if key not in dropped} for row in rows])


def message_payload(channel: str, text: str, *, blocks: list[dict] | None = None, thread_ts: str | None = None,
                    thread_ts_from: str | None = None) -> dict[str, Any]:
    """The chat.postMessage payload `post_message` queues."""
    payload: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
    if blocks is not None:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    if thread_ts_from:
        payload["thread_ts_from"] = thread_ts_from
    return payload


def post_message(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    now: datetime,
    blocks: list[dict] | None = None,
    launch_id: int | None = None,
    thread_ts: str | None = None,
    thread_ts_from: str | None = None,
    write_back: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    priority: int | None = None,
) -> bool:
    """Queue a chat.postMessage (a DM when `channel` is a user id)."""
    payload = message_payload(channel, text, blocks=blocks, thread_ts=thread_ts, thread_ts_from=thread_ts_from)
    return enqueue(session, key=key, method="chat.postMessage", payload=payload, now=now,
                   launch_id=launch_id, write_back=write_back, not_before=not_before, priority=priority)
