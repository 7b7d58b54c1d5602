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

from bot.core.text import clip, escape, user_text
from bot.features.checkins.service import checkin_days, launch_week_last_day
from bot.features.digest.chart import MAX_PANELS, launch_series_many, render_png
from bot.features.digest.model import HEALTH_ORDER, SECTION, IssueLine, LaunchDigest
from bot.features.issues.model import SEVERITIES, SEVERITY_EMOJI
from bot.features.issues.service import age_text, open_problem_groups
from bot.features.launches import service as launches
from bot.features.status.service import describe_work
from bot.features.themes.service import ThemeText, group_themes
from bot.features.themes.summary import launch_themes_by_launch, theme_line_text
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

HEALTH_EMOJI = {"stuck": ":red_circle:", "at risk": ":large_yellow_circle:", "on track": ":large_green_circle:"}
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
        left = (days[0] - today).days
        return f"go-live in {left} day{'s' if left != 1 else ''}"
    done = [d for d in days if d <= today]
    if len(done) == len(days) and today > days[-1]:
        return "launch week is over"
    return f"launch week, day {len(done)} of {len(days)}"


def sla_state(issue: Issue, now: datetime) -> tuple[str, bool]:
    if issue.status == IssueStatus.ACKNOWLEDGED:
        return "acknowledged", False
    if issue.escalation_count:
        return f"SLA breached, escalated {issue.escalation_count}×", True
    if issue.next_escalation_at is None or issue.next_escalation_at <= now:
        return "SLA breached", True
    left = issue.next_escalation_at - now
    return f"acknowledge within {age_text(left)}", False


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
        escalated[launch_id].append(f"#{number} {detail or ''}".strip())
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
        live_text = "not live yet"
        if launch.status != LaunchStatus.PLANNED:
            when = f" since {launch.live_at.astimezone(ZoneInfo(launch.timezone)):%a %-d %b %H:%M}" \
                if launch.live_at else ""
            live_text = f"{launch.status}{when}"
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
                                           age_text(now - issue.created_at), sla, breached, issue.text,
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


def assess(digest: LaunchDigest, launch: Launch, today: date) -> None:
    """On track / at risk / stuck, with the reasons, from blocked answers, sev1s, SLA breaches and criteria."""
    stuck: list[str] = []
    risk: list[str] = []
    blocked = digest.counts.get("blocked", 0)
    if blocked >= 2 and blocked * 2 >= digest.answered:
        stuck.append(f"{blocked} of {digest.answered} people blocked on day {digest.last_day_number}")
    elif blocked:
        risk.append(f"{blocked} blocked on day {digest.last_day_number}")
    sev1_breached = [i for i in digest.issues if i.severity == "sev1" and i.breached]
    sev1_other = [i for i in digest.issues if i.severity == "sev1" and not i.breached]
    if sev1_breached:
        stuck.append(f"sev1 {', '.join(f'#{i.number}' for i in sev1_breached)} not acknowledged in time")
    if sev1_other:
        risk.append(f"{len(sev1_other)} open sev1")
    breached = [i for i in digest.issues if i.breached and i.severity != "sev1"]
    if breached:
        risk.append(f"{len(breached)} issue(s) past their SLA")
    if digest.readiness_open and launch.status == LaunchStatus.PLANNED:
        if today > launch.go_live_date:
            stuck.append(f"go-live date passed with {digest.readiness_open} criteria open")
        elif (launch.go_live_date - today).days <= 2:
            risk.append(f"{digest.readiness_open} go-live criteria open")
    if digest.missed_work:
        risk.append(f"{len(digest.missed_work)} scheduled step(s) missed or late")
    if digest.missing and digest.answered < len(digest.missing):
        risk.append(f"{len(digest.missing)} did not answer")
    digest.health = "stuck" if stuck else "at risk" if risk else "on track"
    digest.reasons = stuck + risk if stuck or risk else ["no blockers, no overdue issues"]


def talking_points(digest: LaunchDigest, launch: Launch, today: date) -> list[str]:
    """Three suggestions, most urgent first, each derived from the data."""
    points: list[str] = []
    blocked = digest.counts.get("blocked", 0)
    if blocked:
        on = f" on {escape(digest.blocked_theme)}" if digest.blocked_theme else ""
        points.append(f"{blocked} {'people' if blocked != 1 else 'person'} blocked{on} — cover it first")
    for issue in digest.issues:
        if issue.severity == "sev1":
            points.append(f"sev1 #{issue.number} has been open {issue.age} ({issue.sla}) — get an ETA from support "
                          "before the standup")
            break
    late = [i for i in digest.issues if i.breached and i.severity != "sev1"]
    if late:
        points.append(f"{len(late)} issue(s) waited past their SLA ({', '.join(f'#{i.number}' for i in late[:5])}) "
                      "— chase support")
    if digest.readiness_open and launch.status == LaunchStatus.PLANNED:
        if today >= launch.go_live_date:
            points.append(f"Go-live was {launch.go_live_date:%a %-d %b} and {digest.readiness_open} criteria are "
                          "still open — decide today: finish them or go live with a reason")
        else:
            points.append(f"{digest.readiness_open} go-live criteria still open — agree owners and dates")
    if digest.friction_theme:
        word, count = digest.friction_theme
        points.append(f"“{escape(word)}” comes up {count}× in notes and issues — show the workaround or plan a "
                      "session")
    if digest.missing:
        who = "people" if len(digest.missing) != 1 else "person"
        points.append(f"{len(digest.missing)} {who} did not answer day {digest.last_day_number} — ask them directly")
    if digest.escalations:
        points.append(f"{len(digest.escalations)} escalation(s) since the last digest — review the response "
                      "times with support")
    if digest.missed_work:
        points.append("A scheduled step was missed or late — check `golive launch show` and repost by hand if needed")
    fallbacks = [
        "Nothing is blocked — ask what works well and note a quote for the retrospective",
        "Remind people of the *Report a problem* button and the :rotating_light: reaction",
        "Review progress on the 30-day goals",
    ]
    if digest.last_day is None:
        fallbacks.insert(0, "No check-in yet — tell the customer when the first one comes and what it asks")
    for extra in fallbacks:
        if len(points) >= 3:
            break
        points.append(extra)
    return points[:3]


