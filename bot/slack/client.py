"""Slack Web API clients pointed at SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.core.settings import Settings
from bot.slack.gateway import GatewayClient, RateBook

DEFAULT_TIMEOUT = 10


def make_client(settings: Settings, *, for_outbox: bool = False, timeout: float = DEFAULT_TIMEOUT,
                ratebook: RateBook | None = None) -> WebClient:
    """A client for `settings` that passes the gateway (`ratebook`: the process's shared per-method budgets
    and pauses). The outbox's client retries nothing itself and never waits in place: the outbox owns
    retries durably. Direct calls (a modal to open, an ephemeral reply) retry a dropped connection once."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    handlers = [] if for_outbox else [ConnectionErrorRetryHandler(max_retry_count=1)]
    return GatewayClient(token=token, base_url=settings.slack_api_url, timeout=max(1, int(timeout)),
                         retry_handlers=handlers, ratebook=ratebook, max_wait=0.0 if for_outbox else 1.0)


def channel_member_ids(client: WebClient, channel: str, *, limit: int | None = None) -> list[str]:
    """Every member id of a channel (conversations.members, page by page), at most `limit`."""
    members: list[str] = []
    cursor = None
    while limit is None or len(members) < limit:
        page = client.conversations_members(channel=channel, limit=200, cursor=cursor)
        members.extend(page.get("members", []))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return members if limit is None else members[:limit]


def channel_people(client: WebClient, channel: str, *, cache: dict[str, dict] | None = None,
                   limit: int = 2000) -> list[dict]:
    """Users in a channel (conversations.members + users.info), bots and deleted users left out."""
    cache = {} if cache is None else cache
    people: list[dict] = []
    for uid in channel_member_ids(client, channel, limit=limit):
        if uid not in cache:
            cache[uid] = client.users_info(user=uid).get("user") or {"id": uid}
        user = cache[uid]
        if not (user.get("is_bot") or user.get("deleted") or uid == "USLACKBOT"):
            people.append(user)
    return people
