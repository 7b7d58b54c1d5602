"""Composers: outbox methods named `golive.*` are built into real Slack calls at send time, from the
current data. Each feature declares its composers as plain data; `bot.wiring` gathers them into one
`Composers` table that the sender is given."""

from __future__ import annotations

import http.client
import socket
import urllib.error
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from storage.db import Database
from storage.models import OutboxMessage

# A call that ended without a clear answer (timeout, dropped connection): Slack may or may not have acted.
CONNECTION_ERRORS = (
    urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException, OSError,
)


@dataclass
class ComposeContext:
    """What a composer sees: it builds the real Slack call at send time from the current data.

    No transaction is open while a composer runs: it reads in short sessions of its own (`read()`),
    calls Slack between them, and writes (`write()`) only after. The sender holds nothing meanwhile."""

    db: Database
    client: WebClient
    payload: dict[str, Any]
    row: OutboxMessage
    context: dict[str, Any]
    now: datetime

    def read(self) -> AbstractContextManager[Session]:
        return self.db.read()

    def write(self) -> AbstractContextManager[Session]:
        return self.db.session()

    def remember(self, **values: Any) -> None:
        """Keep what this attempt got this far (a reserved file, a note) on the row, so a retry after a lost
        answer or a crash resumes from it instead of doing it again."""
        with self.write() as s:
            row = s.get(OutboxMessage, self.row.id)
            if row is not None:
                row.payload = {**row.payload, **values}
                s.add(row)
        self.payload.update(values)


class ComposeLater(Exception):  # noqa: N818 - an outcome: try again later, no attempt spent
    """A composer cannot build its call yet (Slack could not say what it needs): the row waits and is tried
    again, without counting as a failed attempt."""


# name -> fn(ctx) -> (method, payload) or None (None: nothing to send any more, which counts as delivered).
Composer = Callable[[ComposeContext], tuple[str, dict[str, Any]] | None]


@dataclass(frozen=True)
class Compose:
    """One composer as a feature declares it."""

    method: str
    fn: Composer
    # The Slack method it always ends in, when it is one (`golive.pin` -> `pins.add`): the sender leaves such
    # rows unclaimed while that method's budget is spent, instead of composing them only to be refused.
    calls: str | None = None


@dataclass(frozen=True)
class Composers:
    table: Mapping[str, Composer] = field(default_factory=dict)
    calls: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, composers: tuple[Compose, ...]) -> Composers:
        methods = [c.method for c in composers]
        duplicates = sorted({m for m in methods if methods.count(m) > 1})
        if duplicates:
            raise ValueError(f"composers declared twice: {', '.join(duplicates)}")
        return cls(table={c.method: c.fn for c in composers},
                   calls={c.method: c.calls for c in composers if c.calls})

    def slack_method(self, method: str) -> str:
        """The Slack method a row of `method` ends in, as far as it is known before composing."""
        return self.calls.get(method, method)
