"""What home posts are made of at send time (composers the sender calls with current data)."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.core.roles import Roles
from bot.features.home.service import render_home
from bot.outbox.compose import Compose, ComposeContext
from storage.models import (
    HomeVisit,
)


def compose_home(ctx: ComposeContext) -> tuple[str, dict] | None:

    user = ctx.payload["user"]
    # Own short sessions only: ctx.session would hold SQLite's write lock across the Slack calls below.
    factory = sessionmaker(ctx.session.get_bind(), class_=Session)
    with factory() as s:
        visit = s.get(HomeVisit, user)
    if visit is None:
        return None
    team = visit.team_id
    # GOLIVE_ADMINS and the vendor's team reach composers through the sender's context.
    roles = Roles(admins=tuple(ctx.context.get("admins", ())), vendor_team_id=ctx.context.get("vendor_team_id"))
    view = render_home(factory, ctx.client, roles, user, team, ctx.now)
    return "views.publish", {"user_id": user, "view": view}


COMPOSERS = (
    Compose("golive.home", compose_home),
)
