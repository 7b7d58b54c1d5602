"""Registers every kind of scheduled work and the planner that derives it from a launch."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import local_instant, parse_hhmm, parse_zone, previous_business_day
from bot.features.checkins import service as checkins
from bot.features.heads_up import service as heads_up
from bot.features.help_post import service as help_post
from bot.features.issues import service as issues
from schedules.plan import PlannedItem, planner
from schedules.registry import Sweeper, WorkKind, register, register_sweeper
from storage.models import Launch

HEADS_UP = register(WorkKind("heads_up", heads_up.send_heads_up, grace=timedelta(hours=12)))
# The check-in's own grace is per launch (checkin_grace_hours); the kind's is the outer bound.
CHECKIN = register(WorkKind("checkin", checkins.post_checkin, grace=timedelta(hours=24)))
HELP_POST = register(WorkKind("help_post", help_post.post_help, grace=timedelta(hours=24)))
ESCALATION = register_sweeper(Sweeper("issue_escalation", issues.due_escalations, issues.escalate_one))
UPDATE_REMINDER = register_sweeper(Sweeper("sev1_update_reminder", issues.due_update_reminders, issues.remind_one))
NUDGE = register(WorkKind("checkin_nudge", checkins.queue_nudge, grace=timedelta(hours=2)))


@planner
def plan_heads_up(session: Session, launch: Launch) -> list[PlannedItem]:
    """The business day before go-live, at the launch's check-in time."""
    day = previous_business_day(launch.go_live_date)
    due = local_instant(day, parse_hhmm(launch.checkin_time), parse_zone(launch.timezone))
    return [PlannedItem(kind=HEADS_UP.name, key=f"launch:{launch.id}:heads_up:{launch.go_live_date}", due_at=due)]


@planner
def plan_checkins(session: Session, launch: Launch) -> list[PlannedItem]:
    """One check-in per launch-week business day at the check-in time, and a nudge some hours later."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.checkin_time)
    items = []
    for number, day in enumerate(checkins.checkin_days(launch), start=1):
        due = local_instant(day, at, zone)
        payload = {"day": number, "date": day.isoformat()}
        items.append(PlannedItem(kind=CHECKIN.name, key=checkins.post_key(launch.id, number), due_at=due,
                                 payload=payload))
        if launch.nudges_enabled:
            items.append(PlannedItem(kind=NUDGE.name, key=f"launch:{launch.id}:nudge:{number}",
                                     due_at=due + timedelta(hours=launch.nudge_after_hours), payload=payload))
    return items


@planner
def plan_help_post(session: Session, launch: Launch) -> list[PlannedItem]:
    """Go-live day, a few minutes before the first check-in: how to get help (pinned)."""
    first = checkins.checkin_days(launch)[0]
    due = local_instant(first, parse_hhmm(launch.checkin_time), parse_zone(launch.timezone)) - timedelta(minutes=5)
    return [PlannedItem(kind=HELP_POST.name, key=f"launch:{launch.id}:help_post", due_at=due)]


import schedules.kinds.digest  # noqa: E402,F401
import schedules.kinds.milestones  # noqa: E402,F401
