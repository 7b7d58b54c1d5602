"""What issues posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.core.i18n import DEFAULT_LOCALE, translator
from bot.features.issues.service import (
    FLAGGED_METHOD,
    UNREADABLE,
    linked_issues,
    note_looks_like,
    open_issue,
    same_problem_candidates,
)
from bot.features.issues.views import card_blocks, card_summary
from bot.features.launches.service import launch_for_channel
from bot.features.themes.service import find_same_problem
from bot.outbox.compose import Compose, ComposeContext
from storage.models import Issue, Launch

log = logging.getLogger("golive.issues")


def compose_card(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the support card as the issue is now (first a post, then updates in place)."""
    with ctx.read() as s:
        issue = s.get(Issue, ctx.payload["issue_id"])
        if issue is None:
            return None
        launch = s.get(Launch, issue.launch_id)
        first_post = "ts" not in ctx.payload and "ts_from" not in ctx.payload
        candidates = (same_problem_candidates(s, issue) if first_post and issue.looks_like_id is None
                      and issue.parent_id is None else [])
    if candidates:
        # Read like an open issue of the same launch? Said on the card, for support to confirm. Worked out
        # here, at send time (no session open), so the model never slows the person who reported it.
        try:
            match = find_same_problem(issue.text, candidates)
        except Exception:  # noqa: BLE001 - a card without the hint beats no card
            log.exception("same-problem check failed for issue %s", issue.id)
            match = None
        if match is not None:
            with ctx.write() as s:
                note_looks_like(s, issue_id=issue.id, looks_like_id=int(match), now=ctx.now)
    with ctx.read() as s:
        issue = s.get(Issue, ctx.payload["issue_id"])
        if issue is None:
            return None
        numbers = {i.id: i.number for i in s.exec(select(Issue).where(
            col(Issue.id).in_([x for x in (issue.looks_like_id, issue.parent_id) if x is not None]))).all()}
        followers = len(linked_issues(s, issue.id))
    permalink = None
    if issue.source_channel and issue.source_ts:
        try:
            permalink = ctx.client.chat_getPermalink(channel=issue.source_channel,
                                                     message_ts=issue.source_ts).get("permalink")
        except Exception:  # noqa: BLE001 - a card without a link beats no card
            permalink = None
    t = translator(ctx.context.get("locale") or DEFAULT_LOCALE)  # the support channel: GOLIVE_LOCALE
    blocks = card_blocks(launch, issue, permalink, looks_like=numbers.get(issue.looks_like_id),
                         parent=numbers.get(issue.parent_id), followers=followers, t=t)
    payload = {"channel": ctx.payload["channel"], "blocks": blocks, "text": card_summary(launch, issue, t)}
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
