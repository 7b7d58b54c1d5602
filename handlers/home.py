"""App Home: published when opened (a direct answer to the person's own action), and the read-only
readiness checklist behind the Home's button."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.features.home import model as home_model
from bot.features.home import service as home
from handlers.deps import Deps, claim_event, person_from
from storage.models import Launch


def on_home_opened(ack: Ack, body: dict, event: dict, deps: Deps) -> None:
    ack()
    if event.get("tab", "home") != "home":
        return
    user = str(event.get("user") or "")
    if not user:
        return
    # Local data only: the visit is recorded and the Home is published by the sender (views.publish),
    # which reads from Slack whatever the stored directory lacks.
    now = deps.clock()
    profile = deps.directory.lookup_profile(user)
    with deps.db.session() as s:
        if not claim_event(s, body, now):
            return
        home.record_visit(s, user=user, team=profile.team_id if profile else None, now=now)
        home.queue_publish(s, user, now)


def open_readiness(ack: Ack, body: dict, action: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    launch_id = home.as_id(action.get("value"))
    with deps.db.read() as s:
        launch = s.get(Launch, launch_id) if launch_id is not None else None
    if launch is not None:
        deps.directory.lookup_members(launch.channel)  # read once from Slack if golive never has (no session open)
    own = deps.directory.profile(person.user_id)  # local: the stored Slack locale, for staff
    with deps.db.read() as s:
        view = home.readiness_for(s, deps.roles, launch_ref=action.get("value"), user=person.user_id,
                                  team=person.team_id, members=deps.directory.lookup_members,
                                  own_locale=own.locale if own else None, vendor_locale=deps.settings.locale)
    client.views_open(trigger_id=body.get("trigger_id"), view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(home_model.READINESS_ACTION)(open_readiness)
    app.action("home_open_channel")(lambda ack: ack())