# -- the message ------------------------------------------------------------------------------------


def _mentions(users: list[str], limit: int = 10) -> str:
    shown = ", ".join(f"<@{u}>" for u in users[:limit])
    return shown + (f" and {len(users) - limit} more" if len(users) > limit else "")


def launch_section(d: LaunchDigest) -> str:
    lines = [f"{HEALTH_EMOJI[d.health]} *{escape(d.customer)}* (<#{d.channel}>) — *{d.health}*: "
             f"{'; '.join(d.reasons)}",
             f"{d.stage} · go-live {d.go_live:%a %-d %b} · {d.live_text} · readiness: "
             + (f"{d.readiness_open} of {d.readiness_total} criteria open" if d.readiness_total else "no criteria")]
    if d.last_day is None:
        lines.append("*Yesterday:* no check-in yet")
    else:
        text = (f"*Day {d.last_day_number} ({d.last_day:%a}):* {d.counts.get('good', 0)} good · "
                f"{d.counts.get('friction', 0)} friction · {d.counts.get('blocked', 0)} blocked")
        if d.blocked_people:
            text += f" — blocked: {_mentions(d.blocked_people)}"
        lines.append(text)
        if d.missing is None:
            lines.append("*No answer yet:* unknown (could not read the channel's members)")
        elif d.missing:
            lines.append(f"*No answer yet:* {_mentions(d.missing)}")
        else:
            lines.append("*No answer yet:* nobody — everyone answered")
    if d.issues:
        by = d.open_by_severity()
        summary = " · ".join(f"{SEVERITY_EMOJI[s]} {s} {n}" for s, n in by.items() if n)
        lines.append(f"*Open issues:* {summary}")
        for issue in d.issues[:6]:
            people = f" · {issue.people} people affected" if issue.people > 1 else ""
            lines.append(f"    #{issue.number} {issue.severity} · {issue.age} old · {issue.sla}{people} · "
                         f"{user_text(clip(issue.text, 70), 110)}")
        if len(d.issues) > 6:
            lines.append(f"    …and {len(d.issues) - 6} more")
    else:
        lines.append("*Open issues:* none")
    if d.themes:
        lines.append("*Themes this week:* " + " · ".join(theme_line_text(t, quotes=0) for t in d.themes))
    if d.escalations:
        lines.append(f"*Escalations since the last digest:* {', '.join(d.escalations[:10])}")
    if d.missed_work:
        lines.append("*Missed or late:* " + "; ".join(escape(w) for w in d.missed_work[:4]))
    return clip("\n".join(lines), SECTION)


def points_section(d: LaunchDigest) -> str:
    return clip("*Talking points*\n" + "\n".join(f"{n}. {p}" for n, p in enumerate(d.talking_points, 1)), SECTION)


def compact_line(d: LaunchDigest) -> str:
    by = d.open_by_severity()
    return (f"{HEALTH_EMOJI[d.health]} *{escape(clip(d.customer, 60))}* — {d.health} · {d.stage} · "
            f"{sum(by.values())} open issue(s) · {d.counts.get('blocked', 0)} blocked")


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
                 what: str = "today's digest") -> tuple[str | None, str]:
    """(file id, note for the post that follows). The PNG goes through Slack's external upload flow into
    `channel_id`; any failure leaves a note that the chart is missing."""

    try:
        png = render_png(series)
    except Exception as err:  # noqa: BLE001 - a post without a picture beats no post
        log.warning("chart rendering failed: %r", err)
        return None, f":warning: The chart is missing: it could not be drawn ({type(err).__name__})." \
            if comment else f":warning: The chart is missing today: it could not be drawn ({type(err).__name__})."
    try:
        file_id = share_file_once(
            ctx, channel=channel_id, data=png, filename=filename or f"launch-week-{day}.png",
            title=title or f"Launch week — {day}",
            alt_txt="Check-in answers per launch-week day (good, friction, blocked) and open issues",
            initial_comment=comment or f":bar_chart: Launch week so far ({day}) — today's standup digest follows.")
    except CHART_ERRORS as err:
        error = (err.response.get("error") if isinstance(err, SlackApiError) and err.response is not None
                 else type(err).__name__)
        log.warning("chart upload failed: %s", error)
        return None, (f":warning: The chart is missing: Slack did not take the upload ({error})." if comment else
                      f":warning: The chart is missing today: Slack did not take the upload ({error}).")
    more = f" (the {MAX_PANELS} most urgent launches)" if len(series) > MAX_PANELS else ""
    # Slack shares an uploaded file into the conversation a moment after the upload returns, so the note says
    # where the chart is, not that it is already above.
    return file_id, f":bar_chart: The launch-week chart{more} is shared in this conversation with {what}."


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


