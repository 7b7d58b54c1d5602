"""App Home: published when opened (a direct answer to the person's own action), and the read-only
readiness checklist behind the Home's button."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.features.home import model as home_model
from bot.features.home import service as home
from handlers.deps import Deps


def on_home_opened(ack: Ack, event: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    if event.get("tab", "home") != "home":
        return
    user = str(event.get("user") or "")
    if not user:
        return
    now = deps.clock()
    team = home.user_team(client, user)
    with deps.db.session() as s:
        home.record_visit(s, user=user, team=team, now=now)
    view = home.render_home(deps.db.session, client, deps.roles, user, team, now)
    client.views_publish(user_id=user, view=view)


def open_readiness(ack: Ack, body: dict, action: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    user = str((body.get("user") or {}).get("id") or "")
    team = home.user_team(client, user)
    with deps.db.session() as s:
        view = home.readiness_for(s, client, deps.roles, launch_ref=action.get("value"), user=user, team=team)
    client.views_open(trigger_id=body.get("trigger_id"), view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(home_model.READINESS_ACTION)(open_readiness)
    app.action("home_open_channel")(lambda ack: ack())
