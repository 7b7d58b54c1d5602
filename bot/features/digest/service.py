"""The CSM's standup digest: one message per CSM (or CSM channel) per launch-week business day, covering
all that person's active launches, with a launch-week chart uploaded through Slack's external upload flow.

The plan row only queues an outbox row per recipient (dedupe key per recipient and local date, so a CSM
with several launches gets one digest); the content is composed at send time from the data as it is then."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from bot.core.clock import parse_date
from bot.core.i18n import Translator
from bot.features.checkins.service import checkin_days, launch_week_last_day
from bot.features.digest import views
from bot.features.digest.chart import MAX_PANELS, launch_series_many, render_png
from bot.features.digest.model import HEALTH_ORDER, IssueLine, LaunchDigest
from bot.features.digest.views import (  # noqa: F401 - the rules' texts live in views; these names stay here too
    HEALTH_EMOJI,
    assess,
    compact_line,
    launch_section,
    points_section,
    talking_points,
)
from bot.features.issues.model import SEVERITIES
from bot.features.issues.service import open_problem_groups
from bot.features.launches import service as launches
from bot.features.status.service import describe_work
from bot.features.themes.service import ThemeText, group_themes
from bot.features.themes.summary import launch_themes_by_launch
from bot.outbox.compose import ComposeContext
from bot.outbox.files import share_file_once
from bot.outbox.queue import enqueue
from bot.slack.directory import channel_customers
from schedules.registry import Skip, WorkContext
from storage.models import (
    CheckIn,
    CheckInAnswer,
    Issue,
    IssueEvent,
    IssueStatus,
    Launch,
    LaunchMember,
    LaunchStatus,
    MemberRole,
    OutboxMessage,
    OutboxStatus,
    PlannedWork,
    ReadinessItem,
    WorkStatus,
)

log = logging.getLogger("golive.digest")

# A launch is in a CSM's digest from two weeks before go-live until the end of launch week.
LEAD_DAYS = 14
# DM failures that mean the person is gone or cannot be written to: their digest goes to the admins.
GONE_ERRORS = frozenset({"user_not_found", "users_not_found", "user_disabled", "account_inactive", "cannot_dm_bot",
                         "user_not_visible", "messages_tab_disabled"})
CHART_ERRORS = (SlackApiError, SlackRequestError, OSError, ValueError)
THEME_DAYS = 7


# -- what one launch looks like this morning ------------------------------------------------------


def local_today(launch: Launch, now: datetime) -> date:
    return now.astimezone(ZoneInfo(launch.timezone)).date()


def is_active(launch: Launch, now: datetime) -> bool:
    """Not done, and between two weeks before go-live and the end of launch week (local dates)."""
    if launch.status == LaunchStatus.DONE:
        return False
    today = local_today(launch, now)
    return launch.go_live_date - timedelta(days=LEAD_DAYS) <= today <= launch_week_last_day(launch)


def stage_text(launch: Launch, today: date) -> str:
    days = checkin_days(launch)
    if today < days[0]:
        return views.stage_phrase(left=(days[0] - today).days)
    done = [d for d in days if d <= today]
    if len(done) == len(days) and today > days[-1]:
        return views.stage_phrase(over=True)
    return views.stage_phrase(day=len(done), days=len(days))


def sla_state(issue: Issue, now: datetime) -> tuple[str, bool]:
    if issue.status == IssueStatus.ACKNOWLEDGED:
        return views.sla_phrase(True, 0, None), False
    if issue.escalation_count:
        return views.sla_phrase(False, issue.escalation_count, None), True
    if issue.next_escalation_at is None or issue.next_escalation_at <= now:
        return views.sla_phrase(False, 0, None), True
    return views.sla_phrase(False, 0, issue.next_escalation_at - now), False


def build_launch_digest(session: Session, launch: Launch, now: datetime, since: datetime,
                        channel_customers: list[str] | None = None) -> LaunchDigest:
    """Everything the digest says about one launch (see `build_digests`)."""
    return build_digests(session, [launch], now, since, {launch.id: channel_customers})[0]


def build_digests(session: Session, chosen: Sequence[Launch], now: datetime, since: datetime,
                  customers: dict[int, list[str] | None] | None = None) -> list[LaunchDigest]:
    """Everything the digest says about each launch, in the same order. All the launches are read together,
    a few statements in all (WHERE launch_id IN (...), grouped here), each an index lookup; columns, not
    entities, where only columns are shown. `customers`: the channel's customers per launch id (None or
    missing: unknown)."""
    customers = customers or {}
    ids = [launch.id for launch in chosen]
    if not ids:
        return []
    run = session.connection().execute  # Core rows where only columns are shown, no entities built
    todays = {launch.id: local_today(launch, now) for launch in chosen}
    last: dict[int, tuple[int, date, int]] = {}  # launch id -> the check-in before today: id, date, day number
    for check_in_id, launch_id, local_date, day_number in run(
            select(CheckIn.id, CheckIn.launch_id, CheckIn.local_date, CheckIn.day_number)
            .where(col(CheckIn.launch_id).in_(ids)).order_by(CheckIn.launch_id, CheckIn.local_date.desc())).all():
        if local_date < todays[launch_id] and launch_id not in last:
            last[launch_id] = (check_in_id, local_date, day_number)
    answers: dict[int, list[tuple[str, str, str | None]]] = defaultdict(list)
    if last:
        for check_in_id, user, answer, note in run(
                select(CheckInAnswer.check_in_id, CheckInAnswer.user_id, CheckInAnswer.answer, CheckInAnswer.note)
                .where(col(CheckInAnswer.check_in_id).in_([c for c, _, _ in last.values()]))
                .order_by(CheckInAnswer.check_in_id, CheckInAnswer.recorded_at)).all():
            answers[check_in_id].append((user, answer, note))
    groups = open_problem_groups(session, ids)  # issues linked as the same problem count once
    escalated: dict[int, list[str]] = defaultdict(list)
    for launch_id, number, detail in run(
            select(Issue.launch_id, Issue.number, IssueEvent.detail).join(IssueEvent, IssueEvent.issue_id == Issue.id)
            .where(col(Issue.launch_id).in_(ids), IssueEvent.kind == "escalated", IssueEvent.at > since,
                   IssueEvent.at <= now).order_by(IssueEvent.at)).all():
        escalated[launch_id].append(views.escalation_phrase(number, detail))
    work: dict[int, list[PlannedWork]] = defaultdict(list)
    for item in session.exec(select(PlannedWork).where(
            col(PlannedWork.launch_id).in_(ids), PlannedWork.finished_at > since, PlannedWork.finished_at <= now,
            PlannedWork.kind != "digest",  # this very digest's own lateness is no news to its reader
            col(PlannedWork.status).in_([WorkStatus.SKIPPED, WorkStatus.FAILED, WorkStatus.DONE]))
            .order_by(PlannedWork.due_at)).all():
        work[item.launch_id].append(item)
    readiness = {launch_id: (int(total or 0), int(done or 0)) for launch_id, total, done in run(
        select(ReadinessItem.launch_id, func.count(ReadinessItem.id), func.sum(case((ReadinessItem.done, 1), else_=0)))
        .where(col(ReadinessItem.launch_id).in_(ids)).group_by(ReadinessItem.launch_id)).all()}
    # Themes of the last seven days (friction notes, issues, retro answers), new or ongoing against the week before.
    themes = launch_themes_by_launch(session, ids, start=now - timedelta(days=THEME_DAYS), end=now, limit=3)

    digests = []
    for launch in chosen:
        today = todays[launch.id]
        live_text = views.live_phrase(launch.status, launch.live_at, launch.timezone)
        digest = LaunchDigest(launch_id=launch.id, customer=launch.customer, channel=launch.channel,
                              stage=stage_text(launch, today), go_live=launch.go_live_date, status=launch.status,
                              live_text=live_text)
        blocked_notes: list[str] = []
        friction_notes: list[str] = []
        if launch.id in last:
            check_in_id, digest.last_day, digest.last_day_number = last[launch.id]
            answered = set()
            for user, answer, note in answers.get(check_in_id, []):
                digest.counts[answer] = digest.counts.get(answer, 0) + 1
                answered.add(user)
                if answer == "blocked":
                    digest.blocked_people.append(user)
                    if note:
                        blocked_notes.append(note)
                elif answer == "friction" and note:
                    friction_notes.append(note)
            channel = customers.get(launch.id)
            if channel is not None:
                digest.missing = [u for u in channel if u not in answered]
        for group in groups.get(launch.id, []):
            issue = group.issue
            sla, breached = sla_state(issue, now)
            digest.issues.append(IssueLine(issue.number, issue.severity, issue.status,
                                           views.age_phrase(now - issue.created_at), sla, breached, issue.text,
                                           people=group.people))
        digest.issues.sort(key=lambda i: (SEVERITIES.index(i.severity), i.number))
        digest.escalations = escalated.get(launch.id, [])
        for item in work.get(launch.id, []):
            late = item.status == WorkStatus.DONE and item.note and "late" in item.note
            if item.status != WorkStatus.DONE or late:
                digest.missed_work.append(f"{describe_work(item)}: {item.note or item.status}")
        total, done = readiness.get(launch.id, (0, 0))
        digest.readiness_total = total
        digest.readiness_open = total - done
        # What the blocked people and the open issues have in common (a theme needs two texts alike).
        blocked_texts = [ThemeText(t) for t in dict.fromkeys(blocked_notes + [i.text for i in digest.issues])]
        blocked = group_themes(blocked_texts, max_themes=1) if digest.blocked_people else []
        digest.blocked_theme = blocked[0].name if blocked else None
        digest.themes = themes[launch.id].themes
        top = digest.themes[0] if digest.themes else None
        digest.friction_theme = (top.name, top.count) if top and top.count >= 2 else None
        assess(digest, launch, today)
        digest.talking_points = talking_points(digest, launch, today)
        digests.append(digest)
    return digests


# -- scheduled: queue the digests -------------------------------------------------------------------


def digest_key(recipient: str, day: date | str) -> str:
    return f"digest:{recipient}:{day}"


def recipient_launches(session: Session, recipient: str, now: datetime) -> list[Launch]:
    """A CSM channel: the launches that name it. A CSM: their launches without a CSM channel."""
    if recipient.startswith(("C", "G")):
        candidates = session.exec(select(Launch).where(Launch.csm_channel == recipient).order_by(Launch.id)).all()
    else:
        candidates = session.exec(
            select(Launch).join(LaunchMember, LaunchMember.launch_id == Launch.id)
            .where(LaunchMember.user_id == recipient, LaunchMember.role == MemberRole.CSM,
                   Launch.csm_channel.is_(None)).order_by(Launch.id)).all()
    return [launch for launch in candidates if is_active(launch, now)]


def queue_digests(ctx: WorkContext) -> str | None:
    """Scheduled at the digest time of each launch-week business day: one outbox row per recipient."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if launch.status == LaunchStatus.DONE:
        raise Skip("the launch is done")
    day = ctx.work.payload["date"]
    recipients = [launch.csm_channel] if launch.csm_channel else launches.members(s, launch.id, MemberRole.CSM)
    if not recipients:
        raise Skip("the launch has no CSM and no CSM channel: nobody to send the digest to")
    queued = 0
    for recipient in recipients:
        covered = [lnch.id for lnch in recipient_launches(s, recipient, ctx.now)] or [launch.id]
        queued += enqueue(s, key=digest_key(recipient, day), method="golive.digest", now=ctx.now,
                          launch_id=launch.id,
                          payload={"channel": recipient, "date": day, "launch_ids": covered,
                                   "admins": list(ctx.admins)})
    return None if queued else "already queued by another launch of the same CSM"


