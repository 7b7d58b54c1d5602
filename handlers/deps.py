"""What every Slack surface shares: the dependencies a listener is given (`deps: Deps`, a Bolt
listener argument), who is acting, stored channel members for role checks, and the shape of a
`/golive` subcommand. Imports only the layers below handlers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.core import metrics
from bot.core.clock import utcnow
from bot.core.roles import Person, Roles
from bot.core.settings import Settings
from bot.slack.directory import Directory
from storage.db import Database
from storage.models import ProcessedEvent

log = logging.getLogger("golive.handlers")


@dataclass
class Deps:
    """What handlers need; Bolt passes it to every listener that names a `deps` argument."""

    settings: Settings
    db: Database
    client: WebClient
    roles: Roles
    directory: Directory
    clock: Callable[[], datetime] = utcnow
    extra: dict = field(default_factory=dict)


def person_from(body: dict) -> Person:
    """The acting person, with their team id, from any kind of Slack payload."""
    user = body.get("user")
    if isinstance(user, dict):
        return Person(str(user.get("id", "")), user.get("team_id") or body.get("user_team", {}).get("id"))
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    if event:
        return Person(str(event.get("user", "")), event.get("user_team") or event.get("team"))
    return Person(str(body.get("user_id", "")), body.get("team_id"))


def in_channel(deps: Deps, channel: str | None, user: str) -> bool:
    """Membership for the customer's doors: False only when golive knows the person is not in the channel
    (unknown lets them through: a customer is never turned away because Slack could not answer)."""
    return deps.directory.is_member(channel, user) is not False


def channel_members(deps: Deps) -> Callable[[str], set[str] | None]:
    """Stored channel members for role and membership checks (local data; a miss is filled in the
    background and this request decides on what is known)."""
    return deps.directory.lookup_members


def claim_event(session: Session, body: dict, now: datetime) -> bool:
    """Mark an Events API delivery processed in the caller's transaction, so the mark commits with the
    event's effect (or not at all). False: it was processed already (Slack retried it); do nothing."""
    event_id = body.get("event_id") if isinstance(body, dict) else None
    if not (isinstance(event_id, str) and event_id):
        return True
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = session.execute(insert(ProcessedEvent.__table__).values(event_id=event_id[:255], received_at=now)
                             .on_conflict_do_nothing(index_elements=["event_id"]))
    if result.rowcount == 0:
        metrics.EVENTS_DUPLICATE.inc()
        log.info("event %s already processed; retry ignored", event_id)
        return False
    return True


# A `/golive` subcommand: (deps, the command payload, the rest of the text) -> the ephemeral answer.
Subcommand = Callable[[Deps, dict, str], str]
