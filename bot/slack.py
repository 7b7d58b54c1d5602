"""Slack Web API clients pointed at SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.settings import Settings

DEFAULT_TIMEOUT = 10


def make_client(settings: Settings, *, for_outbox: bool = False, timeout: float = DEFAULT_TIMEOUT) -> WebClient:
    """A WebClient for `settings`. The outbox's client retries nothing itself: the outbox owns
    retries durably. Direct calls (a modal to open, an ephemeral reply) retry a dropped connection once."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    handlers = [] if for_outbox else [ConnectionErrorRetryHandler(max_retry_count=1)]
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=max(1, int(timeout)),
                     retry_handlers=handlers)
