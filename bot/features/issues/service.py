"""Reported problems: one record per source, routed by severity and keywords, escalated until someone
acknowledges, triaged in the support channel, and followed by the reporter in their own thread."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, Text, any_, bindparam, cast, func, insert, literal, null, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import metrics
from bot.core.clock import parse_date, parse_support_hours
from bot.core.errors import InvalidInput, NotAllowed, NotFound, parse_id
from bot.core.i18n import DEFAULT_LOCALE, N_, Translator, person_locale, translator
from bot.core.text import clip, escape, mention, user_text
from bot.features.issues import views
from bot.features.issues.model import NO_DETAILS, SEVERITIES
from bot.features.launches import service as launches
from bot.outbox.queue import URGENT, enqueue, enqueue_many, message_payload, outbox_row, post_message
from bot.slack.directory import stored_locales
from schedules.registry import SweepChunk
from storage.models import Issue, IssueEvent, IssueStatus, Launch, LaunchMember, MemberRole, OutboxMessage

log = logging.getLogger("golive.issues")

SLA_DEFAULT_MINUTES = {"sev1": 15, "sev2": 60, "sev3": 240}
MAX_STORED_TEXT = 200_000
USAGE = ("Please describe the problem: what happened, and what you expected. For example "
         "`/golive issue Exports to CSV time out for reports over 10k rows`, or mention the bot with a description.")


@dataclass(frozen=True)
class Reported:
    issue: Issue
    created: bool


# -- SLA clocks ---------------------------------------------------------------------------------------


def add_support_minutes(start: datetime, minutes: float, hours: str | None, zone: str,
                        holidays: frozenset[date] = frozenset()) -> datetime:
    """`minutes` of SLA clock from `start`. With support hours, only those count (weekdays, in `zone`);
    without, the clock runs round the clock. Either way it stands still on the launch's holidays (whole
    local days in `zone`): a sev3 filed the evening before a holiday is due the day after it."""
    if not hours and not holidays:
        return start + timedelta(minutes=minutes)
    tz = ZoneInfo(zone)
    if hours:
        open_at, close_at = parse_support_hours(hours)
    else:
        open_at, close_at = dt_time(0), None
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(tz)
    for _ in range(400):  # a year of days at most
        day = cursor.date()
        window_start = datetime.combine(day, open_at, tzinfo=tz)
        window_end = (datetime.combine(day, close_at, tzinfo=tz) if close_at is not None
                      else datetime.combine(day + timedelta(days=1), dt_time(0), tzinfo=tz))
        counts = day not in holidays and (close_at is None or day.weekday() < 5)
        if counts and cursor < window_end:
            begin = max(cursor, window_start)
            available = window_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), open_at, tzinfo=tz)
    return start + timedelta(minutes=minutes)


def sla_minutes(launch: Launch, severity: str) -> float:
    return float((launch.sla_minutes or {}).get(severity, SLA_DEFAULT_MINUTES[severity]))


def sla_deadline(launch: Launch, severity: str, start: datetime) -> datetime:
    return add_support_minutes(start, sla_minutes(launch, severity), launch.support_hours,
                               launch.support_tz or launch.timezone, launches.holidays_of(launch))


# -- routing ----------------------------------------------------------------------------------------


def route_channel(launch: Launch, issue: Issue) -> str | None:
    """Keyword rules first, then a per-severity channel, then the launch's support channel."""
    routing = launch.routing or {}
    text = issue.text.lower()
    for rule in routing.get("keywords") or []:
        keyword = str(rule.get("keyword", "")).lower()
        if keyword and re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text):
            return rule["channel"]
    by_severity = routing.get("severity_channels") or {}
    return by_severity.get(issue.severity) or launch.support_channel


def next_number(session: Session, launch_id: int) -> int:
    return (session.execute(_LAST_NUMBER, {"launch": launch_id}).scalar() or 0) + 1


_LAST_NUMBER = sa_select(func.max(Issue.number)).where(Issue.launch_id == bindparam("launch"))


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
    ask_what_blocks: bool = False,
) -> Reported:
    """Record a problem once per `source_key`, and in the same transaction queue its support-channel card,
    the urgent post for sev1, and the reporter's notice in their thread — the issue's own reply, naming it
    (`ask_what_blocks`: with the question what blocks them, and a button to say it)."""
    if not (text or "").strip():
        raise InvalidInput(USAGE)
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}")
    existing_id = session.execute(_ISSUE_BY_SOURCE, {"key": source_key}).scalar()
    if existing_id is not None:  # a retry of a report already recorded
        return Reported(session.get(Issue, existing_id), created=False)
    for _ in range(5):
        issue = Issue(
            launch_id=launch.id, number=next_number(session, launch.id), text=text[:MAX_STORED_TEXT],
            severity=severity, status=IssueStatus.OPEN, reporter=reporter, reporter_team=reporter_team,
            source=source, source_key=source_key, source_channel=source_channel, source_ts=source_ts,
            thread_ts=thread_ts, thread_key=thread_key, created_at=now,
            next_escalation_at=sla_deadline(launch, severity, now),
        )
        # Routed before it is written: one INSERT, no UPDATE after it (route_issue finds it set).
        issue.support_channel = route_channel(launch, issue)
        try:
            with session.begin_nested():
                session.add(issue)
                session.flush()
            break
        except IntegrityError:
            # Someone recorded the same source, or took this number, at the same moment.
            session.expunge(issue)
            existing = session.exec(select(Issue).where(Issue.source_key == source_key)).first()
            if existing is not None:
                return Reported(existing, created=False)
    else:
        raise RuntimeError("could not number the issue")
    if severity == "sev1":
        issue.next_update_reminder_at = now + timedelta(minutes=launch.update_reminder_minutes)
    add_event(session, issue, now, reporter, "reported", f"via {source}")
    route_issue(session, launch, issue, now=now)
    if ask_what_blocks:
        text, blocks = views.blocked_notice(reporter, issue.number, launch.customer, issue.id,
                                            translator(launch.locale))
        notify_reporter(session, issue, now=now, suffix="reported", text=text, blocks=blocks)
    else:
        notify_reporter(session, issue, now=now, suffix="reported",
                        text=views.reported_text(reporter, issue.number, launch.customer, translator(launch.locale)))
    return Reported(issue, created=True)


