"""`golive export` section(s) of this feature: readiness items, goals and retrospective answers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import (
    Goal,
    ReadinessItem,
    RetroAnswer,
)


def export_readiness_items(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(ReadinessItem).order_by(ReadinessItem.launch_id, ReadinessItem.position, ReadinessItem.id)
    if launch_id is not None:
        query = query.where(ReadinessItem.launch_id == launch_id)
    return [{"launch_id": i.launch_id, "key": i.key, "text": i.text, "position": i.position, "owner": i.owner,
             "done": i.done, "changed_by": i.changed_by, "changed_at": i.changed_at} for i in session.exec(query)]


def export_goals(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(Goal).order_by(Goal.launch_id, Goal.position, Goal.id)
    if launch_id is not None:
        query = query.where(Goal.launch_id == launch_id)
    return [{"id": g.id, "launch_id": g.launch_id, "position": g.position, "text": g.text, "state": g.state,
             "reviewed_by": g.reviewed_by, "reviewed_at": g.reviewed_at} for g in session.exec(query)]


def export_retro_answers(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(RetroAnswer).order_by(RetroAnswer.launch_id, RetroAnswer.submitted_at, RetroAnswer.id)
    if launch_id is not None:
        query = query.where(RetroAnswer.launch_id == launch_id)
    return [{"launch_id": a.launch_id, "user": a.user_id, "user_team": a.user_team, "went_well": a.went_well,
             "improve": a.improve, "rating": a.rating, "submitted_at": a.submitted_at} for a in session.exec(query)]


SECTIONS = (("readiness_items", export_readiness_items), ("goals", export_goals),
            ("retro_answers", export_retro_answers))
