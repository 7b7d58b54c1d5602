"""What issues posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from bot.features.issues.service import summary_text
from bot.features.issues.views import card_blocks
from bot.outbox.compose import Compose, ComposeContext
from storage.models import Issue, Launch


def compose_card(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the support card as the issue is now (first a post, then updates in place)."""
    issue = ctx.session.get(Issue, ctx.payload["issue_id"])
    if issue is None:
        return None
    launch = ctx.session.get(Launch, issue.launch_id)
    permalink = None
    if issue.source_channel and issue.source_ts:
        try:
            permalink = ctx.client.chat_getPermalink(channel=issue.source_channel,
                                                     message_ts=issue.source_ts).get("permalink")
        except Exception:  # noqa: BLE001 - a card without a link beats no card
            permalink = None
    payload = {"channel": ctx.payload["channel"], "blocks": card_blocks(launch, issue, permalink),
               "text": summary_text(launch, issue)}
    if "ts" in ctx.payload:
        payload["ts"] = ctx.payload["ts"]
        return "chat.update", payload
    return "chat.postMessage", payload


COMPOSERS = (
    Compose("golive.issue_card", compose_card, read_only=True),
)
