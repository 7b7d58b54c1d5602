"""What home posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from sqlmodel import select

from bot.core.i18n import DEFAULT_LOCALE
from bot.core.roles import Roles
from bot.features.home.model import MAX_CHANNEL_CHECKS
from bot.features.home.service import render_home
from bot.outbox.compose import Compose, ComposeContext
from bot.slack.directory import directory_of
from storage.models import HomeVisit, Launch, LaunchStatus


def compose_home(ctx: ComposeContext) -> tuple[str, dict] | None:

    user = ctx.payload["user"]
    # Short sessions only: nothing is held across the Slack calls below.
    factory = ctx.read
    with factory() as s:
        visit = s.get(HomeVisit, user)
    if visit is None:
        return None
    # The worker may ask Slack (outside any session) for what the directory lacks: the person, and the
    # members of open launch channels it never read.
    directory = directory_of(ctx)
    profile = directory.ensure_profiles([user]).get(user)
    team = (profile.team_id if profile else None) or visit.team_id
    if team != visit.team_id:
        with ctx.write() as s:
            stored = s.get(HomeVisit, user)
            if stored is not None:
                stored.team_id = team
                s.add(stored)
    with factory() as s:
        channels = s.exec(select(Launch.channel).where(Launch.status != LaunchStatus.DONE)).all()
    for channel in channels[:MAX_CHANNEL_CHECKS]:
        directory.ensure_members(channel)
    # GOLIVE_ADMINS and the vendor's team reach composers through the sender's context.
    roles = Roles(admins=tuple(ctx.context.get("admins", ())), vendor_team_id=ctx.context.get("vendor_team_id"),
                  vendor_team_ids=tuple(ctx.context.get("vendor_team_ids", ())),
                  vendor_enterprise_id=ctx.context.get("vendor_enterprise_id"), profiles=directory.profile)
    view = render_home(factory, roles, user, team, ctx.now, directory.members,
                       own_locale=profile.locale if profile else None,
                       vendor_locale=ctx.context.get("locale") or DEFAULT_LOCALE)
    return "views.publish", {"user_id": user, "view": view}


COMPOSERS = (
    Compose("golive.home", compose_home, calls="views.publish"),
)