# -- ahead of time: the themes a digest will need ---------------------------------------------------

# How far ahead the worker reads the digests due soon, and how often (bot/runtime.py).
WARM_AHEAD = timedelta(minutes=15)
WARM_SECONDS = 300.0


def warm_digests(session: Session, now: datetime, *, ahead: timedelta = WARM_AHEAD) -> int:
    """Build, and throw away, the digests due in (now, now + ahead] as they would be at their due time: the
    theme groupings they need are then remembered in this process (`group_themes` keeps its answer per
    input), so the send-time build mostly reads from memory. A text added or changed in between is a new
    input, grouped at send time as before: the digest says exactly what it would have said. Returns the
    digests built."""
    due = session.exec(select(PlannedWork.launch_id, PlannedWork.due_at).where(
        PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at > now, PlannedWork.due_at <= now + ahead,
        PlannedWork.kind == "digest").order_by(PlannedWork.due_at)).all()
    built: set[tuple[str, datetime]] = set()
    for launch_id, due_at in due:
        launch = session.get(Launch, launch_id)
        if launch is None or launch.status == LaunchStatus.DONE:
            continue
        recipients = [launch.csm_channel] if launch.csm_channel else launches.members(session, launch.id,
                                                                                      MemberRole.CSM)
        for recipient in recipients:
            if (recipient, due_at) in built:
                continue
            built.add((recipient, due_at))
            warm_recipient(session, recipient, due_at, fallback=launch)
    return len(built)


