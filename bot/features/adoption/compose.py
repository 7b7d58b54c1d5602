"""What adoption posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from sqlmodel import select

from bot.features.adoption.service import build_report, channel_customer_ids, iso_week, nudge_targets
from bot.features.adoption.views import nudge_blocks, report_blocks
from bot.features.usage.service import match_emails
from bot.outbox.compose import Compose, ComposeContext
from bot.outbox.queue import enqueue
from storage.models import AdoptionOptOut, Launch


def compose_report(ctx: ComposeContext) -> tuple[str, dict] | None:

    with ctx.read() as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
    if launch is None:
        return None
    match_emails(ctx.write, ctx.client, launch.id, now=ctx.now, max_seconds=5, max_lookups=200)
    members = channel_customer_ids(ctx, launch.channel)
    with ctx.read() as s:
        report = build_report(s, launch, ctx.now, members, week=int(ctx.payload["week"]))
    text, blocks = report_blocks(report)
    return "chat.postMessage", {"channel": ctx.payload["channel"], "text": text, "blocks": blocks}


def compose_nudges(ctx: ComposeContext) -> None:
    """At send time: one DM row per quiet person, deduplicated per ISO week so nobody hears twice a week."""
    with ctx.read() as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
    if launch is None or not launch.adoption_nudges or not launch.training_link:
        return None

    # Match first (cached; the report may be matching at the same moment): an unmatched active person
    # would otherwise look like a channel member who never logged in.
    match_emails(ctx.write, ctx.client, launch.id, now=ctx.now, max_seconds=5, max_lookups=200)
    members = channel_customer_ids(ctx, launch.channel)
    with ctx.read() as s:
        targets = nudge_targets(s, launch, members, ctx.now)
    week = iso_week(ctx.now)
    with ctx.write() as s:
        for user in targets:
            enqueue(s, key=f"adoption-nudge:{launch.id}:{user}:{week}", method="golive.adoption_nudge",
                    now=ctx.now, launch_id=launch.id, payload={"channel": user, "launch_id": launch.id})
    return None


def compose_nudge(ctx: ComposeContext) -> tuple[str, dict] | None:
    """One person's nudge, unless they opted out in the meantime."""
    user = ctx.payload["channel"]
    with ctx.read() as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
        if launch is None or not launch.training_link:
            return None
        opted = s.exec(select(AdoptionOptOut.id).where(AdoptionOptOut.launch_id == launch.id,
                                                       AdoptionOptOut.user_id == user)).first()
    if opted is not None:
        return None
    text, blocks = nudge_blocks(launch, user)
    return "chat.postMessage", {"channel": user, "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.adoption_report", compose_report),
    Compose("golive.adoption_nudges", compose_nudges),
    Compose("golive.adoption_nudge", compose_nudge),
)
