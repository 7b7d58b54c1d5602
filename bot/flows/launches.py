"""Saving a launch spans features: the launch row and its people (launches), its go-live checklist and
waiting leadership posts (milestones), and its plan (every feature's planners)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.features.launches.service import LaunchInput, store_launch
from bot.features.milestones.service import on_launch_saved
from bot.flows.planning import replan
from storage.models import Launch


def save_launch(session: Session, spec: LaunchInput, *, now: datetime,
                refuse_past: bool = False) -> tuple[Launch, bool]:
    """Create the launch for `spec.channel`, or update it, in the caller's transaction; then its checklist
    and its plan follow. Returns (launch, created)."""
    launch, created = store_launch(session, spec, now=now, refuse_past=refuse_past)
    on_launch_saved(session, launch, spec.given, spec.criterion, created=created, now=now)
    replan(session, launch, now=now)
    return launch, created
