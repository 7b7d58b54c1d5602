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
    locale: str = "en"  # GOLIVE_LOCALE: the language of posts to the vendor's own people

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


@dataclass(frozen=True)
class SweepChunk:
    """What one set-based chunk did: `last_id` is the highest id it looked at (None: nothing was due
    after the cursor, the sweep is over), `done` how many items it did."""

    last_id: int | None
    done: int


# A set-based runner: `chunk(session, now, after_id, limit)` does up to `limit` due items with ids above
# `after_id`, in the session's one transaction, each guarded by a conditional UPDATE (the claim).
ChunkRunner = Callable[[Session, datetime, int, int], SweepChunk]


@dataclass(frozen=True)
class Sweeper:
    """Work that lives on domain rows rather than plan rows (an issue's next escalation instant):
    `due(session, now)` lists ids, `run(session, id, now)` does one, guarded by its own conditional UPDATE.

    A sweeper may also run set-based (`chunk`): the engine then calls it chunk after chunk, each in its
    own transaction, until nothing is due (the per-item runner stays the fallback).

    `speaks`: what it posts is for the vendor's people; the engine then passes `locale=` (GOLIVE_LOCALE) to
    `run` and `chunk`."""

    name: str
    due: Callable[[Session, datetime], list[int]]
    run: Callable[..., bool]
    chunk: ChunkRunner | None = None
    speaks: bool = False


@dataclass(frozen=True)
class Schedule:
    """Every kind of scheduled work the engine may run, built once by `bot.wiring` from the features."""

    kinds: dict[str, WorkKind]
    sweepers: tuple[Sweeper, ...]

    @classmethod
    def of(cls, kinds: tuple[WorkKind, ...], sweepers: tuple[Sweeper, ...]) -> Schedule:
        names = [kind.name for kind in kinds] + [sweeper.name for sweeper in sweepers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"work kinds declared twice: {', '.join(duplicates)}")
        return cls(kinds={kind.name: kind for kind in kinds}, sweepers=sweepers)