UNREADABLE = "(a message flagged with :rotating_light:; its text could not be read)"
FLAGGED_METHOD = "golive.flagged_message"


def queue_flagged_message(session: Session, *, launch: Launch, channel: str, ts: str, reporter: str,
                          reporter_team: str | None, now: datetime) -> bool:
    """A 🚨 on a message: kept durably (an outbox row composed by the sender, which reads the message from
    Slack and files the issue), in the caller's transaction. Once per message, however many react."""
    return enqueue(session, key=f"flagged:{channel}:{ts}", method=FLAGGED_METHOD, now=now, launch_id=launch.id,
                   payload={"channel": channel, "ts": ts, "reporter": reporter, "reporter_team": reporter_team},
                   priority=URGENT)


class EventRef(NamedTuple):
    """A timeline line just written: its id names the card redraw it causes."""

    id: int
    kind: str


def add_event(session: Session, issue: Issue, now: datetime, actor: str | None, kind: str,
              detail: str | None = None) -> EventRef:
    """One line of the issue's timeline (one INSERT, no ORM object)."""
    event_id = session.execute(_INSERT_EVENT, {"issue_id": issue.id, "at": now, "actor": actor, "kind": kind,
                                               "detail": detail}).scalar_one()
    return EventRef(event_id, kind)


_INSERT_EVENT = IssueEvent.__table__.insert().returning(IssueEvent.__table__.c.id)
_ISSUE_BY_SOURCE = select(Issue.id).where(Issue.source_key == bindparam("key"))


def route_issue(session: Session, launch: Launch, issue: Issue, *, now: datetime) -> None:
    """The card in the support channel (rendered at send time, so it is always current); sev1 also goes
    to the urgent channel with the oncall mentioned. With no channel to route to, the CSMs hear by DM."""
    target = route_channel(launch, issue)
    if target:
        if issue.support_channel != target:
            issue.support_channel = target
            session.add(issue)
        enqueue(session, key=card_key(issue), method="golive.issue_card", now=now, launch_id=launch.id,
                payload={"channel": target, "issue_id": issue.id},
                write_back={"model": "Issue", "id": issue.id, "ts_field": "support_ts"}, priority=URGENT)
    else:
        for csm in launches.members(session, launch.id, MemberRole.CSM):
            post_message(session, key=f"issue:{issue.id}:nosupport:{csm}", channel=csm, now=now, launch_id=launch.id,
                         text=f":warning: {summary_text(launch, issue)}\n_{escape(launch.customer)} has no support "
                              "channel set; add `support_channel` to the launch (`golive launch import`)._")
    if issue.severity == "sev1":
        post_urgent(session, launch, issue, now=now)


def post_urgent(session: Session, launch: Launch, issue: Issue, *, now: datetime) -> None:
    channel = launch.urgent_channel or route_channel(launch, issue)
    if not channel:
        return
    issue.urgent_channel = channel
    who = f"{mention(launch.oncall)} " if launch.oncall else ""
    post_message(session, key=f"issue:{issue.id}:urgent", channel=channel, now=now, launch_id=launch.id,
                 text=f":rotating_light: {who}sev1 for *{escape(launch.customer)}* — {summary_text(launch, issue)}",
                 write_back={"model": "Issue", "id": issue.id, "ts_field": "urgent_ts"}, priority=URGENT)


def card_key(issue: Issue) -> str:
    return f"issue:{issue.id}:card"


def summary_text(launch: Launch, issue: Issue) -> str:
    return (f"Issue #{issue.number} · {escape(launch.customer)} · {issue.severity} · reported by "
            f"<@{issue.reporter}>: {user_text(clip(issue.text, 300), 400)}")


def card_update(issue: Issue, event_id: int) -> tuple[str, dict[str, Any]]:
    """The outbox key and payload that redraw the support card after event `event_id`."""
    return (f"{card_key(issue)}:update:{event_id}",
            {"channel": issue.support_channel, "issue_id": issue.id, "ts_from": card_key(issue)})


def queue_card_update(session: Session, issue: Issue, event: EventRef, *, now: datetime) -> None:
    if not issue.support_channel:
        return
    key, payload = card_update(issue, event.id)
    enqueue(session, key=key, method="golive.issue_card", now=now, launch_id=issue.launch_id, payload=payload)


def _t(session: Session, issue: Issue) -> Translator:
    """The translator of the issue's launch: what its reporter reads."""
    launch = session.get(Launch, issue.launch_id)
    return translator(launch.locale if launch is not None else DEFAULT_LOCALE)


def notify_reporter(session: Session, issue: Issue, *, now: datetime, text: str, suffix: str,
                    blocks: list[dict] | None = None) -> None:
    """Tell the reporter in the thread where they reported (a thread reaches guests from other
    organisations, where ephemeral messages may not). A slash command's notice starts the thread."""
    if not issue.source_channel:
        return
    thread_ts, thread_key = issue.thread_ts, issue.thread_key
    write_back = None
    if thread_ts is None and thread_key is None:
        if suffix == "reported":
            write_back = {"model": "Issue", "id": issue.id, "ts_field": "thread_ts"}
        else:
            thread_key = f"issue:{issue.id}:reporter:reported"
    post_message(session, key=f"issue:{issue.id}:reporter:{suffix}", channel=issue.source_channel, text=text,
                 blocks=blocks, now=now, launch_id=issue.launch_id, thread_ts=thread_ts, thread_ts_from=thread_key,
                 write_back=write_back, priority=URGENT)


def customer_thread_ts(session: Session, issue: Issue) -> str | None:
    if issue.thread_ts:
        return issue.thread_ts
    key = issue.thread_key or f"issue:{issue.id}:reporter:reported"
    return session.exec(select(OutboxMessage.result_ts).where(OutboxMessage.dedupe_key == key)).first()


# -- triage -----------------------------------------------------------------------------------------


def get_issue(session: Session, issue_ref: Any) -> Issue:
    issue_id = parse_id(issue_ref)
    issue = session.get(Issue, issue_id) if issue_id is not None else None
    if issue is None:
        raise NotFound(N_("That issue does not exist. Nothing was changed."))
    return issue


