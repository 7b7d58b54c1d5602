"""Milestones in Slack: `/golive ready` with its checkboxes, `/golive live` with the confirmation modal,
the 30-day goal review buttons, and the retrospective (`/golive retro`, the `retro_open` button, its modal)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.core import blocks as modals
from bot.core.errors import GoliveError, InvalidInput, NotAllowed, parse_id
from bot.core.i18n import N_, Translator, person_locale, translator
from bot.core.ids import ActionId
from bot.core.roles import Person
from bot.core.text import escape
from bot.features.launches import service as launches
from bot.features.milestones import model as milestones_model
from bot.features.milestones import service as milestones
from bot.features.milestones import views as milestones_views
from bot.features.milestones.model import MilestoneAction, MilestoneCallback
from bot.features.milestones.views import live_confirm_modal
from bot.features.retro import service as retro
from bot.features.retro import views as retro_views
from bot.flows import going_live
from bot.slack.directory import stored_locales
from handlers.deps import Deps, Subcommand, channel_members, in_channel, person_from
from storage.models import Launch

log = logging.getLogger("golive.handlers.milestones")
NOT_A_LAUNCH = ("This channel is not a launch channel, so there is no {what} here. Run `/golive {cmd}` in the "
                "launch's channel{cli}.")
MANAGERS_ONLY = "Only the launch's CSMs and admins can {what}. Nothing was changed."


def _action(body: dict) -> dict:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    return {}


def _launch_or_none(s, body: dict) -> Launch | None:  # noqa: ANN001
    return launches.launch_for_channel(s, body.get("channel_id"))


def _require_manager(deps: Deps, s, launch: Launch, person: Person, what: str) -> None:  # noqa: ANN001
    if not deps.roles.may_manage(s, launch, person):
        raise NotAllowed(MANAGERS_ONLY.format(what=what))


# -- /golive ready ----------------------------------------------------------------------------------


def slash_ready(deps: Deps, body: dict, rest: str) -> str:
    person = person_from(body)
    with deps.db.session() as s:
        launch = _launch_or_none(s, body)
        if launch is None:
            return NOT_A_LAUNCH.format(what="go-live checklist", cmd="ready",
                                       cli=", or `golive launch criteria ID`")
        if not deps.roles.is_vendor(person):
            members = channel_members(deps)(launch.channel)
            if members is not None and person.user_id not in members:
                return "Only the launch team and the people in its channel can see this checklist."
        items = milestones.checklist(s, launch.id)
        text = milestones.checklist_text(launch, items)
        if not deps.roles.may_manage(s, launch, person):
            return text + "\n_Read-only: only the launch's CSMs and admins can tick items._"
        blocks = milestones_views.checklist_blocks(launch, items)
        summary = f"Go-live checklist for {launch.customer}: {sum(i.done for i in items)} of {len(items)} done"
    # The interactive list goes to the command's response URL (ephemeral, and it works whether or not the
    # bot is in the channel); the command's own answer is a one-line pointer to it.
    try:
        response = WebhookClient(str(body.get("response_url") or "")).send(
            text=summary, blocks=blocks, response_type="ephemeral")
        if response.status_code != 200:
            raise OSError(f"HTTP {response.status_code}")
    except (OSError, ValueError) as err:
        log.info("could not show the interactive checklist: %s", err)
        return text
    return summary + " — tick items in the list."


def on_readiness_toggle(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    action = _action(body)
    launch_id, shown = milestones.parse_block_id(str(action.get("block_id") or ""))
    selected = set()
    options = action.get("selected_options")
    for option in options if isinstance(options, list) else []:
        try:
            selected.add(int(str(option.get("value"))))
        except (TypeError, ValueError, AttributeError):
            continue
    with deps.db.session() as s:
        launch = launches.get_launch(s, launch_id)
        _require_manager(deps, s, launch, person, "tick go-live criteria")
        milestones.apply_selection(s, launch=launch, shown=shown, selected=selected, actor=person.user_id,
                                   now=deps.clock())
        items = milestones.checklist(s, launch.id)
        blocks = milestones_views.checklist_blocks(launch, items)
        summary = f"Go-live checklist for {launch.customer}: {sum(i.done for i in items)} of {len(items)} done"
    respond(text=summary, blocks=blocks, replace_original=True, response_type="ephemeral")


# -- /golive live -----------------------------------------------------------------------------------


def _live_answer(result: milestones.LiveResult) -> str:
    launch = result.launch
    if not result.declared:
        since = launch.live_at.strftime("%Y-%m-%d %H:%M UTC") if launch.live_at else "before"
        return f"{escape(launch.customer)} is live already (since {since}). Nothing was changed."
    text = f":tada: *{escape(launch.customer)}* is live!"
    if result.leadership_waiting:
        text += (" The announcement to leadership waits until the launch has a leadership channel "
                 "(your DM says how to set it).")
    else:
        text += f" The announcement goes to <#{launch.leadership_channel}>."
    text += " This channel gets a how-to-get-help post."
    return text


def slash_live(deps: Deps, body: dict, rest: str) -> str:
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        return MANAGERS_ONLY.format(what="declare a launch live")
    with deps.db.session() as s:
        launch = _launch_or_none(s, body)
        if launch is None:
            return NOT_A_LAUNCH.format(what="launch to declare live", cmd="live", cli=", or `golive launch live ID`")
        if not deps.roles.may_manage(s, launch, person):
            return MANAGERS_ONLY.format(what="declare a launch live")
        try:
            result = going_live.declare_live(s, launch=launch, actor=person.user_id, now=deps.clock(),
                                              locale=deps.settings.locale)
        except milestones.CriteriaOpen as refused:
            view = live_confirm_modal(launch, refused.items)
            message = str(refused)
        else:
            return _live_answer(result)
    try:
        deps.client.views_open(trigger_id=body.get("trigger_id"), view=view)
    except SlackApiError as err:
        log.info("could not open the go-live confirmation: %s", err.response.get("error"))
        return message
    return message.replace(" Nothing was changed.", "") + \
        "\nA confirmation form is open: give a reason there to go live anyway. Nothing has changed yet."


def submit_live(ack: Ack, body: dict, view: dict, deps: Deps) -> None:  # noqa: ANN001
    person = person_from(body)
    meta = modals.unpack(view)
    reason = (modals.values(view).get("reason") or "").strip()
    if not reason:
        ack(response_action="errors", errors={"reason": "Please say why the launch goes live with open criteria."})
        return
    try:
        with deps.db.session() as s:
            launch = launches.get_launch(s, milestones.db_id(meta.get("launch"), "That launch does not exist."))
            _require_manager(deps, s, launch, person, "declare a launch live")
            going_live.declare_live(s, launch=launch, actor=person.user_id, now=deps.clock(), force_reason=reason,
                                    locale=deps.settings.locale)
    except GoliveError as err:
        ack(response_action="errors", errors={"reason": str(err)[:150]})
        return
    ack()


# -- the 30-day goal review -------------------------------------------------------------------------


def _reader(deps: Deps, s, user: str) -> Translator:  # noqa: ANN001
    """What a CSM reads the review in: their stored Slack locale, else GOLIVE_LOCALE (local data only)."""
    return translator(person_locale(stored_locales(s, [user]).get(user), deps.settings.locale))


def on_goal_state(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    action = _action(body)
    state = milestones_model.GOAL_STATES[MilestoneAction(action["action_id"])]
    with deps.db.session() as s:
        goal = milestones.get_goal(s, action.get("value"))
        launch = launches.get_launch(s, goal.launch_id)
        _require_manager(deps, s, launch, person, "review the goals")
        milestones.set_goal_state(s, goal=goal, state=state, actor=person.user_id, now=deps.clock())
        t = _reader(deps, s, person.user_id)
        blocks = milestones_views.goal_review_blocks(launch, launches.goals(s, launch.id), confirmed=False, t=t)
        text = milestones_views.goal_review_text(launch, t=t)
    respond(text=text, blocks=blocks, replace_original=True)


def on_goals_confirm(ack: Ack, body: dict, deps: Deps, context, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    launch_id = milestones.db_id(_action(body).get("value"), "That review is no longer valid.")
    with deps.db.session() as s:
        launch = launches.get_launch(s, launch_id)
        _require_manager(deps, s, launch, person, "confirm the goal review")
        waiting = milestones.confirm_goal_review(s, launch=launch, actor=person.user_id, now=deps.clock(),
                                                 locale=deps.settings.locale)
        t = _reader(deps, s, person.user_id)
        blocks = milestones_views.goal_review_blocks(launch, launches.goals(s, launch.id), confirmed=True, t=t)
        text = milestones_views.goal_review_text(launch, confirmed=True, t=t)
    if waiting:
        blocks.append(milestones_views.goal_review_waiting(t))
    respond(text=text, blocks=blocks, replace_original=True)


# -- the retrospective ------------------------------------------------------------------------------


def slash_retro(deps: Deps, body: dict, rest: str) -> str:
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        return "The retrospective is run by the vendor's team; use the button on the retrospective post."
    with deps.db.session() as s:
        launch = _launch_or_none(s, body)
        if launch is None:
            return NOT_A_LAUNCH.format(what="retrospective", cmd="retro",
                                       cli=", or `golive retro report --launch ID`")
        return retro.state_text(s, launch, deps.clock())


def open_retro(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    with deps.db.read() as s:
        launch = retro.open_launch(s, _action(body).get("value"))
    if not deps.roles.is_vendor(person) and not in_channel(deps, launch.channel, person.user_id):
        raise NotAllowed(N_("Only members of the launch's channel can answer its retrospective."))
    with deps.db.read() as s:
        view = retro_views.retro_modal(launch, retro.current_answer(s, launch.id, person.user_id),
                                       translator(launch.locale))
    client.views_open(trigger_id=body.get("trigger_id"), view=view)


def submit_retro(ack: Ack, body: dict, view: dict, deps: Deps) -> None:  # noqa: ANN001
    person = person_from(body)
    meta = modals.unpack(view)
    values = modals.values(view)
    went_well, improve = values.get("went_well") or "", values.get("improve") or ""
    launch_id = parse_id(meta.get("launch"))
    with deps.db.read() as s:
        target = s.get(Launch, launch_id) if launch_id is not None else None
    t = translator(target.locale if target is not None else deps.settings.locale)
    try:
        retro.parse_rating(values.get("rating"))
    except InvalidInput as err:
        ack(response_action="errors", errors={"rating": err.text(t)})
        return
    try:
        if target is not None and not deps.roles.is_vendor(person) \
                and not in_channel(deps, target.channel, person.user_id):
            raise NotAllowed(N_("Only members of the launch's channel can answer its retrospective."))
        with deps.db.session() as s:
            retro.record_answer(s, launch_ref=meta.get("launch"), user=person.user_id, user_team=person.team_id,
                                went_well=went_well, improve=improve, rating=values.get("rating"), now=deps.clock())
    except GoliveError as err:
        ack(response_action="errors", errors={"went_well": err.text(t)[:150]})
        return
    ack()


def on_lesson_add(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    """*Add to every future checklist* on a retrospective summary's proposed lesson (CSMs and admins)."""
    ack()
    person = person_from(body)
    launch_id, index = retro.lesson_ref(_action(body).get("value"))
    with deps.db.session() as s:
        launch = launches.get_launch(s, launch_id)
        _require_manager(deps, s, launch, person, "add a lesson to every future checklist")
        item, added = retro.add_lesson(s, launch=launch, index=index, actor=person.user_id, now=deps.clock())
        text, blocks = retro.summary_message(s, launch)
    respond(text=text, blocks=blocks, replace_original=True)
    if not added:
        respond(text=retro_views.lesson_already_there(item), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(MilestoneAction.READINESS_TOGGLE)(on_readiness_toggle)
    app.view(MilestoneCallback.LIVE_CONFIRM)(submit_live)
    for action_id in milestones_model.GOAL_STATES:
        app.action(action_id)(on_goal_state)
    app.action(MilestoneAction.GOALS_CONFIRM)(on_goals_confirm)
    app.action(ActionId.RETRO_OPEN)(open_retro)
    app.view(MilestoneCallback.RETRO)(submit_retro)
    app.action(MilestoneAction.LESSON_ADD_TEMPLATE)(on_lesson_add)


# `/golive` subcommands this surface answers (merged into the command in handlers/__init__.py).
SUBCOMMANDS: dict[str, Subcommand] = {"ready": slash_ready, "live": slash_live, "retro": slash_retro}
