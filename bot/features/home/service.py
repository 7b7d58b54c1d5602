"""App Home: the launches a person may see, with their state, refreshed for recent visitors after changes.

Who sees what: admins see every launch that is not done; a CSM sees their own launches; anyone else (vendor
staff or a customer) sees the launches whose channel they are a member of, by the stored directory (the
worker reads what it lacks from Slack before rendering, at most MAX_CHANNEL_CHECKS launch channels)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.errors import NotAllowed, NotFound
from bot.core.i18n import DEFAULT_LOCALE, person_locale, translator
from bot.core.roles import Person, Roles
from bot.features.checkins.service import checkin_days, current_tally
from bot.features.home.model import MAX_CHANNEL_CHECKS, HomeCard, NextStep, Stage
from bot.features.home.views import home_view, readiness_view
from bot.features.issues.model import SEVERITIES
from bot.features.status.service import next_step
from bot.outbox.queue import enqueue, enqueue_many, outbox_row
from schedules.registry import SweepChunk
from storage.models import (
    CheckIn,
    CheckInAnswer,
    HomeVisit,
    Issue,
    IssueEvent,
    IssueStatus,
    Launch,
    LaunchStatus,
    PlannedWork,
    ReadinessItem,
)

RECENT = timedelta(hours=24)  # visitors within this window get refreshed after changes
BUCKET_SECONDS = 30  # at most one refresh per visitor per bucket


# -- who sees which launches ------------------------------------------------------------------------


# A channel's stored members (the directory), or None when golive does not know them yet.
Members = Callable[[str], set[str] | None]


def visible_launches(session: Session, roles: Roles, user: str, team: str | None, members: Members
                     ) -> tuple[list[Launch], str]:
    """(launches, why): see the module docstring; `why` is "admin", "csm" or "member" (home.views.WHY says it
    in words). A person whose team is unknown is treated as a guest."""
    person = Person(user, team)
    staff = team is not None and roles.is_vendor(person)
    open_launches = list(session.exec(select(Launch).where(Launch.status != LaunchStatus.DONE)
                                      .order_by(Launch.go_live_date, Launch.id)).all())
    if staff and roles.is_admin(person):
        return open_launches, "admin"
    if staff:
        mine = set(roles.csm_launch_ids(session, person))
        if mine:
            return [launch for launch in open_launches if launch.id in mine], "csm"
    seen = []
    for launch in open_launches[:MAX_CHANNEL_CHECKS]:
        if user in (members(launch.channel) or ()):
            seen.append(launch)
    return seen, "member"


def home_locale(launches: list[Launch], staff: bool, own_locale: str | None, vendor_locale: str) -> str:
    """The language of a person's Home. The vendor's staff: their own Slack locale when golive speaks it, else
    GOLIVE_LOCALE (as their DMs). Anyone else (a customer): the locale of the first launch their Home shows
    (the open launch with the soonest go-live date, its top card), so several launches in different locales
    give one language, the one of the launch they read first; with no launch, GOLIVE_LOCALE."""
    if staff:
        return person_locale(own_locale, vendor_locale)
    return launches[0].locale if launches else vendor_locale


# -- one launch's card ------------------------------------------------------------------------------


def channel_url(channel: str, team: str | None) -> str:
    url = f"https://slack.com/app_redirect?channel={channel}"
    return url + (f"&team={team}" if team else "")


def stage_of(launch: Launch, today: date) -> Stage:
    live = launch.status == LaunchStatus.LIVE
    if launch.status in (LaunchStatus.RETRO, LaunchStatus.DONE):
        return Stage(str(launch.status))
    days = checkin_days(launch)
    if today < days[0]:
        return Stage("countdown", (days[0] - today).days, len(days), live=live)
    done = [d for d in days if d <= today]
    if len(done) == len(days) and today > days[-1]:
        return Stage("over", len(days), len(days), live=live)
    return Stage("week", len(done), len(days), live=live)


def home_card(session: Session, launch: Launch, now: datetime, team: str | None) -> HomeCard:
    today = now.astimezone(ZoneInfo(launch.timezone)).date()
    checkin = session.exec(select(CheckIn).where(CheckIn.launch_id == launch.id, CheckIn.local_date == today)).first()
    tally = current_tally(session, checkin, False) if checkin else None
    counts = dict(session.exec(select(Issue.severity, func.count(Issue.id)).where(
        Issue.launch_id == launch.id, Issue.status != IssueStatus.RESOLVED).group_by(Issue.severity)).all())
    upcoming = next_step(session, launch)
    step = NextStep(upcoming.kind, int(upcoming.payload.get("day") or 0) or None, upcoming.due_at, launch.timezone) \
        if upcoming else None
    items = session.exec(select(ReadinessItem.done).where(ReadinessItem.launch_id == launch.id)).all()
    return HomeCard(launch.id, launch.customer, launch.channel, stage_of(launch, today), launch.go_live_date,
                    str(launch.status), tally,
                    {s: int(counts.get(s, 0)) for s in SEVERITIES}, step, channel_url(launch.channel, team),
                    sum(1 for d in items if d), len(items))


def render_home(session_factory: Callable[[], Any], roles: Roles, user: str, team: str | None,
                now: datetime, members: Members, *, own_locale: str | None = None,
                vendor_locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The Home of `user`, in the language `home_locale` picks (`own_locale`: their Slack locale, if known)."""
    with session_factory() as s:
        launches, why = visible_launches(s, roles, user, team, members)
        cards = [home_card(s, launch, now, roles.vendor_team_id) for launch in launches]
    staff = team is not None and roles.is_vendor(Person(user, team))
    t = translator(home_locale(launches, staff, own_locale, vendor_locale))
    return home_view(cards, why, now, t)


