"""A launch's plan: every piece of scheduled work, derived from the launch and stored as rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from storage.models import Launch, PlannedWork, WorkStatus


@dataclass(frozen=True)
class PlannedItem:
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


# Each feature contributes planners: launch (+ session for its related rows) -> items.
Planner = Callable[[Session, Launch], list[PlannedItem]]


def derive_plan(session: Session, launch: Launch, planners: Sequence[Planner]) -> list[PlannedItem]:
    items: list[PlannedItem] = []
    for make in planners:
        items.extend(make(session, launch))
    return sorted(items, key=lambda item: (item.due_at, item.key))


def replan(session: Session, launch: Launch, *, now: datetime, planners: Sequence[Planner]) -> None:
    """Bring the stored plan in line with the launch. Work already done (or skipped, or failed)
    is left alone; pending work moves, disappears or appears. New work whose time has already
    passed when it is first planned is not created: it was never due for this launch."""
    desired = {item.key: item for item in derive_plan(session, launch, planners)}
    existing = {row.key: row for row in session.exec(select(PlannedWork).where(PlannedWork.launch_id == launch.id))}
    for key, row in existing.items():
        if row.status != WorkStatus.PENDING:
            continue
        item = desired.get(key)
        if item is None:
            session.delete(row)
        elif row.due_at != item.due_at or row.payload != item.payload or row.kind != item.kind:
            row.due_at, row.payload, row.kind = item.due_at, item.payload, item.kind
            session.add(row)
    # New rows in one Core executemany (no ORM object per row: a launch plans a few dozen), bound through the
    # column types like ORM writes; the session's pending changes go first, so a moved row never collides.
    rows = [_row(launch.id, item) for key, item in desired.items() if key not in existing and item.due_at >= now]
    session.flush()
    if rows:
        session.execute(insert(PlannedWork.__table__), rows)


def plan_new(session: Session, launches: Sequence[Launch], *, now: datetime, planners: Sequence[Planner]) -> None:
    """The first plans of launches that have none (just created): what `replan` writes for each, in one
    executemany for them all."""
    rows = [_row(launch.id, item) for launch in launches
            for item in {item.key: item for item in derive_plan(session, launch, planners)}.values()
            if item.due_at >= now]
    session.flush()
    if rows:
        session.execute(insert(PlannedWork.__table__), rows)


def _row(launch_id: int | None, item: PlannedItem) -> dict[str, Any]:
    return {"launch_id": launch_id, "kind": item.kind, "key": item.key, "due_at": item.due_at,
            "payload": item.payload, "status": WorkStatus.PENDING, "attempts": 0, "claimed_by": None,
            "claimed_at": None, "finished_at": None, "note": None}


def stored_plan(session: Session, launch_id: int) -> list[PlannedWork]:
    return list(session.exec(
        select(PlannedWork).where(PlannedWork.launch_id == launch_id).order_by(PlannedWork.due_at, PlannedWork.key)
    ).all())
