"""When the pinned help message goes out: go-live day, a few minutes before the first check-in."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import local_instant, parse_hhmm, parse_zone
from bot.features.checkins.service import checkin_days
from bot.features.help_post.service import post_help
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

HELP_POST = WorkKind("help_post", post_help, grace=timedelta(hours=24))


def plan_help_post(session: Session, launch: Launch) -> list[PlannedItem]:
    """Go-live day, a few minutes before the first check-in: how to get help (pinned)."""
    first = checkin_days(launch)[0]
    due = local_instant(first, parse_hhmm(launch.checkin_time), parse_zone(launch.timezone)) - timedelta(minutes=5)
    return [PlannedItem(kind=HELP_POST.name, key=f"launch:{launch.id}:help_post", due_at=due)]


KINDS = (HELP_POST,)
PLANNERS = (plan_help_post,)
