"""Reported problems: one record per source, routed to the launch's support channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import launches
from bot.errors import InvalidInput
from bot.outbox import post_message
from bot.text import clip, escape, user_text
from storage.models import Issue, IssueEvent, IssueStatus, Launch, MemberRole

SEVERITIES = ("sev1", "sev2", "sev3")
SEVERITY_LABELS = {"sev1": "sev1 · blocking", "sev2": "sev2 · slowing down", "sev3": "sev3 · question"}
MAX_STORED_TEXT = 200_000


@dataclass(frozen=True)
class Reported:
    issue: Issue
    created: bool


def next_number(session: Session, launch_id: int) -> int:
    current = session.exec(select(func.max(Issue.number)).where(Issue.launch_id == launch_id)).one()
    return (current or 0) + 1


def open_issue(
    session: Session,
    *,
    launch: Launch,
    text: str,
    reporter: str,
    reporter_team: str | None,
    source: str,
    source_key: str,
    now: datetime,
    severity: str = "sev2",
    source_channel: str | None = None,
    source_ts: str | None = None,
    thread_ts: str | None = None,
    thread_key: str | None = None,
) -> Reported:
    """Record a problem once per `source_key`, queue its support-channel post and the reporter's
    thread notice, all in the caller's transaction."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Please describe the problem: what happened, and what you expected.")
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}")
    existing = session.exec(select(Issue).where(Issue.source_key == source_key)).first()
    if existing is not None:
        return Reported(existing, created=False)
    issue = Issue(
        launch_id=launch.id, number=next_number(session, launch.id), text=text[:MAX_STORED_TEXT],
        severity=severity, status=IssueStatus.OPEN, reporter=reporter, reporter_team=reporter_team,
        source=source, source_key=source_key, source_channel=source_channel, source_ts=source_ts,
        thread_ts=thread_ts, thread_key=thread_key, created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(issue)
            session.flush()
    except IntegrityError:
        # Someone else recorded the same source (or took the number) at the same moment.
        existing = session.exec(select(Issue).where(Issue.source_key == source_key)).first()
        if existing is not None:
            return Reported(existing, created=False)
        raise
    session.add(IssueEvent(issue_id=issue.id, at=now, actor=reporter, kind="reported", detail=source))
    route_issue(session, launch, issue, now=now)
    notify_reporter(session, issue, now=now,
                    text=f"Thanks <@{reporter}> — this is issue *#{issue.number}* for {escape(launch.customer)}. "
                         "Our support team has it and will follow up in this thread.")
    return Reported(issue, created=True)


def issue_summary_text(launch: Launch, issue: Issue) -> str:
    return (f"Issue #{issue.number} · {launch.customer} · {issue.severity} · reported by "
            f"<@{issue.reporter}>: {clip(escape(issue.text), 200)}")


def route_issue(session: Session, launch: Launch, issue: Issue, *, now: datetime) -> None:
    """Post the issue to the launch's support channel; with none set, tell the CSMs by DM."""
    text = issue_summary_text(launch, issue)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Issue #{issue.number}* · *{escape(launch.customer)}* · {SEVERITY_LABELS[issue.severity]}\n"
            f"Reported by <@{issue.reporter}> via {issue.source}")}},
        {"type": "section", "text": {"type": "mrkdwn", "text": user_text(issue.text, 2900) or " "}},
    ]
    target = launch.support_channel
    if target:
        issue.support_channel = target
        post_message(session, key=f"issue:{issue.id}:support", channel=target, text=text, blocks=blocks, now=now,
                     launch_id=launch.id, write_back={"model": "Issue", "id": issue.id, "ts_field": "support_ts"})
    else:
        for csm in launches.members(session, launch.id, MemberRole.CSM):
            post_message(session, key=f"issue:{issue.id}:nosupport:{csm}", channel=csm, now=now, launch_id=launch.id,
                         text=f":warning: {text}\n_{escape(launch.customer)} has no support channel set; "
                              "set one with `golive launch import` (support_channel)._")


def notify_reporter(session: Session, issue: Issue, *, now: datetime, text: str, suffix: str = "reported") -> None:
    """Tell the reporter in the thread where they reported (messages in a thread reach guests from other
    organisations, where ephemeral messages may not)."""
    if not issue.source_channel:
        return
    post_message(session, key=f"issue:{issue.id}:reporter:{suffix}", channel=issue.source_channel, text=text,
                 now=now, launch_id=issue.launch_id, thread_ts=issue.thread_ts, thread_ts_from=issue.thread_key)


def register_write_back() -> None:
    from bot.outbox import WRITE_BACK_TARGETS

    WRITE_BACK_TARGETS["Issue"] = Issue


register_write_back()
