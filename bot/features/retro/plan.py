"""When the retrospective happens: the prompt, a reminder halfway, and the summary."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.features.retro.service import close, post_prompt, post_reminder, retro_plan
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

RETRO_PROMPT = WorkKind("retro_prompt", post_prompt, grace=timedelta(days=2))
RETRO_REMINDER = WorkKind("retro_reminder", post_reminder, grace=timedelta(hours=12))
# The summary must not be lost: done late rather than skipped.
RETRO_SUMMARY = WorkKind("retro_summary", close, grace=timedelta(days=30))


def plan_retro(session: Session, launch: Launch) -> list[PlannedItem]:
    plan = retro_plan(launch)
    return [
        PlannedItem(kind=RETRO_PROMPT.name, key=f"launch:{launch.id}:retro_prompt", due_at=plan.prompt),
        PlannedItem(kind=RETRO_REMINDER.name, key=f"launch:{launch.id}:retro_reminder", due_at=plan.reminder),
        PlannedItem(kind=RETRO_SUMMARY.name, key=f"launch:{launch.id}:retro_summary", due_at=plan.summary),
    ]


KINDS = (RETRO_PROMPT, RETRO_REMINDER, RETRO_SUMMARY)
PLANNERS = (plan_retro,)
