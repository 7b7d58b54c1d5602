"""Events that keep the stored Slack directory current (members joining and leaving, people changing,
channels changing id or being shared), and events golive acknowledges quietly.

Each writes local rows only, in one short transaction, together with the event's "processed" mark."""

from __future__ import annotations

from slack_bolt import App
from sqlalchemy import update

from bot.slack import directory
from handlers.deps import Deps, claim_event
from storage.models import CheckIn, Issue, Launch

# Columns that name a channel and follow it when Slack gives the channel a new id.
CHANNEL_COLUMNS = (
    (Launch, ("channel", "support_channel", "urgent_channel", "leadership_channel", "csm_channel")),
    (CheckIn, ("channel",)),
    (Issue, ("source_channel", "support_channel", "urgent_channel")),
)


def on_member_joined(body: dict, event: dict, deps: Deps) -> None:
    channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
    if channel and user:
        with deps.db.session() as s:
            if claim_event(s, body, deps.clock()):
                directory.record_join(s, channel, user, deps.clock())


def on_member_left(body: dict, event: dict, deps: Deps) -> None:
    channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
    if channel and user:
        with deps.db.session() as s:
            if claim_event(s, body, deps.clock()):
                directory.record_leave(s, channel, user)
        deps.directory.forget_member(channel, user)


def on_user_change(body: dict, event: dict, deps: Deps) -> None:
    """`user_change` and `team_join`: the person's team, guest flags, status, time zone and locale."""
    user = event.get("user")
    if isinstance(user, dict) and user.get("id"):
        with deps.db.session() as s:
            if claim_event(s, body, deps.clock()):
                directory.record_person(s, user, deps.clock())
        deps.directory.forget_profile(str(user["id"]))


def on_channel_id_changed(body: dict, event: dict, deps: Deps) -> None:
    """Sharing a channel can give it a new id: launches, check-ins, issues and the directory follow it."""
    old, new = str(event.get("old_channel_id") or ""), str(event.get("new_channel_id") or "")
    if not old or not new or old == new:
        return
    with deps.db.session() as s:
        if not claim_event(s, body, deps.clock()):
            return
        for model, columns in CHANNEL_COLUMNS:
            for column in columns:
                field = getattr(model, column)
                s.execute(update(model).where(field == old).values({column: new})
                          .execution_options(synchronize_session=False))
        directory.move_channel(s, old, new)


def on_channel_shared(body: dict, event: dict, deps: Deps) -> None:
    channel = str(event.get("channel") or "")
    if channel:
        with deps.db.session() as s:
            if claim_event(s, body, deps.clock()):
                directory.record_shared(s, channel, body.get("event", {}).get("type") == "channel_shared")
        deps.directory.fill_later(channel)  # new people from the other organisation


def ignore(ack=None) -> None:  # noqa: ANN001
    if ack is not None:
        ack()


def register(app: App) -> None:
    app.event("member_joined_channel")(on_member_joined)
    app.event("member_left_channel")(on_member_left)
    app.event("user_change")(on_user_change)
    app.event("team_join")(on_user_change)
    app.event("channel_id_changed")(on_channel_id_changed)
    app.event("channel_shared")(on_channel_shared)
    app.event("channel_unshared")(on_channel_shared)
    app.event("reaction_removed")(ignore)