def warm_recipient(session: Session, recipient: str, at: datetime, *, fallback: Launch | None = None) -> None:
    """The recipient's digest as it would be built at `at`, thrown away (see `warm_digests`)."""
    chosen = recipient_launches(session, recipient, at) or ([fallback] if fallback is not None else [])
    build_digests(session, chosen, at, at - timedelta(hours=24))


# -- send time: compose, upload the chart, fall back ----------------------------------------------


def previous_digest_at(session: Session, recipient: str, before: datetime) -> datetime | None:
    prefix = f"digest:{recipient}:"
    # Only the key range goes in WHERE, so SQLite walks the unique dedupe_key index (not every sent row).
    sent_before = case((and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < before),
                        OutboxMessage.sent_at))
    return session.exec(select(func.max(sent_before)).where(
        OutboxMessage.dedupe_key >= prefix, OutboxMessage.dedupe_key < prefix[:-1] + ";")).one()


def _customers(ctx: ComposeContext, channel: str) -> list[str] | None:
    customers = channel_customers(ctx, channel)
    return None if customers is None else [p.user_id for p in customers]


def gather(ctx: ComposeContext, launch_owner: str) -> tuple[list[LaunchDigest], list[Any]]:
    """Read everything in a short session of its own (Slack calls happen outside any transaction)."""

    with ctx.read() as s:
        chosen = recipient_launches(s, launch_owner, ctx.now)
        channels = {launch.id: launch.channel for launch in chosen}
    members = {lid: _customers(ctx, channel) for lid, channel in channels.items()}
    with ctx.read() as s:
        chosen = recipient_launches(s, launch_owner, ctx.now)
        since = previous_digest_at(s, ctx.payload["channel"], ctx.now) or ctx.now - timedelta(hours=24)
        digests = build_digests(s, chosen, ctx.now, since, members)
        order = {d.launch_id: (HEALTH_ORDER[d.health], d.go_live) for d in digests}
        series = launch_series_many(s, sorted(chosen, key=lambda lnch: order[lnch.id]), ctx.now)
    return digests, series


