"""Composers: outbox methods named `golive.*` are built into real Slack calls at send time, from the
current data. Each feature declares its composers as plain data; `bot.wiring` gathers them into one
`Composers` table that the sender is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from storage.models import OutboxMessage


@dataclass
class ComposeContext:
    """What a composer sees: it builds the real Slack call at send time from the current data."""

    session: Any
    client: WebClient
    payload: dict[str, Any]
    row: OutboxMessage
    context: dict[str, Any]
    now: datetime


# name -> fn(ctx) -> (method, payload) or None (None: nothing to send any more, which counts as delivered).
Composer = Callable[[ComposeContext], tuple[str, dict[str, Any]] | None]


@dataclass(frozen=True)
class Compose:
    """One composer as a feature declares it. `read_only`: it only reads the database, so the sender
    gives it a read session (the others may write in the same transaction as the send is recorded)."""

    method: str
    fn: Composer
    read_only: bool = False


@dataclass(frozen=True)
class Composers:
    table: Mapping[str, Composer] = field(default_factory=dict)
    read_only: frozenset[str] = frozenset()

    @classmethod
    def of(cls, composers: tuple[Compose, ...]) -> Composers:
        methods = [c.method for c in composers]
        duplicates = sorted({m for m in methods if methods.count(m) > 1})
        if duplicates:
            raise ValueError(f"composers declared twice: {', '.join(duplicates)}")
        return cls(table={c.method: c.fn for c in composers},
                   read_only=frozenset(c.method for c in composers if c.read_only))
