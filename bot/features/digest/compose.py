"""What digest posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.core.clock import parse_date
from bot.core.i18n import translator
from bot.features.digest.service import GONE_ERRORS, fall_back, gather, upload_chart
from bot.features.digest.views import digest_blocks, digest_preface
from bot.outbox.compose import Compose, ComposeContext
from bot.slack.directory import reader_locale
from storage.models import (
    OutboxMessage,
)


def compose_digest(ctx: ComposeContext) -> tuple[str, dict] | None:
    payload = ctx.payload
    recipient = payload["channel"]
    owner = payload.get("on_behalf_of") or recipient
    digests, series = gather(ctx, owner)
    if not digests:
        return None
    day = payload["date"]
    if recipient.startswith(("U", "W")):
        try:
            channel_id = ctx.client.conversations_open(users=recipient)["channel"]["id"]
        except SlackApiError as err:
            error = str(err.response.get("error", ""))
            if error not in GONE_ERRORS:
                raise
            return fall_back(ctx, error)
    else:
        channel_id = recipient
    t = translator(reader_locale(ctx, recipient))
    chart_note = payload.get("chart_note")
    if chart_note is None:
        _, chart_note = upload_chart(ctx, channel_id, series, day, t=t)
        with ctx.write() as s:
            row = s.get(OutboxMessage, ctx.row.id)
            if row is not None:  # a retried send does not upload the chart twice
                row.payload = {**row.payload, "chart_note": chart_note}
                s.add(row)
    preface = None
    if payload.get("on_behalf_of"):
        preface = digest_preface(payload["on_behalf_of"], str(payload.get("reason", "unknown error")), t)
    text, blocks = digest_blocks(digests, parse_date(day), chart_note, preface=preface, t=t)
    return "chat.postMessage", {"channel": channel_id, "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.digest", compose_digest),
)
