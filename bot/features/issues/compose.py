"""What issues posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.features.issues.service import FLAGGED_METHOD, UNREADABLE, open_issue, summary_text
from bot.features.issues.views import card_blocks
from bot.features.launches.service import launch_for_channel
from bot.outbox.compose import Compose, ComposeContext
from storage.models import Issue, Launch


def compose_card(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the support card as the issue is now (first a post, then updates in place)."""
    with ctx.read() as s:
        issue = s.get(Issue, ctx.payload["issue_id"])
        if issue is None:
            return None
        launch = s.get(Launch, issue.launch_id)
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


# After this many unanswered reads the issue is filed with a note instead of the message's text.
FLAGGED_READ_ATTEMPTS = 4
PERMANENT_READ_ERRORS = frozenset({"channel_not_found", "not_in_channel", "missing_scope", "thread_not_found",
                                   "message_not_found", "not_allowed_token_type"})


def compose_flagged(ctx: ComposeContext) -> None:
    """A 🚨 reaction kept by its handler: read the flagged message (no session open), then file the issue
    in one short transaction. While Slack cannot answer, the row waits and is tried again; after a few
    tries (or when Slack says the message cannot be read) the issue is filed without its text, so a report
    is never lost and the reporter still hears in their thread."""
    payload = ctx.payload
    channel, ts = payload["channel"], payload["ts"]
    try:
        message = _flagged_message(ctx, channel, ts)
    except (SlackApiError, OSError):
        if ctx.row.attempts + 1 < FLAGGED_READ_ATTEMPTS:
            raise  # the sender tries again later (with backoff), counting the attempt
        message = {}
    text = str(message.get("text") or "").strip() or UNREADABLE
    with ctx.write() as s:
        launch = launch_for_channel(s, channel)
        if launch is None:
            return None
        open_issue(s, launch=launch, text=text, reporter=payload["reporter"],
                   reporter_team=payload.get("reporter_team"), source="🚨 reaction",
                   source_key=f"msg:{channel}:{ts}", now=ctx.now, source_channel=channel, source_ts=ts,
                   thread_ts=message.get("thread_ts") or ts)
    return None


def _flagged_message(ctx: ComposeContext, channel: str, ts: str) -> dict:
    """The reacted-to message: a top-level message from history, a thread reply from its thread."""
    try:
        history = ctx.client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1)
        for message in history.get("messages", []):
            if message.get("ts") == ts:
                return message
        replies = ctx.client.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True)
        for message in replies.get("messages", []):
            if message.get("ts") == ts:
                return message
    except SlackApiError as err:
        if str(err.response.get("error") or "") in PERMANENT_READ_ERRORS:
            return {}
        raise
    return {}


COMPOSERS = (
    Compose("golive.issue_card", compose_card),
    Compose(FLAGGED_METHOD, compose_flagged),
)
