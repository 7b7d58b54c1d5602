"""Adoption after go-live: a weekly report to the CSMs for 30 days (active vs invited, never logged in, went
quiet, features, where people get stuck) and optional friendly nudges to people who went quiet."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.core.text import clip, escape, user_text
from bot.features.launches import service as launches
from bot.outbox.queue import enqueue
from bot.outbox.sender import COMPOSERS, ComposeContext
from schedules.registry import Skip, WorkContext
from storage.models import AdoptionOptOut, CheckInAnswer, Issue, Launch, MemberRole, UsageRecord

REPORT_WEEKS = (1, 2, 3, 4)  # go-live + 7, 14, 21, 28 days: the first 30 days
OPT_OUT_ACTION = "adoption_opt_out"
SECTION = 2900
MAX_NAMES = 25
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further get gets getting got had hadn't has hasn't have haven't having he her here hers herself him
himself his how i i'm if in into is isn't it it's its itself just let's like me more most much must my myself
need needs no nor not now of off on once only or other our ours ourselves out over own really same she should
shouldn't so some still such than that that's the their theirs them themselves then there there's these they
this those through to too under until up us very was wasn't we we're were weren't what when where which while
who whom why will with won't would wouldn't you your yours yourself yourselves
today yesterday tomorrow day days week please thanks thank hi hello hey ok okay yes yeah via
issue issues problem problems blocked block blocking friction error errors bug bugs work works working
doesnt dont cant wont isnt im ive seems seem since anyone someone something everything nothing new old
check-in checkin launch golive team help able trying tried try use using used way still again
answer answers detail details yet note notes
""".split())
WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#'’-]{1,}")


# -- where people get stuck ------------------------------------------------------------------------


def top_themes(texts: list[str], limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent words across texts (each text counted once per word), stop words left out; a
    word is shown as people wrote it most often (SSO, not sso)."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        seen: set[str] = set()
        for match in WORD.finditer(text or ""):
            raw = match.group(0).strip("'’-")
            word = raw.lower()
            if len(word) < 3 or word in STOP_WORDS or word in seen or word.isdigit():
                continue
            seen.add(word)
            counts[word] += 1
            spellings.setdefault(word, Counter())[raw] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(spellings[word].most_common(1)[0][0], n) for word, n in ranked]


# -- the report -------------------------------------------------------------------------------------


@dataclass
class Person:
    key: str  # Slack user id, or the email when it matches no Slack user
    user_id: str | None
    email: str | None
    last_active: datetime | None = None
    features: set[str] = field(default_factory=set)

    def label(self) -> str:
        return f"<@{self.user_id}>" if self.user_id else user_text(self.email or "?", 120)


@dataclass
class AdoptionReport:
    customer: str
    week: int
    quiet_days: int
    invited: int
    active: list[Person]
    never: list[Person]
    quiet: list[tuple[Person, int]]
    features: list[tuple[str, int]]
    themes: list[tuple[str, int]]
    unmatched: list[str]
    members_known: bool
    nudges: str


def build_report(session: Session, launch: Launch, now: datetime, members: list[str] | None, *,
                 week: int) -> AdoptionReport:
    """Invited = the customer's people in the launch channel plus everyone seen in the usage data."""
    rows = session.exec(
        select(UsageRecord.email, UsageRecord.slack_user_id, UsageRecord.feature, func.max(UsageRecord.last_active_at))
        .where(UsageRecord.launch_id == launch.id)
        .group_by(UsageRecord.email, UsageRecord.slack_user_id, UsageRecord.feature)).all()
    people: dict[str, Person] = {}
    for uid in members or []:
        people[uid] = Person(uid, uid, None)
    for email, uid, feature, last in rows:
        key = uid or email
        person = people.setdefault(key, Person(key, uid, email))
        person.email = person.email or email
        if person.last_active is None or last > person.last_active:
            person.last_active = last
        if feature:
            person.features.add(feature)
    cutoff = now - timedelta(days=launch.quiet_days)
    active = [p for p in people.values() if p.last_active and p.last_active >= cutoff]
    never = [p for p in people.values() if p.last_active is None]
    quiet = sorted(((p, (now - p.last_active).days) for p in people.values()
                    if p.last_active and p.last_active < cutoff), key=lambda pd: -pd[1])
    features = Counter(f for p in people.values() for f in p.features)
    notes = session.exec(select(CheckInAnswer.note).where(
        CheckInAnswer.launch_id == launch.id, CheckInAnswer.answer.in_(["friction", "blocked"]),
        CheckInAnswer.note.is_not(None))).all()
    texts = list(notes) + list(session.exec(select(Issue.text).where(Issue.launch_id == launch.id)).all())
    unmatched = sorted({p.email for p in people.values() if not p.user_id and p.email})
    if not launch.adoption_nudges:
        nudges = "Adoption nudges are off for this launch (`adoption_nudges: true` turns them on)."
    elif not launch.training_link:
        nudges = "Adoption nudges are on, but the launch has no `training_link`, so none were sent."
    else:
        nudges = (f"People quiet for {launch.quiet_days}+ days get a friendly DM with the training link, at most "
                  "once a week, unless they opted out.")
    return AdoptionReport(customer=launch.customer, week=week, quiet_days=launch.quiet_days, invited=len(people),
                          active=active, never=never, quiet=quiet,
                          features=sorted(features.items(), key=lambda kv: (-kv[1], kv[0])),
                          themes=top_themes(texts, 5), unmatched=unmatched, members_known=members is not None,
                          nudges=nudges)


