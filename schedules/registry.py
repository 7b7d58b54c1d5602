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

    A sweeper may also run set-based (`chunk`, or a runner declared for `run` with `set_based`): the
    engine then calls it chunk after chunk, each in its own transaction, until nothing is due."""

    name: str
    due: Callable[[Session, datetime], list[int]]
    run: Callable[[Session, int, datetime], bool]
    chunk: ChunkRunner | None = None

    @property
    def chunked(self) -> ChunkRunner | None:
        return self.chunk or SET_BASED.get(self.run)


SWEEPERS: dict[str, Sweeper] = {}
# Per-item runner -> its set-based form, declared next to the domain code (see `set_based`).
SET_BASED: dict[Callable, ChunkRunner] = {}


def set_based(chunk: ChunkRunner) -> Callable[[Callable], Callable]:
    """Decorate a per-item sweeper runner to declare `chunk` its set-based form: every Sweeper built on
    that runner is then swept in chunks (the per-item runner stays the fallback)."""

    def declare(run: Callable) -> Callable:
        SET_BASED[run] = chunk
        return run

    return declare


def register_sweeper(sweeper: Sweeper) -> Sweeper:
    SWEEPERS[sweeper.name] = sweeper
    return sweeper


def register(kind: WorkKind) -> WorkKind:
    KINDS[kind.name] = kind
    return kind
