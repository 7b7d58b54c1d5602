"""Going live spans features: the launch changes stage, the announcements are queued, and the plan is
derived again. `golive launch live` and `/golive live` both go through `declare_live`.

What going live does to the plan, early, on time or late: launch week — the heads-up, the daily check-ins and
nudges, the CSM digests, the weekly adoption reports — stays on the days planned from the go-live date (people
were told those days, check-ins already posted are never posted again, and day numbers stay meaningful); the
retrospective and the 30-day goal review count from the day the launch actually went live when that is
later (they are about time spent live), and from the planned go-live day when it went live early (neither
may come before launch week has run: milestones.live_base_date); readiness reminders, which only make sense
before going live, are dropped. `live_plan` states this for one launch (`golive launch show` prints it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session

from bot.core.clock import is_business_day
from bot.core.i18n import translator
from bot.core.text import clip, escape, mention, user_text
from bot.features.checkins.service import checkin_days
from bot.features.launches import service as launches
from bot.features.milestones.model import MAX_REASON
from bot.features.milestones.service import (
    CriteriaOpen,
    LiveResult,
    goal_review_instant,
    live_announcement,
    open_items,
    queue_leadership_post,
)
from bot.features.milestones.views import customer_live_blocks, customer_live_fallback
from bot.features.retro.service import retro_plan
from bot.flows.planning import replan
from bot.outbox.queue import post_message
from storage.models import (
    Launch,
    LaunchStatus,
    MemberRole,
)


def declare_live(session: Session, *, launch: Launch, actor: str, now: datetime, force_reason: str | None = None,
                 how_to_force: str = "go live anyway with a reason", locale: str | None = None) -> LiveResult:
    """planned → live, once (a conditional UPDATE), with the announcement and the customer post queued in
    the same transaction. Refused while criteria are open unless a reason is given."""
    if launch.status != LaunchStatus.PLANNED:
        return LiveResult(launch, declared=False, forced=False, leadership_waiting=False)
    still_open = open_items(session, launch.id)
    reason = (force_reason or "").strip()
    if still_open and not reason:
        raise CriteriaOpen(launch, still_open, how_to_force)
    forced = bool(still_open)
    claimed = session.execute(
        update(Launch).where(Launch.id == launch.id, Launch.status == LaunchStatus.PLANNED)
        .values(status=LaunchStatus.LIVE, live_at=now, live_by=actor, updated_at=now,
                live_forced_reason=reason[:MAX_REASON] if forced else None)
        .execution_options(synchronize_session=False))
    session.refresh(launch)
    if claimed.rowcount != 1:
        return LiveResult(launch, declared=False, forced=False, leadership_waiting=False)
    text, blocks = live_announcement(session, launch, now)
    # `locale`: GOLIVE_LOCALE, what the CSMs read when the announcement waits for a leadership channel
    waiting = queue_leadership_post(session, launch, what="announcement", text=text, blocks=blocks, now=now,
                                    **({"locale": locale} if locale else {}))
    post_message(session, key=f"launch:{launch.id}:live:customer", channel=launch.channel, now=now,
                 launch_id=launch.id, blocks=customer_live_blocks(launch, translator(launch.locale)),
                 text=customer_live_fallback(launch, translator(launch.locale)))
    if forced:
        note = (f":warning: {mention(actor) if actor.startswith(('U', 'W')) else actor} declared "
                f"*{escape(launch.customer)}* live with {len(still_open)} open criteri"
                f"{'on' if len(still_open) == 1 else 'a'}:\n"
                + "\n".join(f"• {user_text(i.text, 200)}" for i in still_open[:20])
                + f"\nReason given:\n>{user_text(reason, 2000)}\n_Only the launch's CSMs see this; the customer "
                  "does not._")
        recipients = launches.members(session, launch.id, MemberRole.CSM)
        if actor.startswith(("U", "W")) and actor not in recipients:
            recipients.append(actor)
        for user in recipients:
            post_message(session, key=f"launch:{launch.id}:live:forced:{user}", channel=user, now=now,
                         launch_id=launch.id, text=clip(note, 3900))
    replan(session, launch, now=now)  # the goal review and retrospective count from the day it went live
    return LiveResult(launch, declared=True, forced=forced, leadership_waiting=waiting)


@dataclass(frozen=True)
class LivePlan:
    """Where a launch's plan stands against its go-live: launch week on the planned days; the retrospective
    and the 30-day review from the day it went live (or will)."""

    planned_day: date
    live_day: date | None  # None while not live
    business_days_off: int  # > 0 late, < 0 early, 0 on the day (or not live)
    week_first: date
    week_last: date
    retro_at: datetime
    review_at: datetime


def live_plan(launch: Launch) -> LivePlan:
    days = checkin_days(launch)
    live_day = launch.live_at.astimezone(ZoneInfo(launch.timezone)).date() if launch.live_at is not None else None
    return LivePlan(planned_day=launch.go_live_date, live_day=live_day,
                    business_days_off=_business_days_between(launch, launch.go_live_date, live_day),
                    week_first=days[0], week_last=days[-1], retro_at=retro_plan(launch).prompt,
                    review_at=goal_review_instant(launch))


def _business_days_between(launch: Launch, planned: date, actual: date | None) -> int:
    if actual is None or actual == planned:
        return 0
    holidays = launches.holidays_of(launch)
    low, high = sorted((planned, actual))
    count = 0
    day = low
    while day < high:
        day = date.fromordinal(day.toordinal() + 1)
        count += is_business_day(day, holidays)
    count = max(count, 1)  # a weekend go-live for a Monday plan is still early
    return count if actual > planned else -count