def _names(people: list[str]) -> str:
    shown = ", ".join(people[:MAX_NAMES])
    return shown + (f" and {len(people) - MAX_NAMES} more" if len(people) > MAX_NAMES else "")


def report_blocks(report: AdoptionReport) -> tuple[str, list[dict[str, Any]]]:
    share = f" ({round(100 * len(report.active) / report.invited)} %)" if report.invited else ""
    lines = [
        f"*Active:* {len(report.active)} of {report.invited} invited{share} used the product in the last "
        f"{report.quiet_days} days.",
    ]
    if not report.members_known:
        lines.append("_Could not read the launch channel's members: invited counts only people in the usage data._")
    lines.append(f"*Never logged in ({len(report.never)}):* " + (_names([p.label() for p in report.never]) or "nobody"))
    lines.append(f"*Went quiet — no activity for {report.quiet_days}+ days ({len(report.quiet)}):* "
                 + (_names([f"{p.label()} ({days} days)" for p, days in report.quiet]) or "nobody"))
    features = " · ".join(f"{user_text(clip(name, 60), 90)} {n}" for name, n in report.features[:15])
    themes = " · ".join(f"“{escape(word)}” {n}×" for word, n in report.themes)
    title = clip(f"Adoption — {report.customer}, week {report.week} after go-live", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f"*Features by number of users:* {features or 'no feature data yet'}\n"
            f"*Where people get stuck* (friction notes and issues): {themes or 'nothing reported'}", SECTION)}},
    ]
    context = [report.nudges]
    if report.unmatched:
        context.append(f"{len(report.unmatched)} email(s) match no Slack user (kept, counted by email): "
                       + _names([user_text(e, 120) for e in report.unmatched]))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, SECTION)} for t in context]})
    text = (f"Adoption week {report.week} for {report.customer}: {len(report.active)} of {report.invited} active, "
            f"{len(report.never)} never logged in, {len(report.quiet)} went quiet")
    return text, blocks


# -- scheduled ----------------------------------------------------------------------------------------