def acknowledge(session: Session, *, issue: Issue, actor: str, now: datetime) -> Issue:
    """Open → acknowledged, once: two engineers clicking at the same moment make one acknowledgement."""
    if issue.status == IssueStatus.RESOLVED:
        raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
    claimed = session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.status == IssueStatus.OPEN)
        # A reopened issue keeps its first response time (the timeline has every acknowledgement).
        .values(status=IssueStatus.ACKNOWLEDGED, acknowledged_at=func.coalesce(Issue.acknowledged_at, now),
                acknowledged_by=actor, next_escalation_at=None)
        .execution_options(synchronize_session=False))
    session.refresh(issue)
    if claimed.rowcount != 1:
        raise InvalidInput(f"Issue #{issue.number} was already acknowledged by <@{issue.acknowledged_by}>. "
                           "Nothing was changed.")
    event = add_event(session, issue, now, actor, "acknowledged")
    queue_card_update(session, issue, event, now=now)
    notify_reporter(session, issue, now=now, suffix=f"acknowledged:{event.id}",
                    text=views.acknowledged_text(issue.reporter, issue.number, actor, _t(session, issue)))
    for child in linked_issues(session, issue.id):
        if child.status == IssueStatus.OPEN:
            acknowledge(session, issue=child, actor=actor, now=now)
    return issue


def change_severity(session: Session, *, issue: Issue, severity: str, actor: str, now: datetime) -> Issue:
    if severity not in SEVERITIES:
        raise InvalidInput(f"Unknown severity {severity!r}. Nothing was changed.")
    if issue.status == IssueStatus.RESOLVED:
        raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
    if severity == issue.severity:
        return issue
    launch = session.get(Launch, issue.launch_id)
    old = issue.severity
    issue.severity = severity
    if issue.status == IssueStatus.OPEN:
        issue.next_escalation_at = sla_deadline(launch, severity, now)
    if severity == "sev1" and issue.next_update_reminder_at is None and issue.status != IssueStatus.RESOLVED:
        issue.next_update_reminder_at = now + timedelta(minutes=launch.update_reminder_minutes)
    session.add(issue)
    event = add_event(session, issue, now, actor, "severity", f"{old} → {severity}")
    queue_card_update(session, issue, event, now=now)
    if severity == "sev1":
        post_urgent(session, launch, issue, now=now)
    return issue


def resolve(session: Session, *, issue: Issue, actor: str, note: str | None, now: datetime) -> Issue:
    claimed = session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.status != IssueStatus.RESOLVED)
        .values(status=IssueStatus.RESOLVED, resolved_at=now, resolved_by=actor,
                resolution=(note or None) and note[:MAX_STORED_TEXT], next_escalation_at=None,
                next_update_reminder_at=None)
        .execution_options(synchronize_session=False))
    session.refresh(issue)
    if claimed.rowcount != 1:
        raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
    event = add_event(session, issue, now, actor, "resolved", note)
    queue_card_update(session, issue, event, now=now)
    text, blocks = views.resolved_message(issue.reporter, issue.number, issue.id, note, _t(session, issue))
    notify_reporter(session, issue, now=now, suffix=f"resolved:{event.id}", text=text, blocks=blocks)
    for child in linked_issues(session, issue.id):
        if child.status != IssueStatus.RESOLVED:
            resolve(session, issue=child, actor=actor, note=note, now=now)
    return issue


def record_satisfaction(session: Session, *, value: str, user: str, now: datetime,
                        locale: str = DEFAULT_LOCALE) -> Issue:
    """The reporter's 👍/👎 on a resolved issue; a new 👎 tells the CSMs (`locale`: GOLIVE_LOCALE, the default
    language of the DMs)."""
    issue_ref, _, verdict = value.partition(":")
    issue = get_issue(session, issue_ref)
    if verdict not in ("up", "down"):
        raise InvalidInput(N_("That answer is not valid. Nothing was recorded."))
    if user != issue.reporter:
        raise NotAllowed(N_("Only the person who reported this issue can rate it. Nothing was recorded."))
    if issue.status != IssueStatus.RESOLVED:
        raise InvalidInput(N_("This issue is not resolved yet. Nothing was recorded."))
    previous = issue.satisfaction
    issue.satisfaction, issue.satisfaction_at = verdict, now
    session.add(issue)
    event = add_event(session, issue, now, user, "satisfaction", verdict)
    if verdict == "down" and previous != "down":
        tell_csms_unsatisfied(session, issue, event, now=now, locale=locale)
    return issue


def tell_csms_unsatisfied(session: Session, issue: Issue, event: EventRef, *, now: datetime,
                          locale: str = DEFAULT_LOCALE) -> None:
    """A 👎: each CSM of the launch hears by DM, with the issue, its resolution and a *Reopen* button, in their
    own Slack locale (else `locale`, GOLIVE_LOCALE); with no CSM, the support card's thread hears instead, in
    `locale`."""
    launch = session.get(Launch, issue.launch_id)
    csms = launches.members(session, launch.id, MemberRole.CSM)
    stored = stored_locales(session, csms)
    text, blocks = views.unsatisfied_blocks(launch, issue, translator(locale))
    for csm in csms:
        text, blocks = views.unsatisfied_blocks(launch, issue, translator(person_locale(stored.get(csm), locale)))
        post_message(session, key=f"issue:{issue.id}:unsatisfied:{event.id}:{csm}", channel=csm, text=text,
                     blocks=blocks, now=now, launch_id=launch.id, priority=URGENT)
    if not csms and issue.support_channel:
        post_message(session, key=f"issue:{issue.id}:unsatisfied:{event.id}", channel=issue.support_channel,
                     thread_ts=issue.support_ts, thread_ts_from=None if issue.support_ts else card_key(issue),
                     text=text, blocks=blocks, now=now, launch_id=launch.id, priority=URGENT)


