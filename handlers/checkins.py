"""Check-in buttons, the note modal and the nudge mute button."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.core import blocks as modals
from bot.core.errors import GoliveError, InvalidInput, NotAllowed, parse_id
from bot.core.i18n import N_, translator
from bot.core.ids import ActionId, CallbackId
from bot.features.checkins import service as checkins
from bot.features.checkins.views import mute_confirmation, note_modal
from handlers.deps import Deps, error_text, in_channel, person_from, translator_for_channel
from storage.models import Answer

log = logging.getLogger("golive.handlers.checkins")


def _action_value(body: dict) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "") if isinstance(actions[0], dict) else ""


def _channel(body: dict) -> str | None:
    channel = body.get("channel")
    return channel.get("id") if isinstance(channel, dict) else None


def require_channel_member(deps: Deps, channel: str | None, user: str) -> None:
    """Only people in the launch channel (customers from other organisations included) may answer or
    report there. If Slack cannot tell us the members right now, we let the person through."""

    if channel and not in_channel(deps, channel, user):
        raise NotAllowed(N_("Only members of this launch's channel can answer its check-ins. Nothing was "
                            "recorded."))


def on_answer(ack: Ack, body: dict, action: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    require_channel_member(deps, _channel(body), person.user_id)
    answer = checkins.ACTION_ANSWERS[ActionId(action["action_id"])]
    with deps.db.session() as s:
        recorded = checkins.record_answer(s, checkin_ref=_action_value(body), channel=_channel(body),
                                          user=person.user_id, user_team=person.team_id, answer=answer,
                                          note=None, now=deps.clock())
    # Committed: the click is acknowledged now; the "recorded" note follows without holding it up.
    deps.after_ack.submit(respond, text=checkins.confirmation(recorded), response_type="ephemeral",
                          replace_original=False)


def open_note(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    require_channel_member(deps, _channel(body), person.user_id)
    with deps.db.session() as s:
        checkin, launch = checkins.find_open_checkin(s, checkin_ref=_action_value(body), channel=_channel(body),
                                                now=deps.clock())
        current = s.exec(checkins.select(checkins.CheckInAnswer).where(
            checkins.CheckInAnswer.check_in_id == checkin.id,
            checkins.CheckInAnswer.user_id == person.user_id)).first()
    view = note_modal(checkin, current.answer if current else Answer.FRICTION, translator(launch.locale))
    client.views_open(trigger_id=body.get("trigger_id"), view=view)


def submit_note(ack: Ack, body: dict, view: dict, deps: Deps, client) -> None:  # noqa: ANN001
    person = person_from(body)
    state = modals.unpack(view)
    values = modals.values(view)
    answer = values.get("answer") or Answer.FRICTION
    note = values.get("note") or ""
    if not note.strip():
        t = translator_for_channel(deps, state.get("channel"))
        ack(response_action="errors", errors={"note": t.gettext("Please write a few words, or close this form.")})
        return
    try:
        require_channel_member(deps, state.get("channel"), person.user_id)
        with deps.db.session() as s:
            recorded = checkins.record_answer(s, checkin_ref=state.get("checkin"), channel=state.get("channel"),
                                              user=person.user_id, user_team=person.team_id, answer=str(answer),
                                              note=note, now=deps.clock())
    except GoliveError as err:
        ack(response_action="errors", errors={"note": error_text(deps, body, err)[:150]})
        return
    ack()
    deps.after_ack.submit(_confirm_note, client, recorded.checkin.channel, person.user_id,
                          checkins.confirmation(recorded))


def _confirm_note(client, channel: str, user: str, text: str) -> None:  # noqa: ANN001
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as err:  # e.g. a guest Slack will not show ephemerals to: the tally still moves
        log.info("could not confirm the note ephemerally: %s", err.response.get("error"))


def on_mute(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    launch_id = parse_id(_action_value(body))
    with deps.db.session() as s:
        launch = s.get(checkins.Launch, launch_id) if launch_id is not None else None
        if launch is None or launch.channel != _channel(body):
            raise InvalidInput(N_("That reminder is no longer valid."))
        checkins.record_mute(s, launch_id=launch_id, user=person.user_id, now=deps.clock())
        t = translator(launch.locale)
    deps.after_ack.submit(respond, text=mute_confirmation(t), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    for action_id in checkins.ACTION_ANSWERS:
        app.action(action_id)(on_answer)
    app.action(ActionId.CHECKIN_NOTE)(open_note)
    app.view(CallbackId.CHECKIN_NOTE_MODAL)(submit_note)
    app.action(ActionId.NUDGE_MUTE)(on_mute)


