"""What help_post posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from bot.outbox.compose import Compose, ComposeContext


def compose_pin(ctx: ComposeContext) -> tuple[str, dict] | None:
    return "pins.add", {"channel": ctx.payload["channel"], "timestamp": ctx.payload["ts"]}


COMPOSERS = (
    Compose("golive.pin", compose_pin, calls="pins.add"),
)