def reopen(session: Session, *, issue: Issue, actor: str, now: datetime) -> Issue:
    """Resolved → open again: the SLA clock and the ladder start over from now, support hears it in the card's
    thread (the card shows it open), and the reporter hears it in theirs. Satisfaction already given stays."""
    launch = session.get(Launch, issue.launch_id)
    claimed = session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.status == IssueStatus.RESOLVED)
        .values(status=IssueStatus.OPEN, resolved_at=None, resolved_by=None,
                next_escalation_at=sla_deadline(launch, issue.severity, now),
                next_update_reminder_at=(now + timedelta(minutes=launch.update_reminder_minutes)
                                         if issue.severity == "sev1" else None))
        .execution_options(synchronize_session=False))
    session.refresh(issue)
    if claimed.rowcount != 1:
        raise InvalidInput(f"Issue #{issue.number} is not resolved (it is {issue.status}). Nothing was changed.")
    event = add_event(session, issue, now, actor, "reopened")
    queue_card_update(session, issue, event, now=now)
    if issue.support_channel:
        post_message(session, key=f"issue:{issue.id}:reopened:{event.id}", channel=issue.support_channel,
                     thread_ts=issue.support_ts, thread_ts_from=None if issue.support_ts else card_key(issue),
                     now=now, launch_id=launch.id, priority=URGENT,
                     text=(f":leftwards_arrow_with_hook: Issue #{issue.number} was reopened by <@{actor}>: the "
                           "customer says the fix did not help. It is open again and escalates until acknowledged."))
    notify_reporter(session, issue, now=now, suffix=f"reopened:{event.id}",
                    text=views.reopened_text(issue.reporter, issue.number, translator(launch.locale)))
    return issue


def add_blocked_details(session: Session, *, issue: Issue, user: str, text: str, blocking: bool,
                        now: datetime) -> Issue:
    """The *Blocked* follow-up: what blocks them replaces "no details yet" (or is added to the text); when it
    stops their work the issue becomes sev1, routed like any sev1 (urgent channel, oncall)."""
    if user != issue.reporter:
        raise NotAllowed(N_("Only the person who reported this issue can add what is blocking them. "
                            "Nothing was changed."))
    if issue.status == IssueStatus.RESOLVED:
        raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
    details = (text or "").strip()
    if not details:
        raise InvalidInput(N_("Please say in a few words what is blocking you."))
    details = details[:MAX_STORED_TEXT]
    issue.text = details if NO_DETAILS in issue.text else f"{issue.text}\n\nWhat blocks them: {details}"[
        :MAX_STORED_TEXT]
    session.add(issue)
    event = add_event(session, issue, now, user, "details", clip(details, 500))
    queue_card_update(session, issue, event, now=now)
    if blocking and issue.severity != "sev1":
        change_severity(session, issue=issue, severity="sev1", actor=user, now=now)
    notify_reporter(session, issue, now=now, suffix=f"details:{event.id}",
                    text=views.details_received_text(issue.reporter, issue.number, blocking, _t(session, issue)))
    return issue


# -- same problem, one fix ---------------------------------------------------------------------------


def linked_issues(session: Session, issue_id: int) -> list[Issue]:
    """The issues support linked to this one as the same problem (they follow it)."""
    return list(session.exec(select(Issue).where(Issue.parent_id == issue_id).order_by(Issue.id)).all())


def same_problem_candidates(session: Session, issue: Issue) -> list[tuple[str, str]]:
    """(id, text) of the open issues of the same launch a new issue could repeat: not itself, not resolved,
    not already linked to another (the one it follows is the candidate), newest 200."""
    rows = session.exec(select(Issue.id, Issue.text).where(
        Issue.launch_id == issue.launch_id, Issue.id != issue.id, Issue.status != IssueStatus.RESOLVED,
        col(Issue.parent_id).is_(None)).order_by(col(Issue.id).desc()).limit(200)).all()
    return [(str(issue_id), text) for issue_id, text in rows]


def note_looks_like(session: Session, *, issue_id: int, looks_like_id: int, now: datetime) -> None:
    """Remember which open issue a new one reads like (the card offers *Same problem*)."""
    issue = session.get(Issue, issue_id)
    other = session.get(Issue, looks_like_id)
    if issue is None or other is None or issue.looks_like_id is not None or issue.parent_id is not None:
        return
    issue.looks_like_id = other.id
    session.add(issue)
    add_event(session, issue, now, None, "looks like", f"#{other.number}")


