"""What adoption posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.core.i18n import translator
from bot.features.adoption.plan import plan_adoption_reports
from bot.features.adoption.service import (
    away_status,
    build_report,
    has_used_product,
    iso_week,
    nudge_targets,
    went_live_at,
)
from bot.features.adoption.views import getting_started_blocks, nudge_blocks, report_blocks
from bot.features.usage.service import match_emails
from bot.outbox.compose import Compose, ComposeContext
from bot.outbox.queue import enqueue
from bot.slack.directory import channel_customers, directory_of
from storage.models import AdoptionOptOut, Launch


def report_period_start(launch: Launch, week: int) -> datetime:
    """Where week `week`'s report period starts: when the previous report was due (go-live for week 1), so
    a theme whose texts all came after it is new this week."""
    if week <= 1:
        return went_live_at(launch)
    previous = [item.due_at for item in plan_adoption_reports(None, launch)  # type: ignore[arg-type]
                if item.payload["week"] == week - 1]
    return previous[0] if previous else went_live_at(launch)


def compose_report(ctx: ComposeContext) -> tuple[str, dict] | None:

    with ctx.read() as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
    if launch is None:
        return None
    match_emails(ctx.write, ctx.client, launch.id, now=ctx.now, max_seconds=5, max_lookups=200)
    customers = channel_customers(ctx, launch.channel)
    members = None if customers is None else [p.user_id for p in customers]
    away = [(p.user_id, status) for p in customers or [] if (status := away_status(p, ctx.now))]
    week = int(ctx.payload["week"])
    with ctx.read() as s:
        report = build_report(s, launch, ctx.now, members, week=week, since=report_period_start(launch, week),
                              away=away)
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
    customers = channel_customers(ctx, launch.channel)
    members = None if customers is None else [p.user_id for p in customers]
    with ctx.read() as s:
        targets = nudge_targets(s, launch, members, ctx.now)
    # Nobody whose Slack status says they are away (profiles filled from Slack where the directory lacks them).
    profiles = directory_of(ctx).ensure_profiles(targets)
    targets = [user for user in targets if away_status(profiles.get(user), ctx.now) is None]
    week = iso_week(ctx.now)
    with ctx.write() as s:
        for user in targets:
            enqueue(s, key=f"adoption-nudge:{launch.id}:{user}:{week}", method="golive.adoption_nudge",
                    now=ctx.now, launch_id=launch.id, payload={"channel": user, "launch_id": launch.id})
    return None


def compose_nudge(ctx: ComposeContext) -> tuple[str, dict] | None:
    """One person's nudge, unless they opted out or went away in the meantime: a getting-started message for
    someone the usage data has never seen, else the "you have not used it for a few days" one."""
    user = ctx.payload["channel"]
    with ctx.read() as s:
        launch = s.get(Launch, ctx.payload["launch_id"])
        if launch is None or not launch.training_link:
            return None
        opted = s.exec(select(AdoptionOptOut.id).where(AdoptionOptOut.launch_id == launch.id,
                                                       AdoptionOptOut.user_id == user)).first()
        used = has_used_product(s, launch.id, user)
    if opted is not None or away_status(directory_of(ctx).profile(user), ctx.now) is not None:
        return None
    t = translator(launch.locale)
    text, blocks = nudge_blocks(launch, user, t) if used else getting_started_blocks(launch, user, t)
    return "chat.postMessage", {"channel": user, "text": text, "blocks": blocks}


COMPOSERS = (
    Compose("golive.adoption_report", compose_report),
    Compose("golive.adoption_nudges", compose_nudges),
    Compose("golive.adoption_nudge", compose_nudge),
)
