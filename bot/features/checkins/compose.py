"""What checkins posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.i18n import translator
from bot.features.checkins.service import current_tally, launch_week_last_day, nudge_targets
from bot.features.checkins.views import checkin_blocks, nudge_message, tally_fallback
from bot.outbox.compose import Compose, ComposeContext, ComposeLater
from bot.slack.directory import channel_customers
from storage.models import (
    CheckIn,
    Launch,
)


def compose_tally(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the message with the tally as it is now."""
    payload, now = ctx.payload, ctx.now
    with ctx.read() as session:
        checkin = session.get(CheckIn, payload["check_in_id"])
        if checkin is None:
            return None
        launch = session.get(Launch, checkin.launch_id)
        tally = current_tally(session, checkin, launch.show_names)
    local_today = now.astimezone(ZoneInfo(launch.timezone)).date()
    closed = local_today > launch_week_last_day(launch)
    t = translator(launch.locale)
    blocks = checkin_blocks(checkin, launch.checkin_days, tally, late=checkin.late, closed=closed, t=t)
    return "chat.update", {"channel": payload["channel"], "ts": payload["ts"], "blocks": blocks,
                           "text": tally_fallback(checkin.day_number, tally.total, t)}


def compose_nudge(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the members who still have not answered, read from Slack now."""
    with ctx.read() as s:
        checkin = s.get(CheckIn, ctx.payload["check_in_id"])
        launch = s.get(Launch, checkin.launch_id) if checkin is not None else None
    if checkin is None or launch is None:
        return None
    customers = channel_customers(ctx, checkin.channel)
    if customers is None:
        raise ComposeLater(f"the members of {checkin.channel} are not known yet")
    with ctx.read() as s:
        targets = nudge_targets(s, checkin, [p.as_slack_user() for p in customers], None)
    if not targets:
        return None
    text, blocks = nudge_message(checkin, targets, translator(launch.locale))
    return "chat.postMessage", {"channel": ctx.payload["channel"], "thread_ts": ctx.payload["thread_ts"],
                                "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.checkin_tally", compose_tally, calls="chat.update"),
    Compose("golive.checkin_nudge", compose_nudge),
)
