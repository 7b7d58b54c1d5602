"""When the heads-up goes out: the business day before go-live, at the launch's check-in time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import local_instant, parse_hhmm, parse_zone, previous_business_day
from bot.features.heads_up.service import send_heads_up
from bot.features.launches.service import holidays_of
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

HEADS_UP = WorkKind("heads_up", send_heads_up, grace=timedelta(hours=12))


def plan_heads_up(session: Session, launch: Launch) -> list[PlannedItem]:
    """The business day before go-live, at the launch's check-in time."""
    day = previous_business_day(launch.go_live_date, holidays_of(launch))
    due = local_instant(day, parse_hhmm(launch.checkin_time), parse_zone(launch.timezone))
    return [PlannedItem(kind=HEADS_UP.name, key=f"launch:{launch.id}:heads_up:{launch.go_live_date}", due_at=due)]


KINDS = (HEADS_UP,)
PLANNERS = (plan_heads_up,)
