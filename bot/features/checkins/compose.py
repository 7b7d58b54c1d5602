"""What checkins posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.features.checkins.service import current_tally, launch_week_last_day, nudge_targets
from bot.features.checkins.views import checkin_blocks, nudge_message
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
    blocks = checkin_blocks(checkin, launch.checkin_days, tally, late=checkin.late, closed=closed)
    return "chat.update", {"channel": payload["channel"], "ts": payload["ts"], "blocks": blocks,
                           "text": f"Day {checkin.day_number} of launch week: {tally.total} answer(s)"}


def compose_nudge(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the members who still have not answered, read from Slack now."""
    with ctx.read() as s:
        checkin = s.get(CheckIn, ctx.payload["check_in_id"])
    if checkin is None:
        return None
    customers = channel_customers(ctx, checkin.channel)
    if customers is None:
        raise ComposeLater(f"the members of {checkin.channel} are not known yet")
    with ctx.read() as s:
        targets = nudge_targets(s, checkin, [p.as_slack_user() for p in customers], None)
    if not targets:
        return None
    text, blocks = nudge_message(checkin, targets)
    return "chat.postMessage", {"channel": ctx.payload["channel"], "thread_ts": ctx.payload["thread_ts"],
                                "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.checkin_tally", compose_tally, calls="chat.update"),
    Compose("golive.checkin_nudge", compose_nudge),
)
