"""Adoption after go-live: a weekly report to the CSMs for 30 days (active vs invited, never logged in, went
quiet, features, where people get stuck) and optional friendly nudges to people who went quiet."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.errors import InvalidInput
from bot.features.adoption.model import AdoptionReport, Person
from bot.features.launches import service as launches
from bot.outbox.compose import ComposeContext
from bot.outbox.queue import enqueue
from bot.slack.directory import channel_customers
from schedules.registry import Skip, WorkContext
from storage.models import AdoptionOptOut, CheckInAnswer, Issue, Launch, MemberRole, UsageRecord

REPORT_WEEKS = (1, 2, 3, 4)  # go-live + 7, 14, 21, 28 days: the first 30 days
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


def channel_customer_ids(ctx: ComposeContext, channel: str) -> list[str] | None:
    customers = channel_customers(ctx, channel)
    return None if customers is None else [p.user_id for p in customers]


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


def record_opt_out(session: Session, *, launch_ref: Any, user: str, now: datetime) -> Launch:

    text = str(launch_ref or "").strip()
    launch_id = int(text) if text.isdigit() and 0 < int(text) < 2**63 else None
    launch = session.get(Launch, launch_id) if launch_id is not None else None
    if launch is None:
        raise InvalidInput("That reminder is no longer valid. Nothing was changed.")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AdoptionOptOut.__table__).values(launch_id=launch.id, user_id=user, opted_out_at=now)
                    .on_conflict_do_nothing(index_elements=["launch_id", "user_id"]))
    return launch


