"""What checkins posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.features.checkins.service import current_tally, launch_week_last_day, nudge_targets
from bot.features.checkins.views import checkin_blocks, nudge_message
from bot.outbox.compose import Compose, ComposeContext
from bot.slack.client import channel_people
from storage.models import (
    CheckIn,
    Launch,
)


def compose_tally(ctx: ComposeContext) -> tuple[str, dict] | None:
    """At send time: the message with the tally as it is now."""
    session, payload, now = ctx.session, ctx.payload, ctx.now
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
    checkin = ctx.session.get(CheckIn, ctx.payload["check_in_id"])
    if checkin is None:
        return None
    members = channel_people(ctx.client, checkin.channel)
    targets = nudge_targets(ctx.session, checkin, members, ctx.context.get("vendor_team_id"))
    if not targets:
        return None
    text, blocks = nudge_message(checkin, targets)
    return "chat.postMessage", {"channel": ctx.payload["channel"], "thread_ts": ctx.payload["thread_ts"],
                                "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.checkin_tally", compose_tally, read_only=True),
    Compose("golive.checkin_nudge", compose_nudge, read_only=True),
)
