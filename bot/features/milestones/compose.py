"""What milestone posts are made of at send time: the launch-week wrap-up (numbers as they are when it
goes out, the chart uploaded to the leadership channel first, once)."""

from __future__ import annotations

from bot.core.i18n import translator
from bot.features.digest.chart import launch_series
from bot.features.digest.service import upload_chart
from bot.features.digest.views import WRAPUP
from bot.features.milestones.service import WRAPUP_METHOD
from bot.features.milestones.views import wrapup_blocks, wrapup_chart_words
from bot.features.milestones.week import launch_week, week_facts
from bot.outbox.compose import Compose, ComposeContext
from bot.slack.directory import channel_customers
from storage.models import Launch, OutboxMessage


def compose_wrapup(ctx: ComposeContext) -> tuple[str, dict] | None:
    payload = ctx.payload
    with ctx.read() as s:
        launch = s.get(Launch, payload["launch_id"])
        if launch is None:
            return None
        channel_id = payload.get("channel") or launch.leadership_channel
        customer_channel = launch.channel
    customers = channel_customers(ctx, customer_channel)
    with ctx.read() as s:
        launch = s.get(Launch, payload["launch_id"])
        if launch is None:
            return None
        facts = week_facts(s, launch, now=ctx.now, audience=len(customers) if customers is not None else None)
        week = launch_week(launch)
        series = [launch_series(s, launch, min(ctx.now, week.end))]
    chart_note = payload.get("chart_note")
    if chart_note is None:  # a retried send does not upload the chart twice
        day = payload.get("date") or week.days[-1].isoformat()
        t = translator(launch.locale)
        title, comment = wrapup_chart_words(launch.customer, t)
        _, chart_note = upload_chart(ctx, channel_id, series, day, what=WRAPUP, t=t, title=title, comment=comment,
                                     filename=f"launch-week-{launch.id}-{day}.png")
        with ctx.write() as s:
            row = s.get(OutboxMessage, ctx.row.id)
            if row is not None:
                row.payload = {**row.payload, "chart_note": chart_note}
                s.add(row)
    text, blocks = wrapup_blocks(launch, facts, chart_note, translator(launch.locale))
    return "chat.postMessage", {"channel": channel_id, "text": text, "blocks": blocks}


COMPOSERS = (
    Compose(WRAPUP_METHOD, compose_wrapup),
)
