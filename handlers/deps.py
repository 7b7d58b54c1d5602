"""What every Slack surface shares: the dependencies a listener is given (`deps: Deps`, a Bolt
listener argument), who is acting, a short-lived cache of channel members, and the shape of a
`/golive` subcommand. Imports only the layers below handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.clock import utcnow
from bot.core.roles import Person, Roles
from bot.core.settings import Settings
from bot.slack.client import channel_member_ids
from storage.db import Database

log = logging.getLogger("golive.handlers")
MEMBERS_TTL = 60.0


@dataclass
class Deps:
    """What handlers need; Bolt passes it to every listener that names a `deps` argument."""

    settings: Settings
    db: Database
    client: WebClient
    roles: Roles
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


def channel_members(deps: Deps) -> Any:
    """Cached conversations.members (a minute), for 'is this person on the support channel?'."""
    cache: dict[str, tuple[float, set[str]]] = deps.extra.setdefault("members_cache", {})

    def fetch(channel: str) -> set[str] | None:
        """The members, or None when Slack would not say (callers decide whether to fail open)."""
        hit = cache.get(channel)
        if hit and time.monotonic() - hit[0] < MEMBERS_TTL:
            return hit[1]
        try:
            members = set(channel_member_ids(deps.client, channel))
        except SlackApiError as err:
            log.info("cannot read members of %s: %s", channel, err.response.get("error"))
            return None
        cache[channel] = (time.monotonic(), members)
        return members

    return fetch



# A `/golive` subcommand: (deps, the command payload, the rest of the text) -> the ephemeral answer.
Subcommand = Callable[[Deps, dict, str], str]