def upload_chart(ctx: ComposeContext, channel_id: str, series: list[Any], day: str, *,
                 comment: str | None = None, title: str | None = None, filename: str | None = None,
                 what: str | None = None, t: Translator | None = None) -> tuple[str | None, str]:
    """(file id, note for the post that follows). The PNG goes through Slack's external upload flow into
    `channel_id`; any failure leaves a note that the chart is missing. The caption and the note are in `t`'s
    language (the digest's reader; English when not given); `comment`, `title` and `what` replace the
    digest's own."""

    try:
        png = render_png(series)
    except Exception as err:  # noqa: BLE001 - a post without a picture beats no post
        log.warning("chart rendering failed: %r", err)
        return None, views.chart_missing(type(err).__name__, drawn=False, today=not comment, t=t)
    caption = views.chart_caption(parse_date(day), t)
    try:
        file_id = share_file_once(
            ctx, channel=channel_id, data=png, filename=filename or f"launch-week-{day}.png",
            title=title or caption["title"], alt_txt=caption["alt_txt"],
            initial_comment=comment or caption["initial_comment"])
    except CHART_ERRORS as err:
        error = (err.response.get("error") if isinstance(err, SlackApiError) and err.response is not None
                 else type(err).__name__)
        log.warning("chart upload failed: %s", error)
        return None, views.chart_missing(str(error), drawn=True, today=not comment, t=t)
    # Slack shares an uploaded file into the conversation a moment after the upload returns, so the note says
    # where the chart is, not that it is already above.
    return file_id, views.chart_shared(MAX_PANELS if len(series) > MAX_PANELS else None, what, t)


def fall_back(ctx: ComposeContext, error: str) -> tuple[str, dict]:
    """The CSM cannot be reached: the admins get the digest with a note; this row is then tried once more
    as a plain DM so Slack's permanent error marks it dead, visible in `golive launch show`."""
    payload = ctx.payload
    if not payload.get("on_behalf_of"):
        for admin in payload.get("admins") or []:
            if admin == payload["channel"]:
                continue
            with ctx.write() as s:
                enqueue(s, key=f"{ctx.row.dedupe_key}:admin:{admin}", method="golive.digest", now=ctx.now,
                        launch_id=ctx.row.launch_id,
                        payload={"channel": admin, "date": payload["date"],
                                 "launch_ids": payload.get("launch_ids", []),
                                 "on_behalf_of": payload["channel"], "reason": error})
    return "chat.postMessage", {"channel": payload["channel"], "text": f"Standup digest for {payload['date']}"}


# -- `golive launch show` ---------------------------------------------------------------------------


def delivery_problems(session: Session, launch_id: int) -> list[str]:
    """Dead outbox rows of this launch (digests that cover it included), and where copies went instead."""
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
                        .order_by(OutboxMessage.id)).all()
    lines = []
    for row in rows:
        covered = row.launch_id == launch_id or launch_id in (row.payload.get("launch_ids") or [])
        if not covered:
            continue
        what = "digest" if row.method == "golive.digest" else row.method
        lines.append(f"dead: {what} to {row.payload.get('channel', '?')} ({row.dedupe_key}) after {row.attempts} "
                     f"attempt(s): {row.last_error}")
        if row.method == "golive.digest":
            copies = session.exec(select(OutboxMessage).where(
                OutboxMessage.dedupe_key >= f"{row.dedupe_key}:admin:",
                OutboxMessage.dedupe_key < f"{row.dedupe_key}:admin;")).all()
            for copy in copies:
                lines.append(f"      copy to admin {copy.payload.get('channel')}: {copy.status}")
    return lines


