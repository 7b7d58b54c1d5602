"""The Bolt app factory: nothing registers at import time."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.core import metrics
from bot.core.clock import utcnow
from bot.core.errors import GoliveError
from bot.core.i18n import N_
from bot.core.roles import Roles
from bot.core.settings import Settings
from bot.slack.after_ack import AfterAck
from bot.slack.directory import Directory
from handlers import register_all
from handlers.deps import Deps, error_text
from storage.db import Database
from storage.models import ProcessedEvent

log = logging.getLogger("golive.app")


def create_app(
    settings: Settings,
    db: Database,
    client: WebClient,
    *,
    vendor_team_id: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    process_before_response: bool = True,
    directory: Directory | None = None,
    after_ack: AfterAck | None = None,
) -> App:
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
        token_verification_enabled=False,
        process_before_response=process_before_response,
        request_verification_enabled=settings.slack_signing_secret is not None,
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
        logger=logging.getLogger("golive.bolt"),
    )
    directory = directory or Directory(db, client, clock=clock)
    team = vendor_team_id or settings.team_id
    teams = settings.team_ids or ((team,) if team else ())
    roles = Roles(admins=settings.admins, vendor_team_id=team, vendor_team_ids=teams,
                  vendor_enterprise_id=settings.enterprise_id, profiles=directory.lookup_profile)
    deps = Deps(settings=settings, db=db, client=client, roles=roles, directory=directory, clock=clock,
                after_ack=after_ack or AfterAck())

    @app.middleware
    def inject_deps(context, next):  # noqa: ANN001, A002
        context["deps"] = deps
        return next()

    @app.middleware
    def recognise_retries(body, next):  # noqa: ANN001, A002
        """Slack re-sends an event it thinks failed; an event_id already processed is answered at once.
        The mark itself is written by the listener with the event's effect (handlers.deps.claim_event), so
        an event whose effect did not commit is processed again when Slack retries it."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
            with db.read() as s:
                done = s.get(ProcessedEvent, event_id[:255]) is not None
            if done:
                metrics.EVENTS_DUPLICATE.inc()
                log.info("event %s already processed; retry ignored", event_id)
                return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error, body, respond, logger):  # noqa: ANN001
        """One place that turns failures into what the person sees."""
        if isinstance(error, GoliveError):
            message = error_text(deps, body, error)
        else:
            ref = f"{abs(hash((str(error), utcnow().isoformat()))) % 10**8:08d}"
            logger.error("unexpected error (ref %s): %r", ref, error, exc_info=error)
            message = error_text(deps, body, GoliveError(
                N_("Sorry, something went wrong on golive's side (reference {ref}). Nothing was changed."), ref=ref))
        if isinstance(body, dict) and body.get("command"):
            # A slash command not yet acknowledged: the response body is the person's ephemeral answer.
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": message}),
                                headers={"content-type": "application/json"})
        if isinstance(body, dict) and body.get("response_url"):
            try:
                respond(text=message, response_type="ephemeral", replace_original=False)
            except Exception:  # noqa: BLE001 - the person may simply be gone; the error is logged
                logger.warning("could not tell the person about the error")
        return BoltResponse(status=200, body="")

    register_all(app)
    return app
