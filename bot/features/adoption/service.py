"""Adoption after go-live: a weekly report to the CSMs for 30 days (active vs invited, never logged in, went
quiet, features, who is active in the launch channel and who has been silent since go-live, where people
get stuck, grouped by meaning) and optional friendly nudges to people who went quiet (never to people whose
Slack status says they are away; people who never logged in get a getting-started message instead)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.clock import local_instant, parse_zone
from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.people import Profile
from bot.features.adoption.model import AdoptionReport, ChannelSignals, Person, ProductState
from bot.features.launches import service as launches
from bot.features.themes.summary import launch_themes
from bot.outbox.queue import enqueue
from schedules.registry import Skip, WorkContext
from storage.models import (
    AdoptionOptOut,
    ChannelActivity,
    CheckInAnswer,
    Issue,
    Launch,
    MemberRole,
    UsageRecord,
)

REPORT_WEEKS = (1, 2, 3, 4)  # go-live + 7, 14, 21, 28 days: the first 30 days
MAX_NAMES = 25
MAX_THEMES = 5
STUCK_SOURCES = ("friction", "issue")  # friction and blocked notes, issue texts
# -- Slack-native signals: who takes part in the launch channel ---------------------------------------


def record_channel_activity(session: Session, *, launch_id: int, user: str, now: datetime) -> None:
    """Note that `user` did something in the launch's channel at `now` (an upsert that only moves
    last_active_at forward, so a retried event changes nothing). In the caller's transaction."""
    if not user or user == "USLACKBOT":
        return
    table = ChannelActivity.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(launch_id=launch_id, user_id=user, first_active_at=now, last_active_at=now)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["launch_id", "user_id"], set_={"last_active_at": stmt.excluded.last_active_at},
        where=table.c.last_active_at < stmt.excluded.last_active_at))


def record_activity_in_channel(session: Session, *, channel: str | None, user: str | None, now: datetime) -> None:
    """The same for an event that names only its channel: nothing when it is not a launch channel."""
    launch = launches.launch_for_channel(session, channel)
    if launch is not None and user:
        record_channel_activity(session, launch_id=launch.id, user=user, now=now)


def went_live_at(launch: Launch) -> datetime:
    """Where "since go-live" starts: the start of the go-live day in the launch's zone, or the moment it was
    declared live when that was earlier."""
    start = local_instant(launch.go_live_date, time(0, 0), parse_zone(launch.timezone))
    return min(start, launch.live_at) if launch.live_at is not None else start


def channel_last_active(session: Session, launch_id: int) -> dict[str, datetime]:
    """Each person's latest sign of life in the launch channel: messages, replies and reactions (stored
    by the event handlers), check-in answers and issues they reported."""
    last: dict[str, datetime] = {}
    queries = (
        select(ChannelActivity.user_id, ChannelActivity.last_active_at).where(ChannelActivity.launch_id == launch_id),
        select(CheckInAnswer.user_id, func.max(CheckInAnswer.recorded_at))
        .where(CheckInAnswer.launch_id == launch_id).group_by(CheckInAnswer.user_id),
        select(Issue.reporter, func.max(Issue.created_at)).where(Issue.launch_id == launch_id).group_by(Issue.reporter),
    )
    for query in queries:
        for user, at in session.exec(query).all():
            if user and at is not None and (user not in last or at > last[user]):
                last[user] = at
    return last


def channel_signals(session: Session, launch: Launch, members: list[str], product: dict[str, ProductState],
                    now: datetime) -> ChannelSignals:
    """The customer `members` of the channel split into active since go-live (latest first) and silent since
    go-live, each with what the usage data says of them."""
    since = went_live_at(launch)
    last = channel_last_active(session, launch.id)
    active, silent = [], []
    for uid in sorted(set(members)):
        state = product.get(uid, ProductState.NEVER)
        at = last.get(uid)
        if at is not None and since <= at <= now:
            active.append((uid, at, state))
        else:
            silent.append((uid, state))
    active.sort(key=lambda row: (-row[1].timestamp(), row[0]))
    return ChannelSignals(active=active, silent=silent)


# -- away: who is not nudged --------------------------------------------------------------------------

