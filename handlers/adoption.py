"""The opt-out button in an adoption nudge."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.core.i18n import translator
from bot.features.adoption import model as adoption_model
from bot.features.adoption import service as adoption
from bot.features.adoption.views import opt_out_confirmation
from handlers.deps import Deps, person_from


def on_opt_out(ack: Ack, body: dict, action: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    with deps.db.session() as s:
        launch = adoption.record_opt_out(s, launch_ref=action.get("value"), user=person.user_id, now=deps.clock())
        customer, t = launch.customer, translator(launch.locale)
    respond(text=opt_out_confirmation(customer, t), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(adoption_model.OPT_OUT_ACTION)(on_opt_out)
