"""A launch's plan spans features: every feature's planners, applied together whenever a launch is
created, changed or goes live."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.features.adoption import plan as adoption_plan
from bot.features.checkins import plan as checkins_plan
from bot.features.digest import plan as digest_plan
from bot.features.heads_up import plan as heads_up_plan
from bot.features.help_post import plan as help_post_plan
from bot.features.milestones import plan as milestones_plan
from bot.features.retro import plan as retro_plan
from schedules import plan as schedule_plan
from schedules.plan import PlannedItem, Planner
from storage.models import Launch

# The features whose work is planned per launch (plan rows); sweepers live on domain rows instead.
PLANNED_FEATURES = (heads_up_plan, checkins_plan, help_post_plan, digest_plan, adoption_plan, milestones_plan,
                    retro_plan)
PLANNERS: tuple[Planner, ...] = tuple(p for feature in PLANNED_FEATURES for p in feature.PLANNERS)


def derive_plan(session: Session, launch: Launch) -> list[PlannedItem]:
    return schedule_plan.derive_plan(session, launch, PLANNERS)


def replan(session: Session, launch: Launch, *, now: datetime) -> None:
    """Bring the stored plan in line with the launch (pending work moves; done work stays)."""
    schedule_plan.replan(session, launch, now=now, planners=PLANNERS)


def plan_new_launches(session: Session, launches: Sequence[Launch], *, now: datetime) -> None:
    """The first plans of just-created launches, written together (`golive launch import`)."""
    schedule_plan.plan_new(session, launches, now=now, planners=PLANNERS)