def queue_report(ctx: WorkContext) -> str | None:
    """Scheduled at go-live + 7/14/21/28 days: the report per recipient, and the nudges when turned on."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    week = int(ctx.work.payload["week"])
    recipients = [launch.csm_channel] if launch.csm_channel else launches.members(s, launch.id, MemberRole.CSM)
    recipients = recipients or list(ctx.admins)
    if not recipients:
        raise Skip("no CSM, CSM channel or admin to send the adoption report to")
    for recipient in recipients:
        enqueue(s, key=f"adoption:{launch.id}:{week}:{recipient}", method="golive.adoption_report", now=ctx.now,
                launch_id=launch.id, payload={"channel": recipient, "launch_id": launch.id, "week": week})
    if launch.adoption_nudges and launch.training_link:
        enqueue(s, key=f"adoption-nudges:{launch.id}:{week}", method="golive.adoption_nudges", now=ctx.now,
                launch_id=launch.id, payload={"channel": "", "launch_id": launch.id})
    return None


def _writer(ctx: ComposeContext):  # noqa: ANN202
    return sessionmaker(ctx.session.get_bind(), class_=Session, expire_on_commit=False).begin


def channel_customers(ctx: ComposeContext, channel: str) -> list[str] | None:
    from bot.features.usage.service import customer_people
    from bot.slack.client import channel_people

    try:
        people = channel_people(ctx.client, channel)
    except (SlackApiError, OSError):
        return None
    return [p["id"] for p in customer_people(people, ctx.context.get("vendor_team_id"))]


def compose_report(ctx: ComposeContext) -> tuple[str, dict] | None:
    from bot.features.usage.service import match_emails

    engine = ctx.session.get_bind()
    with Session(engine) as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
    if launch is None:
        return None
    match_emails(_writer(ctx), ctx.client, launch.id, now=ctx.now, max_seconds=5, max_lookups=200)
    members = channel_customers(ctx, launch.channel)
    with Session(engine) as s:
        report = build_report(s, launch, ctx.now, members, week=int(ctx.payload["week"]))
    text, blocks = report_blocks(report)
    return "chat.postMessage", {"channel": ctx.payload["channel"], "text": text, "blocks": blocks}


def iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def nudge_targets(session: Session, launch: Launch, members: list[str] | None, now: datetime) -> list[str]:
    """Slack users quiet for quiet_days (and channel members who never logged in, once go-live is that long
    ago), minus anyone who opted out."""
    cutoff = now - timedelta(days=launch.quiet_days)
    last = dict(session.exec(
        select(UsageRecord.slack_user_id, func.max(UsageRecord.last_active_at))
        .where(UsageRecord.launch_id == launch.id, UsageRecord.slack_user_id.is_not(None))
        .group_by(UsageRecord.slack_user_id)).all())
    targets = {uid for uid, at in last.items() if at < cutoff}
    if members and (now.date() - launch.go_live_date).days >= launch.quiet_days:
        targets |= {uid for uid in members if uid not in last}
    opted_out = set(session.exec(select(AdoptionOptOut.user_id).where(AdoptionOptOut.launch_id == launch.id)).all())
    return sorted(targets - opted_out)


def compose_nudges(ctx: ComposeContext) -> None:
    """At send time: one DM row per quiet person, deduplicated per ISO week so nobody hears twice a week."""
    engine = ctx.session.get_bind()
    with Session(engine) as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
    if launch is None or not launch.adoption_nudges or not launch.training_link:
        return None
    from bot.features.usage.service import match_emails

    # Match first (cached; the report may be matching at the same moment): an unmatched active person
    # would otherwise look like a channel member who never logged in.
    match_emails(_writer(ctx), ctx.client, launch.id, now=ctx.now, max_seconds=5, max_lookups=200)
    members = channel_customers(ctx, launch.channel)
    with Session(engine) as s:
        targets = nudge_targets(s, launch, members, ctx.now)
    week = iso_week(ctx.now)
    for user in targets:
        enqueue(ctx.session, key=f"adoption-nudge:{launch.id}:{user}:{week}", method="golive.adoption_nudge",
                now=ctx.now, launch_id=launch.id, payload={"channel": user, "launch_id": launch.id})
    return None


def nudge_blocks(launch: Launch, user: str) -> tuple[str, list[dict[str, Any]]]:
    link = launch.training_link or ""
    shown = escape(link) if any(c in link for c in "<>| ") else f"<{link}|training>"
    text = (f"Hi <@{user}> :wave: It has been a few days since you last used the tools {escape(launch.customer)} "
            f"rolled out. If something got in the way, this short training helps: {shown}. "
            "Questions are welcome in the launch channel.")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION)}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": OPT_OUT_ACTION, "value": str(launch.id),
             "text": {"type": "plain_text", "text": "No more reminders"}}]},
    ]
    return text, blocks


def compose_nudge(ctx: ComposeContext) -> tuple[str, dict] | None:
    """One person's nudge, unless they opted out in the meantime."""
    launch = ctx.session.get(Launch, ctx.payload["launch_id"])
    user = ctx.payload["channel"]
    if launch is None or not launch.training_link:
        return None
    opted = ctx.session.exec(select(AdoptionOptOut.id).where(AdoptionOptOut.launch_id == launch.id,
                                                             AdoptionOptOut.user_id == user)).first()
    if opted is not None:
        return None
    text, blocks = nudge_blocks(launch, user)
    return "chat.postMessage", {"channel": user, "text": text, "blocks": blocks}


def record_opt_out(session: Session, *, launch_ref: Any, user: str, now: datetime) -> Launch:
    from bot.core.errors import InvalidInput

    text = str(launch_ref or "").strip()
    launch_id = int(text) if text.isdigit() and 0 < int(text) < 2**63 else None
    launch = session.get(Launch, launch_id) if launch_id is not None else None
    if launch is None:
        raise InvalidInput("That reminder is no longer valid. Nothing was changed.")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AdoptionOptOut.__table__).values(launch_id=launch.id, user_id=user, opted_out_at=now)
                    .on_conflict_do_nothing(index_elements=["launch_id", "user_id"]))
    return launch


COMPOSERS["golive.adoption_report"] = compose_report
COMPOSERS["golive.adoption_nudges"] = compose_nudges
COMPOSERS["golive.adoption_nudge"] = compose_nudge
