"""Kinds of scheduled work: what runs for each, and how late it may still run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.models import PlannedWork


@dataclass(frozen=True)
class WorkContext:
    session: Session
    work: PlannedWork
    now: datetime
    late_by: timedelta
    admins: tuple[str, ...] = ()

    @property
    def is_late(self) -> bool:
        return self.late_by > LATE_NOTE_AFTER


@dataclass(frozen=True)
class WorkKind:
    name: str
    run: Callable[[WorkContext], str | None]  # returns a note to keep on the row, or None
    grace: timedelta  # past this the work is skipped (visibly), never silently dropped


class Skip(Exception):  # noqa: N818 - it is an outcome, not an error
    """Raised by a kind to mark its work skipped (visibly, with the message as the note)."""


# Work found this much after its time is "late" and says so.
LATE_NOTE_AFTER = timedelta(minutes=10)
KINDS: dict[str, WorkKind] = {}


@dataclass(frozen=True)
class Sweeper:
    """Work that lives on domain rows rather than plan rows (an issue's next escalation instant):
    `due(session, now)` lists ids, `run(session, id, now)` does one, guarded by its own conditional UPDATE."""

    name: str
    due: Callable[[Session, datetime], list[int]]
    run: Callable[[Session, int, datetime], bool]


SWEEPERS: dict[str, Sweeper] = {}


def register_sweeper(sweeper: Sweeper) -> Sweeper:
    SWEEPERS[sweeper.name] = sweeper
    return sweeper


def register(kind: WorkKind) -> WorkKind:
    KINDS[kind.name] = kind
    return kind
