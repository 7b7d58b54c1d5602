"""What every Slack surface shares: the dependencies a listener is given (`deps: Deps`, a Bolt
listener argument), who is acting, stored channel members for role checks, and the shape of a
`/golive` subcommand. Imports only the layers below handlers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.core import metrics
from bot.core.clock import utcnow
from bot.core.errors import GoliveError
from bot.core.i18n import Translator, translator
from bot.core.roles import Person, Roles
from bot.core.settings import Settings
from bot.features.launches.service import launch_for_channel
from bot.slack.after_ack import AfterAck
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
    after_ack: AfterAck = field(default_factory=AfterAck)  # Slack calls made once the request is answered
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


def request_channel(body: dict) -> str | None:
    """The channel a Slack request came from: a command's, an action's, an event's, or the one a modal
    carries in its private metadata."""
    if not isinstance(body, dict):
        return None
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    if body.get("channel_id"):
        return str(body["channel_id"])
    container = body.get("container")
    if isinstance(container, dict) and container.get("channel_id"):
        return str(container["channel_id"])
    event = body.get("event")
    if isinstance(event, dict):
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        found = event.get("channel") or item.get("channel")
        if isinstance(found, str) and found:
            return found
    view = body.get("view")
    if isinstance(view, dict) and view.get("private_metadata"):
        try:
            meta = json.loads(view["private_metadata"])
        except ValueError:
            return None
        found = meta.get("channel") if isinstance(meta, dict) else None
        return str(found) if isinstance(found, str) and found else None
    return None


def translator_for_channel(deps: Deps, channel: str | None) -> Translator:
    """What people in `channel` read: its launch's language (one read of local data), else GOLIVE_LOCALE."""
    locale = None
    if channel:
        try:
            with deps.db.read() as s:
                launch = launch_for_channel(s, channel)
                locale = launch.locale if launch is not None else None
        except Exception:  # noqa: BLE001 - an answer in the default language beats none
            log.warning("could not read the launch of channel %s for its language", channel, exc_info=True)
    return translator(locale or deps.settings.locale)


def error_text(deps: Deps, body: dict, error: GoliveError) -> str:
    """A GoliveError as the person who caused it reads it: in the language of the channel they acted in."""
    if not error.msgid or not translator(deps.settings.locale).knows(error.msgid):
        return str(error)  # not a message of the catalogs: no need to look the channel up
    return error.text(translator_for_channel(deps, request_channel(body)))
