"""Operations: online backup (SQLite), retention, and forgetting a person."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.core.errors import InvalidInput
from storage.db import Database
from storage.models import (
    AdoptionOptOut,
    ChannelActivity,
    CheckIn,
    CheckInAnswer,
    CheckInAnswerHistory,
    EmailMatch,
    Goal,
    HomeVisit,
    Issue,
    IssueEvent,
    Launch,
    LaunchMember,
    NudgeMute,
    OutboxMessage,
    OutboxStatus,
    PlannedWork,
    ProcessedEvent,
    ReadinessItem,
    RetroAnswer,
    UsageRecord,
    WorkStatus,
)

REMOVED = "[removed at the person's request]"


def backup(db: Database, target: Path) -> int:
    """Copy a live SQLite database with SQLite's online backup API (consistent while golive runs)."""
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput("golive backup copies SQLite databases; for PostgreSQL use pg_dump")
    target = Path(target)
    if target.exists():
        raise InvalidInput(f"{target} exists already; choose a new file name")
    if not target.parent.exists():
        raise InvalidInput(f"folder {target.parent} does not exist")
    source = sqlite3.connect(url.database)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)
        pages = dest.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dest.close()
        source.close()
    return pages


@dataclass
class Purged:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, rowcount: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + max(0, rowcount or 0)


def purge(session: Session, *, older_than_days: int, now: datetime) -> Purged:
    """Retention: delete what is older than the cutoff — finished launches (with everything they hold,
    by cascade), delivered or dead outbox rows, finished scheduled work, Slack event ids."""
    if older_than_days < 1:
        raise InvalidInput("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    result = Purged()
    old_launches = select(Launch.id).where(Launch.go_live_date < cutoff.date(), Launch.updated_at < cutoff)
    ids = list(session.exec(old_launches).all())
    if ids:
        # Children first, so this works whether or not the database enforces ON DELETE CASCADE.
        check_ins = select(CheckIn.id).where(CheckIn.launch_id.in_(ids))
        issue_ids = select(Issue.id).where(Issue.launch_id.in_(ids))
        result.add("check_in_answer_history", session.execute(
            delete(CheckInAnswerHistory).where(CheckInAnswerHistory.check_in_id.in_(check_ins))).rowcount)
        result.add("issue_event",
                   session.execute(delete(IssueEvent).where(IssueEvent.issue_id.in_(issue_ids))).rowcount)
        for table in reversed(Launch.metadata.sorted_tables):
            if "launch_id" in table.c and table.name not in ("outbox_message",):
                result.add(table.name, session.execute(delete(table).where(table.c.launch_id.in_(ids))).rowcount)
        session.execute(update(OutboxMessage).where(OutboxMessage.launch_id.in_(ids)).values(launch_id=None))
        result.add("launch", session.execute(delete(Launch).where(Launch.id.in_(ids))).rowcount)
    result.add("outbox_message", session.execute(delete(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.DEAD]), OutboxMessage.created_at < cutoff)).rowcount)
    result.add("planned_work", session.execute(delete(PlannedWork).where(
        PlannedWork.status.in_([WorkStatus.DONE, WorkStatus.SKIPPED, WorkStatus.FAILED]),
        PlannedWork.due_at < cutoff)).rowcount)
    result.add("processed_event", session.execute(delete(ProcessedEvent).where(
        ProcessedEvent.received_at < cutoff)).rowcount)
    return result


def anonymous_id(user_id: str) -> str:
    """A stable stand-in, so counts (one answer per person per day) survive without the person."""
    return "UFORGOTTEN" + hashlib.sha256(user_id.encode()).hexdigest()[:10].upper()


def forget_user(session: Session, user_id: str) -> dict[str, int]:
    """Remove a person's personal data: their words and identity go, anonymised counts stay."""
    if not user_id or user_id[:1] not in ("U", "W"):
        raise InvalidInput(f"{user_id!r} is not a Slack user id (U… or W…)")
    anon = anonymous_id(user_id)
    counts: dict[str, int] = {}

    def run(name: str, statement) -> None:  # noqa: ANN001
        counts[name] = counts.get(name, 0) + max(0, session.execute(statement).rowcount or 0)

    run("check-in answers", update(CheckInAnswer).where(CheckInAnswer.user_id == user_id)
        .values(user_id=anon, note=None, user_team=None))
    run("check-in answer history", update(CheckInAnswerHistory).where(CheckInAnswerHistory.user_id == user_id)
        .values(user_id=anon, note=None))
    run("issues reported", update(Issue).where(Issue.reporter == user_id)
        .values(reporter=anon, reporter_team=None, text=REMOVED))
    for column in ("acknowledged_by", "resolved_by"):
        run("issue triage", update(Issue).where(getattr(Issue, column) == user_id).values({column: anon}))
    run("issue timeline", update(IssueEvent).where(IssueEvent.actor == user_id).values(actor=anon, detail=None))
    run("retrospective answers", update(RetroAnswer).where(RetroAnswer.user_id == user_id)
        .values(user_id=anon, user_team=None, went_well=REMOVED, improve=REMOVED))
    emails = list(session.exec(select(EmailMatch.email).where(EmailMatch.user_id == user_id)).all())
    run("usage records", delete(UsageRecord).where(or_(UsageRecord.slack_user_id == user_id,
                                                        UsageRecord.email.in_(emails))))
    run("email matches", delete(EmailMatch).where(EmailMatch.user_id == user_id))
    for model in (LaunchMember, NudgeMute, AdoptionOptOut):
        run("roles and preferences", delete(model).where(model.user_id == user_id))
    run("app home visits", delete(HomeVisit).where(HomeVisit.user_id == user_id))
    run("channel activity", delete(ChannelActivity).where(ChannelActivity.user_id == user_id))
    run("go-live criteria", update(ReadinessItem).where(ReadinessItem.owner == user_id).values(owner=anon))
    run("go-live criteria", update(ReadinessItem).where(ReadinessItem.changed_by == user_id).values(changed_by=anon))
    run("goal reviews", update(Goal).where(Goal.reviewed_by == user_id).values(reviewed_by=anon))
    run("launches declared live", update(Launch).where(Launch.live_by == user_id).values(live_by=anon))
    # Delivered messages that named them: keep the fact of delivery, drop the words.
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.status != OutboxStatus.PENDING)).all()
    scrubbed = 0
    for row in sent:
        text = str(row.payload)
        if user_id in text:
            row.payload = {"channel": anon if row.payload.get("channel") == user_id else row.payload.get("channel"),
                           "text": REMOVED}
            session.add(row)
            scrubbed += 1
    counts["delivered messages"] = scrubbed
    return counts