# Slack's own presets are ":palm_tree: Vacationing" and ":face_with_thermometer: Out sick"; the rest are the
# emoji and words people commonly use for time off, travel, illness or leave.
AWAY_EMOJI = frozenset({
    "palm_tree", "desert_island", "beach_with_umbrella", "airplane", "airplane_departure", "luggage",
    "face_with_thermometer", "thermometer", "mask", "sneezing_face", "nauseated_face", "face_with_head_bandage",
    "hospital", "baby", "baby_bottle",
})
AWAY_WORDS = re.compile(
    r"\b(?:vacation\w*|holidays?|on leave|\w+ leave|leave until|pto|ooo|o\.o\.o\.?|out of (?:the )?office|"
    r"out sick|off sick|sick|away until|away till|off until|parental|maternity|paternity|"
    r"urlaub|krank|abwesend|congés?|vacances|malade|vacaciones|de baja|férias|ausente)\b",
    re.IGNORECASE)


def away_status(profile: Profile | None, now: datetime) -> str | None:
    """The person's Slack status when it says they are away, else None. Away means an unexpired status
    (`status_expiration` 0 = never expires, else a Unix time after `now`) whose emoji is one of AWAY_EMOJI
    or whose text says vacation / holiday / OOO / out of office / sick / on leave / away until (and the
    German, French, Spanish and Portuguese words for them). "In a meeting" or "Commuting" is not away."""
    if profile is None:
        return None
    if profile.status_expiration and profile.status_expiration <= now.timestamp():
        return None
    emoji = (profile.status_emoji or "").strip().strip(":").lower()
    text = (profile.status_text or "").strip()
    if emoji in AWAY_EMOJI or (text and AWAY_WORDS.search(text)):
        return " ".join(part for part in (f":{emoji}:" if emoji else "", text) if part)
    return None


# -- the report -------------------------------------------------------------------------------------


def build_report(session: Session, launch: Launch, now: datetime, members: list[str] | None, *,
                 week: int, since: datetime | None = None, away: list[tuple[str, str]] | None = None
                 ) -> AdoptionReport:
    """Invited = the customer's people in the launch channel plus everyone seen in the usage data. `since`
    is where this report's period starts (the previous report; go-live when None), for new-this-week themes;
    `away` lists the people (id, status) whose status says they are away."""
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
    # Where people get stuck so far, by meaning, each theme new since the previous report or ongoing.
    stuck = launch_themes(session, launch.id, start=since or went_live_at(launch), end=now, limit=MAX_THEMES,
                          sources=STUCK_SOURCES, cumulative=True)
    product = {p.user_id: (ProductState.NEVER if p.last_active is None else
                           ProductState.ACTIVE if p.last_active >= cutoff else ProductState.QUIET)
               for p in people.values() if p.user_id}
    channel = channel_signals(session, launch, members, product, now) if members is not None else None
    unmatched = sorted({p.email for p in people.values() if not p.user_id and p.email})
    if not launch.adoption_nudges:
        nudges = "Adoption nudges are off for this launch (`adoption_nudges: true` turns them on)."
    elif not launch.training_link:
        nudges = "Adoption nudges are on, but the launch has no `training_link`, so none were sent."
    else:
        nudges = (f"People quiet for {launch.quiet_days}+ days get a friendly DM with the training link (people "
                  "who never logged in, a getting-started one), at most once a week, unless they opted out or "
                  "their Slack status says they are away.")
    return AdoptionReport(customer=launch.customer, week=week, quiet_days=launch.quiet_days, invited=len(people),
                          active=active, never=never, quiet=quiet,
                          features=sorted(features.items(), key=lambda kv: (-kv[1], kv[0])),
                          themes=stuck.themes, unmatched=unmatched, members_known=members is not None,
                          nudges=nudges, stuck_texts=stuck.texts, channel=channel,
                          away=list(away or []) if launch.adoption_nudges and launch.training_link else [])


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


def has_used_product(session: Session, launch_id: int, user: str) -> bool:
    """Whether the usage data has this Slack user at all (matched by email)."""
    return session.exec(select(UsageRecord.id).where(UsageRecord.launch_id == launch_id,
                                                     UsageRecord.slack_user_id == user).limit(1)).first() is not None


def record_opt_out(session: Session, *, launch_ref: Any, user: str, now: datetime) -> Launch:

    text = str(launch_ref or "").strip()
    launch_id = int(text) if text.isdigit() and 0 < int(text) < 2**63 else None
    launch = session.get(Launch, launch_id) if launch_id is not None else None
    if launch is None:
        raise InvalidInput(N_("That reminder is no longer valid. Nothing was changed."))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AdoptionOptOut.__table__).values(launch_id=launch.id, user_id=user, opted_out_at=now)
                    .on_conflict_do_nothing(index_elements=["launch_id", "user_id"]))
    return launch


