"""Scheduled milestone work: checklist reminders before go-live, the 30-day goal review, and the
retrospective (prompt, reminder halfway, summary)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.features.milestones import service as milestones
from bot.features.retro import service as retro
from schedules.plan import PlannedItem, planner
from schedules.registry import WorkKind, register
from storage.models import Launch, LaunchStatus

READINESS_REMINDER = register(WorkKind("readiness_reminder", milestones.send_readiness_reminder,
                                       grace=timedelta(hours=12)))
GOAL_REVIEW = register(WorkKind("goal_review", milestones.send_goal_review, grace=timedelta(days=3)))
RETRO_PROMPT = register(WorkKind("retro_prompt", retro.post_prompt, grace=timedelta(days=2)))
RETRO_REMINDER = register(WorkKind("retro_reminder", retro.post_reminder, grace=timedelta(hours=12)))
# The summary must not be lost: done late rather than skipped.
RETRO_SUMMARY = register(WorkKind("retro_summary", retro.close, grace=timedelta(days=30)))


@planner
def plan_readiness_reminders(session: Session, launch: Launch) -> list[PlannedItem]:
    """Three business days and one business day before go-live, at 14:00 local, while not live."""
    if launch.status != LaunchStatus.PLANNED:
        return []
    return [PlannedItem(kind=READINESS_REMINDER.name, key=f"launch:{launch.id}:readiness:{before}:{day}",
                        due_at=milestones.reminder_instant(launch, day), payload={"days_before": before})
            for before, day in milestones.reminder_days(launch)]


@planner
def plan_goal_review(session: Session, launch: Launch) -> list[PlannedItem]:
    """Thirty days after going live (or after the go-live date while not declared), at the check-in time."""
    return [PlannedItem(kind=GOAL_REVIEW.name, key=f"launch:{launch.id}:goal_review",
                        due_at=milestones.goal_review_instant(launch))]


@planner
def plan_retro(session: Session, launch: Launch) -> list[PlannedItem]:
    plan = retro.retro_plan(launch)
    return [
        PlannedItem(kind=RETRO_PROMPT.name, key=f"launch:{launch.id}:retro_prompt", due_at=plan.prompt),
        PlannedItem(kind=RETRO_REMINDER.name, key=f"launch:{launch.id}:retro_reminder", due_at=plan.reminder),
        PlannedItem(kind=RETRO_SUMMARY.name, key=f"launch:{launch.id}:retro_summary", due_at=plan.summary),
    ]
