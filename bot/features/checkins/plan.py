"""When check-ins and their nudges happen: each launch-week business day at the check-in time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import local_instant, parse_hhmm, parse_zone
from bot.features.checkins.service import checkin_days, post_checkin, post_key, queue_nudge
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

# The check-in's own grace is per launch (checkin_grace_hours); the kind's is the outer bound.
CHECKIN = WorkKind("checkin", post_checkin, grace=timedelta(hours=24))
NUDGE = WorkKind("checkin_nudge", queue_nudge, grace=timedelta(hours=2))


def plan_checkins(session: Session, launch: Launch) -> list[PlannedItem]:
    """One check-in per launch-week business day at the check-in time, and a nudge some hours later."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.checkin_time)
    items = []
    for number, day in enumerate(checkin_days(launch), start=1):
        due = local_instant(day, at, zone)
        payload = {"day": number, "date": day.isoformat()}
        items.append(PlannedItem(kind=CHECKIN.name, key=post_key(launch.id, number), due_at=due, payload=payload))
        if launch.nudges_enabled:
            items.append(PlannedItem(kind=NUDGE.name, key=f"launch:{launch.id}:nudge:{number}",
                                     due_at=due + timedelta(hours=launch.nudge_after_hours), payload=payload))
    return items


KINDS = (CHECKIN, NUDGE)
PLANNERS = (plan_checkins,)