def root_of(session: Session, issue: Issue) -> Issue:
    seen = {issue.id}
    while issue.parent_id is not None:
        parent = session.get(Issue, issue.parent_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        issue = parent
    return issue


def link_same_problem(session: Session, *, issue: Issue, target_ref: Any, actor: str, now: datetime) -> Issue:
    """Support says `issue` is the same problem as the target: it follows the target from now on (its reporter
    hears when the target is acknowledged or resolved, in their own thread; its own ladder stops, the
    target's pages). Refused — nothing changed — for another launch's issue, itself, a cycle, or a
    resolved target. Returns the issue it now follows."""
    target = get_issue(session, target_ref)
    if target.launch_id != issue.launch_id:
        raise InvalidInput("That issue belongs to another launch; only issues of the same launch can be linked. "
                           "Nothing was changed.")
    if target.id == issue.id:
        raise InvalidInput("An issue cannot be the same problem as itself. Nothing was changed.")
    root = root_of(session, target)
    if root.id == issue.id:
        raise InvalidInput(f"#{target.number} already follows #{issue.number}: linking them would make a circle. "
                           "Nothing was changed.")
    if issue.parent_id is not None:
        raise InvalidInput(f"Issue #{issue.number} is already linked. Nothing was changed.")
    if issue.status == IssueStatus.RESOLVED:
        raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
    if root.status == IssueStatus.RESOLVED:
        raise InvalidInput(f"Issue #{root.number} is already resolved: resolve #{issue.number} on its own, or "
                           "reopen the other first. Nothing was changed.")
    issue.parent_id = root.id
    issue.next_escalation_at = None  # the issue it follows carries the ladder
    issue.next_update_reminder_at = None
    session.add(issue)
    event = add_event(session, issue, now, actor, "linked", f"same problem as #{root.number}")
    queue_card_update(session, issue, event, now=now)
    root_event = add_event(session, root, now, actor, "linked", f"#{issue.number} is the same problem")
    queue_card_update(session, root, root_event, now=now)
    notify_reporter(session, issue, now=now, suffix=f"linked:{event.id}",
                    text=views.linked_text(issue.reporter, issue.number, root.number, _t(session, issue)))
    if root.status == IssueStatus.ACKNOWLEDGED and issue.status == IssueStatus.OPEN:
        acknowledge(session, issue=issue, actor=root.acknowledged_by or actor, now=now)
    return root


@dataclass(frozen=True)
class ProblemGroup:
    """One problem as the digest counts it: the issue support works on, and how many people reported it."""

    issue: Issue
    reports: int
    people: int


def problem_groups(session: Session, launch_id: int, *, include_resolved: bool = False) -> list[ProblemGroup]:
    """A launch's issues with the ones linked as the same problem counted once, under the issue they follow,
    with the number of reports and of distinct people affected. Ordered by number."""
    query = select(Issue).where(Issue.launch_id == launch_id)
    if not include_resolved:
        query = query.where(Issue.status != IssueStatus.RESOLVED)
    return _problem_groups(list(session.exec(query.order_by(Issue.number)).all()))


# The columns `open_problem_groups` reads: what the digest shows of an issue and what links it to another.
GROUP_COLUMNS = (Issue.id, Issue.launch_id, Issue.number, Issue.parent_id, Issue.reporter, Issue.severity,
                 Issue.status, Issue.text, Issue.created_at, Issue.escalation_count, Issue.next_escalation_at)


def open_problem_groups(session: Session, launch_ids: list[int]) -> dict[int, list[ProblemGroup]]:
    """`problem_groups` of several launches (open and acknowledged issues) in one statement, by launch id.
    Each group's `issue` is then a row of GROUP_COLUMNS, not an entity (the digest reads only those)."""
    if not launch_ids:
        return {}
    rows = session.connection().execute(select(*GROUP_COLUMNS).where(col(Issue.launch_id).in_(launch_ids),
                                                      Issue.status != IssueStatus.RESOLVED)
                        .order_by(Issue.launch_id, Issue.number)).all()
    by_launch: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_launch[row.launch_id].append(row)
    return {launch_id: _problem_groups(issues) for launch_id, issues in by_launch.items()}


def _problem_groups(rows: list[Any]) -> list[ProblemGroup]:
    """Issues (ordered by number) grouped under the issue they follow."""
    by_id = {issue.id: issue for issue in rows}
    members: dict[int, list[Any]] = defaultdict(list)
    for issue in rows:
        root = issue
        seen = {issue.id}
        while root.parent_id is not None and root.parent_id in by_id and root.parent_id not in seen:
            seen.add(root.parent_id)
            root = by_id[root.parent_id]
        members[root.id].append(issue)
    return [ProblemGroup(by_id[root_id], len(group), len({i.reporter for i in group}))
            for root_id, group in sorted(members.items(), key=lambda kv: by_id[kv[0]].number)]


def satisfaction_counts(session: Session, launch_id: int, *, since: datetime | None = None,
                        until: datetime | None = None) -> dict[str, int]:
    """Satisfaction given on a launch's resolved issues in [since, until): {"up": n, "down": n}. For the
    digest, the launch-week wrap-up and the retro."""
    query = select(Issue.satisfaction, func.count(Issue.id)).where(
        Issue.launch_id == launch_id, col(Issue.satisfaction).is_not(None))
    if since is not None:
        query = query.where(Issue.satisfaction_at >= since)
    if until is not None:
        query = query.where(Issue.satisfaction_at < until)
    counts = {"up": 0, "down": 0}
    for verdict, count in session.exec(query.group_by(Issue.satisfaction)).all():
        if verdict in counts:
            counts[verdict] = count
    return counts


def issue_by_number(session: Session, launch_id: int, number: int) -> Issue:
    issue = session.exec(select(Issue).where(Issue.launch_id == launch_id, Issue.number == number)).first()
    if issue is None:
        raise NotFound(f"This launch has no issue #{number}.")
    return issue


# -- escalation (runs in the due-work engine) ------------------------------------------------------


def paged(launch: Launch, step: int) -> str:
    """Who an escalation step mentions: the oncall, and from the second step on the second-level oncall."""
    people = [launch.oncall] if launch.oncall else []
    if launch.oncall2 and step >= SECOND_LEVEL_FROM_STEP and launch.oncall2 not in people:
        people.append(launch.oncall2)
    return "".join(f"{mention(who)} " for who in people)


SECOND_LEVEL_FROM_STEP = 2


def escalation_text(launch: Launch, issue: Issue, step: int, waited: timedelta, t: Translator | None = None) -> str:
    """The escalation page in `t`'s language (GOLIVE_LOCALE; English when not given)."""
    return views.escalation_text(launch, issue, step, waited, paged=paged(launch, step),
                                 every=int(sla_minutes(launch, issue.severity)), t=t)


def next_escalation(launch: Launch, issue: Issue, step: int, now: datetime | None = None) -> datetime | None:
    """After step `step`, when the following one falls due: one SLA interval after the deadline just passed.
    Past the last step the ladder keeps paging at the last interval until someone acknowledges — an
    unacknowledged problem is never left alone. Found late (the worker was down), the next page is one
    interval from `now`, so a backlog never turns into a burst of pages."""
    following = sla_deadline(launch, issue.severity, issue.next_escalation_at)
    if now is not None and following <= now:
        following = sla_deadline(launch, issue.severity, now)
    return following


def escalation_channel(launch: Launch, issue: Issue) -> str | None:
    return launch.urgent_channel or issue.support_channel or launch.support_channel


ESCALATION_COLUMNS = ("id", "launch_id", "number", "severity", "support_channel", "created_at",
                      "escalation_count", "next_escalation_at")
# escalation_text shows 300 characters of the issue's text: read one more (to know whether it was clipped),
# not the whole of a text that may hold 200,000.
ESCALATION_TEXT_CHARS = 301


class _Ladder(NamedTuple):
    """What escalation reads of one launch: it stands in for the Launch in escalation_text, paged and
    escalation_channel, and gives the launch's SLA deadlines with its hours and holidays parsed once."""

    id: int
    customer: str
    channel: str
    support_channel: str | None
    urgent_channel: str | None
    oncall: str | None
    oncall2: str | None
    escalation_steps: int
    sla_minutes: dict  # shared between launches with the same setting: read only
    support_hours: str | None
    zone: str
    holidays: frozenset[date]

    def deadline(self, severity: str, start: datetime) -> datetime:
        """`sla_deadline` of this launch."""
        return add_support_minutes(start, sla_minutes(self, severity), self.support_hours, self.zone, self.holidays)

    def following(self, issue: Any, now: datetime) -> datetime:
        """`next_escalation` of this launch."""
        following = self.deadline(issue.severity, issue.next_escalation_at)
        return following if following > now else self.deadline(issue.severity, now)


@functools.lru_cache(maxsize=256)
def _sla_setting(text: str | None) -> dict:
    return json.loads(text) if text else {}


@functools.lru_cache(maxsize=256)
def _holiday_setting(text: str | None) -> frozenset[date]:
    return frozenset(parse_date(day) for day in (json.loads(text) if text else None) or [])


def _ladders(session: Session, launch_ids: set[int]) -> dict[int, _Ladder]:
    """The launches' ladders, as plain columns: most launches share their SLA and holiday settings (the
    defaults), so their JSON is read as text and parsed once per distinct text, not once per launch."""
    t = Launch.__table__
    rows = session.execute(sa_select(
        t.c.id, t.c.customer, t.c.channel, t.c.support_channel, t.c.urgent_channel, t.c.oncall, t.c.oncall2,
        t.c.escalation_steps, cast(t.c.sla_minutes, Text), t.c.support_hours, t.c.support_tz, t.c.timezone,
        cast(t.c.holidays, Text)).where(t.c.id.in_(launch_ids))).all()
    return {row[0]: _Ladder(*row[:8], sla_minutes=_sla_setting(row[8]), support_hours=row[9],
                            zone=row[10] or row[11], holidays=_holiday_setting(row[12])) for row in rows}


def escalate_due(session: Session, now: datetime, after_id: int, limit: int,
                 locale: str = DEFAULT_LOCALE) -> SweepChunk:
    """The escalation sweep, set-based: up to `limit` due issues with ids above `after_id` move one step up
    their ladder in this session's transaction, with exactly `escalate_one`'s effects (the urgent/support
    post, a DM per CSM, an "escalated" event, a card update, the breach metric), in a fixed handful of
    statements whatever the chunk's size, and no ORM object: the chunk's issues as plain rows (on
    PostgreSQL locked, FOR UPDATE SKIP LOCKED, so a second worker takes other rows), their launches, their
    CSMs; the claim, one conditional UPDATE … RETURNING per step being left (status still open, step
    unchanged, still due), so only what it returns is escalated, once per step; the next deadlines (one
    executemany UPDATE; on PostgreSQL claim and deadlines in one statement, `_claim_with_deadlines`); the
    events (one INSERT … SELECT … RETURNING); the outbox rows through `enqueue_many` (one executemany
    INSERT; same keys as `escalate_one`, so a repeat queues nothing). The pages speak `locale`
    (GOLIVE_LOCALE), its translator resolved once per chunk."""
    issue_t = Issue.__table__
    # Plain rows of what escalation reads of an issue: they stand in for the Issue in escalation_text,
    # escalation_channel and card_update.
    query = (sa_select(*(issue_t.c[name] for name in ESCALATION_COLUMNS),
                       func.substr(issue_t.c.text, 1, ESCALATION_TEXT_CHARS).label("text"))
             .where(issue_t.c.status == IssueStatus.OPEN, issue_t.c.next_escalation_at <= now,
                    issue_t.c.id > after_id).order_by(issue_t.c.id).limit(limit))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        query = query.with_for_update(skip_locked=True)
    due: list[Any] = list(session.execute(query).all())
    if not due:
        return SweepChunk(last_id=None, done=0)
    launch_ids = {issue.launch_id for issue in due}
    launch_of = _ladders(session, launch_ids)
    csms: dict[int, list[str]] = defaultdict(list)
    for launch_id, user in session.execute(
            sa_select(LaunchMember.launch_id, LaunchMember.user_id)
            .where(col(LaunchMember.launch_id).in_(launch_ids), LaunchMember.role == MemberRole.CSM)
            .order_by(LaunchMember.id)).all():
        csms[launch_id].append(user)

    t = translator(locale)  # the vendor's language: once per chunk, not per issue
    plans: dict[int, tuple[int, datetime, str]] = {}
    by_step: dict[int, list[int]] = defaultdict(list)
    for issue in due:
        try:
            launch = launch_of[issue.launch_id]
            step = issue.escalation_count + 1
            plans[issue.id] = (step, launch.following(issue, now),
                               escalation_text(launch, issue, step, now - issue.created_at, t))
        except Exception:  # one bad row (say, unreadable support hours) must not stop the others
            log.exception("escalation failed for issue %s", issue.id)
            continue
        by_step[issue.escalation_count].append(issue.id)

    if postgres:
        claimed = _claim_with_deadlines(session, now, [(issue.id, issue.escalation_count, plans[issue.id][1])
                                                      for issue in due if issue.id in plans])
    else:
        claimed = set()
        for old, ids in by_step.items():
            claimed.update(session.execute(
                update(issue_t).where(issue_t.c.id.in_(ids), issue_t.c.status == IssueStatus.OPEN,
                                      issue_t.c.escalation_count == old, issue_t.c.next_escalation_at <= now)
                .values(escalation_count=old + 1).returning(issue_t.c.id)).scalars())
    if not claimed:
        return SweepChunk(last_id=due[-1].id, done=0)
    escalated = [issue for issue in due if issue.id in claimed]
    if not postgres:
        session.execute(update(issue_t).where(issue_t.c.id == bindparam("b_id"))
                        .values(next_escalation_at=bindparam("b_next")),
                        [{"b_id": issue.id, "b_next": plans[issue.id][1]} for issue in escalated])
    # The events straight from the claimed rows ("step N" is their new escalation_count): no parameters per row.
    event_t = IssueEvent.__table__
    event_of = dict(session.execute(
        insert(event_t).from_select(
            ["issue_id", "at", "actor", "kind", "detail"],
            sa_select(issue_t.c.id, literal(now, event_t.c.at.type), null(), literal("escalated"),
                      literal("step ") + cast(issue_t.c.escalation_count, String))
            .where(issue_t.c.id.in_(claimed)).order_by(issue_t.c.id))
        .returning(event_t.c.issue_id, event_t.c.id)).all())
    rows = []
    for issue in escalated:
        launch = launch_of[issue.launch_id]
        step, _, text = plans[issue.id]
        channel = escalation_channel(launch, issue)
        if channel:
            rows.append(outbox_row(key=f"issue:{issue.id}:escalation:{step}", method="chat.postMessage",
                                   payload=message_payload(channel, text), now=now, launch_id=launch.id,
                                   priority=URGENT))
        for csm in csms[launch.id]:
            rows.append(outbox_row(key=f"issue:{issue.id}:escalation:{step}:{csm}", method="chat.postMessage",
                                   payload=message_payload(csm, text), now=now, launch_id=launch.id,
                                   priority=URGENT))
        if issue.support_channel:
            key, payload = card_update(issue, event_of[issue.id])
            rows.append(outbox_row(key=key, method="golive.issue_card", payload=payload, now=now,
                                   launch_id=issue.launch_id))
    enqueue_many(session, rows)
    for severity, count in Counter(issue.severity for issue in escalated).items():
        metrics.SLA_BREACHES.labels(severity=severity).inc(count)
    return SweepChunk(last_id=due[-1].id, done=len(escalated))


def _claim_with_deadlines(session: Session, now: datetime, ladder: list[tuple[int, int, datetime]]) -> set[int]:
    """PostgreSQL: the claim and the next deadline of (issue id, step read, next deadline) in ONE statement,
    UPDATE … FROM unnest(ids, steps, deadlines), conditional per row like the claim, RETURNING what it took.
    (Every update of an indexed column writes a new row version into each of the issue's indexes: two
    updates per issue cost twice that. Three array parameters keep the statement the same for any chunk.)"""
    issue_t = Issue.__table__
    ids = bindparam("ids", [row[0] for row in ladder], type_=postgresql.ARRAY(Integer))
    steps = func.unnest(ids, bindparam("olds", [row[1] for row in ladder], type_=postgresql.ARRAY(Integer)),
                        bindparam("nexts", [row[2] for row in ladder],
                                  type_=postgresql.ARRAY(issue_t.c.next_escalation_at.type))
                        ).table_valued("id", "old", "next").render_derived(name="ladder")
    return set(session.execute(
        # id = ANY(ids) as well as the join: the chunk's rows by primary key, not every open issue hashed
        update(issue_t).where(issue_t.c.id == any_(ids), issue_t.c.id == steps.c.id,
                              issue_t.c.escalation_count == steps.c.old,
                              issue_t.c.status == IssueStatus.OPEN, issue_t.c.next_escalation_at <= now)
        .values(escalation_count=issue_t.c.escalation_count + 1, next_escalation_at=steps.c.next)
        .returning(issue_t.c.id)).scalars())


def escalate_one(session: Session, issue_id: int, now: datetime, locale: str = DEFAULT_LOCALE) -> bool:
    """Move one issue one step up its ladder, at most once per step (a conditional UPDATE on the step).
    The sweep runs `escalate_due` (the same, set-based); this is its one-at-a-time fallback."""
    issue = session.get(Issue, issue_id)
    if issue is None or issue.status != IssueStatus.OPEN or issue.next_escalation_at is None \
            or issue.next_escalation_at > now:
        return False
    launch = session.get(Launch, issue.launch_id)
    step = issue.escalation_count + 1
    following = next_escalation(launch, issue, step, now)
    claimed = session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.status == IssueStatus.OPEN,
                            Issue.escalation_count == issue.escalation_count)
        .values(escalation_count=step, next_escalation_at=following)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    session.refresh(issue)
    text = escalation_text(launch, issue, step, now - issue.created_at, translator(locale))
    channel = escalation_channel(launch, issue)
    if channel:
        post_message(session, key=f"issue:{issue.id}:escalation:{step}", channel=channel, text=text, now=now,
                     launch_id=launch.id, priority=URGENT)
    for csm in launches.members(session, launch.id, MemberRole.CSM):
        post_message(session, key=f"issue:{issue.id}:escalation:{step}:{csm}", channel=csm, text=text, now=now,
                     launch_id=launch.id, priority=URGENT)
    metrics.SLA_BREACHES.labels(severity=issue.severity).inc()
    event = add_event(session, issue, now, None, "escalated", f"step {step}")
    queue_card_update(session, issue, event, now=now)
    return True


