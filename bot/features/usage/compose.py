"""What usage posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from bot.features.usage.service import match_emails
from bot.outbox.compose import Compose, ComposeContext


def compose_matching(ctx: ComposeContext) -> None:
    """Match the launch's new emails within a small budget; what is left waits for the next report."""

    match_emails(ctx.write, ctx.client, int(ctx.payload["launch_id"]), now=ctx.now, max_seconds=10, max_lookups=500)
    return None


COMPOSERS = (
    Compose("golive.usage_match", compose_matching),
)