def record_visit(session: Session, *, user: str, team: str | None, now: datetime) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(HomeVisit.__table__).values(user_id=user, team_id=team, opened_at=now)
                    .on_conflict_do_update(index_elements=["user_id"], set_={"team_id": team, "opened_at": now}))


# -- refresh after changes (a sweeper queues, a composer renders at send time) ----------------------


def latest_change(session: Session) -> datetime | None:
    """The newest instant anything shown on a Home changed."""
    candidates = [
        session.exec(select(func.max(CheckInAnswer.recorded_at))).one(),
        session.exec(select(func.max(Issue.created_at))).one(),
        session.exec(select(func.max(IssueEvent.at))).one(),
        session.exec(select(func.max(ReadinessItem.changed_at))).one(),
        session.exec(select(func.max(Launch.updated_at))).one(),
        session.exec(select(func.max(PlannedWork.finished_at))).one(),
    ]
    found = [c for c in candidates if c is not None]
    return max(found) if found else None


def due_refreshes(session: Session, now: datetime) -> list[str]:
    """Recent visitors who opened their Home before the latest change."""
    if not session.exec(select(HomeVisit.user_id).where(HomeVisit.opened_at >= now - RECENT).limit(1)).first():
        return []
    changed = latest_change(session)
    if changed is None:
        return []
    return list(session.exec(select(HomeVisit.user_id).where(HomeVisit.opened_at >= now - RECENT,
                                                             HomeVisit.opened_at < changed)).all())


def queue_refreshes(session: Session, now: datetime, after: int, limit: int) -> SweepChunk:
    """The Home refresh sweep, set-based: `queue_refresh` for up to `limit` due visitors (in user-id order,
    from position `after`: user ids are not numbers, so the cursor is a position), the latest change read
    once and their outbox rows written with one bulk INSERT (same keys: a repeat queues nothing)."""
    changed = latest_change(session)
    if changed is None:
        return SweepChunk(last_id=None, done=0)
    users = list(session.exec(select(HomeVisit.user_id).where(HomeVisit.opened_at >= now - RECENT,
                                                              HomeVisit.opened_at < changed)
                              .order_by(HomeVisit.user_id).offset(after).limit(limit)).all())
    if not users:
        return SweepChunk(last_id=None, done=0)
    key, send_at = _refresh_slot(changed, now)
    enqueue_many(session, [outbox_row(key=f"home:{user}:{key}", method="golive.home", now=now, not_before=send_at,
                                      payload={"channel": "", "user": user}) for user in users])
    return SweepChunk(last_id=after + len(users), done=len(users))


def _refresh_slot(changed: datetime, now: datetime) -> tuple[int, datetime]:
    """(bucket, its end): one refresh per visitor per bucket of the latest change, sent at the bucket's end."""
    bucket = int(changed.timestamp()) // BUCKET_SECONDS
    return bucket, datetime.fromtimestamp((bucket + 1) * BUCKET_SECONDS, tz=now.tzinfo)


def queue_publish(session: Session, user: str, now: datetime) -> bool:
    """The person opened their Home: publish it as soon as the sender can (one per person per few seconds)."""
    return enqueue(session, key=f"home:{user}:opened:{int(now.timestamp()) // 5}", method="golive.home", now=now,
                   payload={"channel": "", "user": user})


def queue_refresh(session: Session, user: str, now: datetime) -> bool:
    """One refresh per visitor per time bucket of the latest change, sent at the bucket's end so it shows
    every change in the bucket."""
    bucket, send_at = _refresh_slot(latest_change(session) or now, now)
    return enqueue(session, key=f"home:{user}:{bucket}", method="golive.home", now=now, not_before=send_at,
                   payload={"channel": "", "user": user})


# -- the readiness checklist (read-only) ----------------------------------------------------------


def as_id(value: Any) -> int | None:
    """A database id from a button value, or None (garbage, or too large for a 64-bit column)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


def readiness_for(session: Session, roles: Roles, *, launch_ref: Any, user: str, team: str | None,
                  members: Members, own_locale: str | None = None, vendor_locale: str = DEFAULT_LOCALE
                  ) -> dict[str, Any]:
    """The checklist modal for a person who may see the launch (admin, its CSM, or in its channel): for the
    vendor's staff in their Home's language, for anyone else in the launch's."""
    launch_id = as_id(launch_ref)
    launch = session.get(Launch, launch_id) if launch_id is not None else None
    if launch is None:
        raise NotFound("That launch does not exist (any more).")
    person = Person(user, team)
    staff = team is not None and roles.is_vendor(person)
    allowed = staff and roles.may_manage(session, launch, person)
    if not allowed:
        allowed = user in (members(launch.channel) or ())
    if not allowed:
        raise NotAllowed("Only the launch's CSMs, admins and people in its channel can see its checklist.")
    items = list(session.exec(select(ReadinessItem).where(ReadinessItem.launch_id == launch.id)
                              .order_by(ReadinessItem.position, ReadinessItem.id)).all())
    return readiness_view(launch, items, translator(home_locale([launch], staff, own_locale, vendor_locale)))