def due_escalations(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    return list(session.exec(
        select(Issue.id).where(Issue.status == IssueStatus.OPEN, Issue.next_escalation_at <= now)
        .order_by(Issue.next_escalation_at).limit(limit)).all())


def remind_one(session: Session, issue_id: int, now: datetime, locale: str = DEFAULT_LOCALE) -> bool:
    """While a sev1 is open: remind the support thread to update the customer, if nobody did lately."""
    issue = session.get(Issue, issue_id)
    if issue is None or issue.next_update_reminder_at is None or issue.next_update_reminder_at > now:
        return False
    launch = session.get(Launch, issue.launch_id)
    if issue.status == IssueStatus.RESOLVED or issue.severity != "sev1":
        issue.next_update_reminder_at = None
        session.add(issue)
        return False
    interval = timedelta(minutes=launch.update_reminder_minutes)
    last = issue.last_update_at or issue.created_at
    if now - last < interval:
        issue.next_update_reminder_at = last + interval
        session.add(issue)
        return False
    slot = issue.next_update_reminder_at
    claimed = session.execute(
        update(Issue).where(Issue.id == issue.id, Issue.next_update_reminder_at == slot)
        .values(next_update_reminder_at=now + interval).execution_options(synchronize_session=False))
    if claimed.rowcount != 1 or not issue.support_channel:
        return False
    post_message(session, key=f"issue:{issue.id}:update-reminder:{int(slot.timestamp())}",
                 channel=issue.support_channel, thread_ts_from=card_key(issue), now=now, launch_id=launch.id,
                 text=views.update_reminder_text(issue.number, int((now - last).total_seconds() // 60),
                                                 translator(locale)),
                 priority=URGENT)
    return True


def due_update_reminders(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    return list(session.exec(
        select(Issue.id).where(Issue.next_update_reminder_at <= now).order_by(Issue.next_update_reminder_at)
        .limit(limit)).all())


# -- the two-way conversation ----------------------------------------------------------------------


def issue_for_support_thread(session: Session, channel: str, thread_ts: str) -> Issue | None:
    return session.exec(select(Issue).where(Issue.support_channel == channel, Issue.support_ts == thread_ts)).first()


def issues_in_thread(session: Session, channel: str, thread_ts: str) -> list[Issue]:
    """Every issue followed in this customer thread. Several issues can share one thread — a check-in's
    (each Blocked answer is an issue), or a message's where two people reported — because Slack threads
    do not nest: each issue's own notice is a reply in that thread, and its replies land beside it."""
    found = {issue.id: issue for issue in session.exec(
        select(Issue).where(Issue.source_channel == channel, Issue.thread_ts == thread_ts)).all()}
    keys = list(session.exec(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.result_channel == channel, OutboxMessage.result_ts == thread_ts)).all())
    for key in keys:
        for issue in session.exec(select(Issue).where(Issue.thread_key == key)).all():
            found.setdefault(issue.id, issue)
        match = re.fullmatch(r"issue:(\d+):reporter:reported", key)
        if match and (issue := session.get(Issue, int(match.group(1)))) is not None:
            found.setdefault(issue.id, issue)
    return sorted(found.values(), key=lambda issue: issue.id)


ISSUE_REF = re.compile(r"(?<![\w&])#(\d{1,9})\b")


def issue_for_customer_reply(session: Session, *, channel: str, thread_ts: str, author: str | None, text: str,
                             strict: bool = False) -> Issue | None:
    """The issue a reply in a customer thread belongs to: the thread's only issue; else the one the reply
    names (`#3`); else the author's own (the latest they reported there, open ones first). A reply nobody
    can place (someone else's words in a thread of several issues) is left alone. `strict`: only a named
    issue or the author's own (a mention in such a thread by someone else is a new report)."""
    candidates = issues_in_thread(session, channel, thread_ts)
    if not candidates:
        return None
    by_number = {issue.number: issue for issue in candidates}
    for match in ISSUE_REF.finditer(text or ""):
        named = by_number.get(int(match.group(1)))
        if named is not None:
            return named
    own = [issue for issue in candidates if issue.reporter == author]
    if own:
        return max(own, key=lambda issue: (issue.status != IssueStatus.RESOLVED, issue.id))
    if len(candidates) == 1 and not strict:
        return candidates[0]
    return None


def issue_for_customer_thread(session: Session, channel: str, thread_ts: str) -> Issue | None:
    """The first issue followed in this thread (kept for callers that do not know who wrote)."""
    found = issues_in_thread(session, channel, thread_ts)
    return found[0] if found else None


def relay_to_customer(session: Session, *, issue: Issue, author: str, text: str, message_ts: str,
                      now: datetime) -> bool:
    body = text.lstrip()[2:].strip() if text.lstrip().startswith(">>") else text.strip()
    if not body or not issue.source_channel:
        return False
    thread_ts = customer_thread_ts(session, issue)
    created = post_message(
        session, key=f"relay:to-customer:{issue.support_channel}:{message_ts}", channel=issue.source_channel,
        now=now, launch_id=issue.launch_id, thread_ts=thread_ts,
        thread_ts_from=None if thread_ts else (issue.thread_key or f"issue:{issue.id}:reporter:reported"),
        text=views.relayed_to_customer(author, issue.reporter, issue.number, body, _t(session, issue)))
    if created:
        issue.last_update_at = now
        session.add(issue)
        add_event(session, issue, now, author, "update to customer", clip(body, 500))
    return created


def relay_to_support(session: Session, *, issue: Issue, author: str, text: str, message_ts: str, now: datetime) -> bool:
    if not text.strip() or not issue.support_channel:
        return False
    created = post_message(
        session, key=f"relay:to-support:{issue.source_channel}:{message_ts}", channel=issue.support_channel,
        now=now, launch_id=issue.launch_id, thread_ts=issue.support_ts,
        thread_ts_from=None if issue.support_ts else card_key(issue),
        text=f"*<@{author}> (customer)* on issue #{issue.number}:\n{user_text(text, 2800)}")
    if created:
        add_event(session, issue, now, author, "customer reply", clip(text, 500))
    return created


# -- views ------------------------------------------------------------------------------------------


def open_issues(session: Session, launch_id: int) -> list[Issue]:
    return list(session.exec(select(Issue).where(Issue.launch_id == launch_id, Issue.status != IssueStatus.RESOLVED)
                             .order_by(Issue.number)).all())


def age_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // 1440} days"


def open_issues_text(session: Session, launch: Launch, now: datetime) -> str:
    rows = open_issues(session, launch.id)
    if not rows:
        return f"No open issues for *{escape(launch.customer)}*. :tada:"
    lines = [f"*Open issues for {escape(launch.customer)}* ({len(rows)}):"]
    for issue in rows[:40]:
        lines.append(f"• #{issue.number} · {issue.severity} · {issue.status} · {age_text(now - issue.created_at)} · "
                     f"{user_text(clip(issue.text, 80), 120)}")
    if len(rows) > 40:
        lines.append(f"…and {len(rows) - 40} more.")
    return "\n".join(lines)


def counts_by_status(session: Session, launch_id: int) -> dict[str, int]:
    rows = session.exec(select(Issue.status, func.count(Issue.id)).where(Issue.launch_id == launch_id)
                        .group_by(Issue.status)).all()
    return {status: count for status, count in rows}


def timeline(session: Session, issue_id: int) -> list[IssueEvent]:
    return list(session.exec(select(IssueEvent).where(IssueEvent.issue_id == issue_id).order_by(IssueEvent.id)).all())


