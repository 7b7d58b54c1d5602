"""When milestone work happens: checklist reminders before go-live and the 30-day goal review."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.features.milestones.service import (
    goal_review_instant,
    queue_wrapup,
    reminder_days,
    reminder_instant,
    send_goal_review,
    send_readiness_reminder,
)
from bot.features.milestones.week import wrapup_instant
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch, LaunchStatus

READINESS_REMINDER = WorkKind("readiness_reminder", send_readiness_reminder, grace=timedelta(hours=12))
GOAL_REVIEW = WorkKind("goal_review", send_goal_review, grace=timedelta(days=3))
# The week's story is still worth telling a day late; after that it is old news (skipped, visibly).
LAUNCH_WRAPUP = WorkKind("launch_wrapup", queue_wrapup, grace=timedelta(days=1))


def plan_readiness_reminders(session: Session, launch: Launch) -> list[PlannedItem]:
    """Three business days and one business day before go-live, at 14:00 local, while not live."""
    if launch.status != LaunchStatus.PLANNED:
        return []
    return [PlannedItem(kind=READINESS_REMINDER.name, key=f"launch:{launch.id}:readiness:{before}:{day}",
                        due_at=reminder_instant(launch, day), payload={"days_before": before})
            for before, day in reminder_days(launch)]


def plan_goal_review(session: Session, launch: Launch) -> list[PlannedItem]:
    """Thirty days after going live (or after the go-live date while not declared), at the check-in time."""
    return [PlannedItem(kind=GOAL_REVIEW.name, key=f"launch:{launch.id}:goal_review",
                        due_at=goal_review_instant(launch))]


def plan_wrapup(session: Session, launch: Launch) -> list[PlannedItem]:
    """The launch-week wrap-up to leadership: the first business day after the last check-in day, at the
    launch's digest time."""
    return [PlannedItem(kind=LAUNCH_WRAPUP.name, key=f"launch:{launch.id}:wrapup", due_at=wrapup_instant(launch))]


KINDS = (READINESS_REMINDER, GOAL_REVIEW, LAUNCH_WRAPUP)
PLANNERS = (plan_readiness_reminders, plan_goal_review, plan_wrapup)
