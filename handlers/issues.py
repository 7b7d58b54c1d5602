"""Problem intake (button + modal, mention, 🚨 reaction, /golive issue, message shortcut), triage in the
support channel, satisfaction, and the relay between the support thread and the customer's thread."""

from __future__ import annotations

import logging
import re
import time

from slack_bolt import Ack, App
from sqlmodel import select

from bot.core import blocks as modals
from bot.core.errors import GoliveError, InvalidInput, NotAllowed, parse_id
from bot.core.i18n import DEFAULT_LOCALE, N_, Translator, translator
from bot.core.ids import ActionId, CallbackId
from bot.core.roles import Person
from bot.core.text import escape
from bot.features.adoption import service as adoption
from bot.features.issues import model as issues_model
from bot.features.issues import service as issues
from bot.features.issues.views import (
    BLOCKED_IMPACT,
    blocked_details_modal,
    report_modal,
    resolve_modal,
    satisfaction_thanks,
    timeline_text,
)
from bot.features.launches import service as launches
from bot.outbox.queue import post_message
from handlers.deps import (
    Deps,
    Subcommand,
    channel_members,
    claim_event,
    error_text,
    in_channel,
    person_from,
    translator_for_channel,
)
from storage.models import Issue, IssueStatus, Launch

log = logging.getLogger("golive.handlers.issues")
REACTION = "rotating_light"


# -- helpers ----------------------------------------------------------------------------------------


def _value(body: dict) -> str:
    actions = body.get("actions") or [{}]
    first = actions[0] if isinstance(actions[0], dict) else {}
    if isinstance(first.get("selected_option"), dict):
        return str(first["selected_option"].get("value") or "")
    return str(first.get("value") or "")


def _channel_id(body: dict) -> str | None:
    channel = body.get("channel")
    return channel.get("id") if isinstance(channel, dict) else None


def _launch_here(s, channel: str | None) -> Launch:  # noqa: ANN001
    launch = launches.launch_for_channel(s, channel)
    if launch is None:
        raise InvalidInput("This channel is not a launch channel, so golive cannot file a problem here.")
    return launch


def _issue_translator(deps: Deps, issue_ref: object) -> Translator:
    """What the reporter of an issue reads: its launch's language (one read)."""
    with deps.db.read() as s:
        issue = s.get(Issue, parse_id(issue_ref)) if parse_id(issue_ref) is not None else None
        launch = s.get(Launch, issue.launch_id) if issue is not None else None
        return translator(launch.locale if launch is not None else deps.settings.locale)


# -- ways in ----------------------------------------------------------------------------------------


def open_report_modal(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    """The Report a problem button, on check-ins and the pinned help message: any channel member may use it."""
    ack()
    channel = _channel_id(body)
    with deps.db.session() as s:
        t = translator(_launch_here(s, channel).locale)
    if channel and not in_channel(deps, channel, person_from(body).user_id):
        raise NotAllowed(N_("Only members of this launch's channel can report a problem here."))
    message = body.get("message") or {}
    thread = message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("message_ts")
    client.views_open(trigger_id=body.get("trigger_id"),
                      view=report_modal({"channel": channel, "thread_ts": thread, "source": "button"}, t=t))


def open_shortcut_modal(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    """The report_issue message shortcut (vendor staff only): a modal prefilled with the message."""
    ack()
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        raise NotAllowed("Only the vendor's team can use this shortcut.")
    channel = _channel_id(body)
    message = body.get("message") or {}
    with deps.db.session() as s:
        _launch_here(s, channel)
    metadata = {"channel": channel, "source": "shortcut", "message_ts": message.get("ts"),
                "thread_ts": message.get("thread_ts") or message.get("ts"), "author": message.get("user")}
    client.views_open(trigger_id=body.get("trigger_id"),
                      view=report_modal(metadata, initial_text=str(message.get("text") or "")))


def submit_report(ack: Ack, body: dict, view: dict, deps: Deps) -> None:  # noqa: ANN001
    person = person_from(body)
    meta = modals.unpack(view)
    values = modals.values(view)
    text = values.get("text") or ""
    severity = values.get("severity") or "sev2"
    if not text.strip():
        t = translator_for_channel(deps, modals.unpack(view).get("channel"))
        ack(response_action="errors", errors={"text": t.gettext("Please describe what happened.")})
        return
    if severity not in issues_model.SEVERITIES:
        severity = "sev2"
    channel = meta.get("channel")
    if meta.get("source") == "shortcut" and meta.get("message_ts"):
        source_key = f"msg:{channel}:{meta['message_ts']}"
    else:
        source_key = f"modal:{view.get('id') or body.get('trigger_id')}"
    try:
        if meta.get("source") == "shortcut":
            if not deps.roles.is_vendor(person):
                raise NotAllowed("Only the vendor's team can use this shortcut.")
        else:
            if channel and not in_channel(deps, channel, person.user_id):
                raise NotAllowed(N_("Only members of this launch's channel can report a problem here."))
        with deps.db.session() as s:
            launch = _launch_here(s, channel)
            issues.open_issue(s, launch=launch, text=text, reporter=person.user_id, reporter_team=person.team_id,
                              source="message shortcut" if meta.get("source") == "shortcut" else "report button",
                              source_key=source_key, now=deps.clock(), severity=severity, source_channel=channel,
                              source_ts=meta.get("message_ts"), thread_ts=meta.get("thread_ts"))
    except GoliveError as err:
        ack(response_action="errors", errors={"text": error_text(deps, body, err)[:150]})
        return
    ack()


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def on_mention(body: dict, event: dict, deps: Deps, context, ack=None) -> None:  # noqa: ANN001
    """@golive followed by a description, in a launch channel, files an issue (without the mention)."""
    if ack is not None:
        ack()
    channel, ts = event.get("channel"), event.get("ts")
    user = event.get("user")
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(user, str)):
        return
    text = strip_mentions(str(event.get("text") or ""), context.get("bot_user_id"))
    thread = event.get("thread_ts") or ts
    now = deps.clock()
    with deps.db.session() as s:
        launch = launches.launch_for_channel(s, channel)
        if launch is None or not claim_event(s, body, now):
            return
        adoption.record_channel_activity(s, launch_id=launch.id, user=user, now=now)
        if event.get("thread_ts") and issues.issue_for_customer_reply(
                s, channel=channel, thread_ts=str(event["thread_ts"]), author=user, text=text, strict=True):
            return  # a reply in an issue's own thread: relayed to support (the message event), not a new issue
        if not text:
            post_message(s, key=f"mention-usage:{channel}:{ts}", channel=channel, thread_ts=thread, now=now,
                         launch_id=launch.id, text=f"<@{user}> {issues.USAGE}")
            return
        issues.open_issue(s, launch=launch, text=text, reporter=user,
                          reporter_team=event.get("user_team") or event.get("team"), source="mention",
                          source_key=f"msg:{channel}:{ts}", now=now, source_channel=channel, source_ts=ts,
                          thread_ts=thread)


def on_reaction(body: dict, event: dict, deps: Deps, ack=None) -> None:  # noqa: ANN001
    """🚨 on any message in a launch channel files that message as an issue, once. The message's text has
    to be read from Slack, so the event is kept (an outbox row, in the same transaction as its "processed"
    mark) and the sender reads the message and files the issue, retrying while Slack cannot answer."""
    if ack is not None:
        ack()
    item = event.get("item") or {}
    channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
    if item.get("type") != "message" or not all(isinstance(v, str) for v in (channel, ts, user)):
        return
    now = deps.clock()
    with deps.db.session() as s:
        launch = launches.launch_for_channel(s, channel)
        if launch is None or not claim_event(s, body, now):
            return
        adoption.record_channel_activity(s, launch_id=launch.id, user=user, now=now)  # any reaction is a sign of life
        if event.get("reaction") != REACTION:
            return
        if s.exec(select(Issue.id).where(Issue.source_key == f"msg:{channel}:{ts}")).first():
            return
        issues.queue_flagged_message(s, launch=launch, channel=channel, ts=ts, reporter=user,
                                     reporter_team=event.get("user_team") or event.get("team"), now=now)


def on_message(body: dict, event: dict, deps: Deps, context, ack=None) -> None:  # noqa: ANN001
    """Thread replies: `>>` from support goes to the customer; the customer's replies go to support. Any
    message in a launch channel is also recorded as that person's activity there (adoption)."""
    if ack is not None:
        ack()
    if event.get("subtype") not in (None, "thread_broadcast") or event.get("bot_id"):
        return
    channel, ts, thread_ts, user = event.get("channel"), event.get("ts"), event.get("thread_ts"), event.get("user")
    text = str(event.get("text") or "")
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(user, str)):
        return
    if user == context.get("bot_user_id"):
        return
    if not isinstance(thread_ts, str) or thread_ts == ts:
        # A top-level message: only a sign of life in a launch channel (adoption), recorded with the event's mark.
        with deps.db.read() as s:
            in_launch = launches.launch_for_channel(s, channel) is not None
        if in_launch:
            with deps.db.session() as s:
                if claim_event(s, body, deps.clock()):
                    adoption.record_activity_in_channel(s, channel=channel, user=user, now=deps.clock())
        return
    person = Person(user, event.get("user_team") or event.get("team"))
    with deps.db.session() as s:
        if not claim_event(s, body, deps.clock()):
            return
        adoption.record_activity_in_channel(s, channel=channel, user=user, now=deps.clock())
        support_issue = issues.issue_for_support_thread(s, channel, thread_ts)
        if support_issue is not None:
            if text.lstrip().startswith(">>") and deps.roles.is_vendor(person):
                issues.relay_to_customer(s, issue=support_issue, author=user, text=text, message_ts=ts,
                                         now=deps.clock())
            return
        if s.exec(select(Issue.id).where(Issue.source_key == f"msg:{channel}:{ts}")).first() is not None:
            return  # the message that became an issue (a mention in the thread) is its card, not a reply
        # A mention of the bot is judged as on_mention judges it (a new report unless it is the author's own
        # issue or names one), so one message never both files an issue and lands on another's card.
        bot = context.get("bot_user_id")
        mentions_bot = bool(bot) and f"<@{bot}" in text
        customer_issue = issues.issue_for_customer_reply(s, channel=channel, thread_ts=thread_ts, author=user,
                                                         text=text, strict=mentions_bot)
        if customer_issue is not None:
            issues.relay_to_support(s, issue=customer_issue, author=user, text=text, message_ts=ts, now=deps.clock())


ISSUE_NUMBER = re.compile(r"#?(\d{1,9})")


def slash_issue(deps: Deps, body: dict, rest: str) -> str:
    """`/golive issue TEXT` files an issue; `/golive issue N` (or `#N`) shows issue N's timeline (staff)."""
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        return "Only the vendor's team can use /golive issue; use the Report a problem button instead."
    if not rest.strip():
        return issues.USAGE
    channel = body.get("channel_id")
    number = ISSUE_NUMBER.fullmatch(rest.strip())
    if number is not None:
        try:
            with deps.db.read() as s:
                launch = _launch_here(s, channel)
                issue = issues.issue_by_number(s, launch.id, int(number.group(1)))
                return timeline_text(launch, issue, issues.timeline(s, issue.id), launch.timezone)
        except GoliveError as err:
            return str(err)
    with deps.db.session() as s:
        launch = _launch_here(s, channel)
        reported = issues.open_issue(
            s, launch=launch, text=rest, reporter=person.user_id, reporter_team=person.team_id,
            source="slash command", source_key=f"cmd:{body.get('trigger_id') or time.time_ns()}", now=deps.clock(),
            source_channel=channel)
        number = reported.issue.number
    return f"Recorded issue *#{number}* for {escape(launch.customer)}; support has it."


def slash_issues(deps: Deps, body: dict, rest: str) -> str:
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        return "Only the vendor's team can list issues here."
    with deps.db.session() as s:
        launch = _launch_here(s, body.get("channel_id"))
        return issues.open_issues_text(s, launch, deps.clock())


# -- triage -----------------------------------------------------------------------------------------


def _triage_context(deps: Deps, s, body: dict) -> tuple[Issue, Launch, Person]:  # noqa: ANN001
    """The issue a triage control belongs to: buttons carry its id as value; the select's block is
    named after it."""
    person = person_from(body)
    actions = body.get("actions") if isinstance(body.get("actions"), list) else [{}]
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    if action.get("action_id") == ActionId.ISSUE_SEVERITY:
        ref = str(action.get("block_id", "")).removeprefix("issue_triage_")
    else:
        ref = _value(body)
    issue = issues.get_issue(s, ref)
    launch = s.get(Launch, issue.launch_id)
    return issue, launch, person


def _know_support_channels(deps: Deps, body: dict, issue_ref: object = None) -> None:
    """Before a triage decision: the support channels' members in the stored directory, read from Slack
    once if golive never has (no session is open here; the decision itself reads local data only)."""
    with deps.db.read() as s:
        try:
            issue = issues.get_issue(s, issue_ref) if issue_ref is not None else _triage_context(deps, s, body)[0]
        except GoliveError:
            return  # the decision will say what is wrong
        launch = s.get(Launch, issue.launch_id)
        channels = {issue.support_channel, launch.support_channel if launch else None,
                    launch.urgent_channel if launch else None}
    for channel in sorted(c for c in channels if c):
        deps.directory.lookup_members(channel)


def on_ack(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    _know_support_channels(deps, body)
    with deps.db.session() as s:
        issue, launch, person = _triage_context(deps, s, body)
        if not deps.roles.is_support(launch, person, channel_members(deps), (issue.support_channel,)):
            raise NotAllowed("Only support staff (members of the support channel) can acknowledge. "
                             "Nothing was changed.")
        issues.acknowledge(s, issue=issue, actor=person.user_id, now=deps.clock())
        number = issue.number
    respond(text=f"You acknowledged issue #{number}; the reporter has been told.", response_type="ephemeral",
            replace_original=False)


def on_severity(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    severity = _value(body)
    _know_support_channels(deps, body)
    with deps.db.session() as s:
        issue, launch, person = _triage_context(deps, s, body)
        allowed = deps.roles.may_manage(s, launch, person) or deps.roles.is_support(
            launch, person, channel_members(deps), (issue.support_channel,))
        if not allowed:
            raise NotAllowed("Only the launch's CSMs, admins and support staff can change severity. "
                             "Nothing was changed.")
        issues.change_severity(s, issue=issue, severity=severity, actor=person.user_id, now=deps.clock())


def _may_resolve(deps: Deps, s, issue, launch, person) -> bool:  # noqa: ANN001
    return deps.roles.may_manage(s, launch, person) or deps.roles.is_support(
        launch, person, channel_members(deps), (issue.support_channel,))


def open_resolve_modal(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    ack()
    # The trigger lives about 3 s: decide from stored data only (checked again on submit), then open.
    with deps.db.read() as s:
        issue, launch, person = _triage_context(deps, s, body)
        if not _may_resolve(deps, s, issue, launch, person):
            raise NotAllowed("Only support staff, the launch's CSMs and admins can resolve. Nothing was changed.")
        if issue.status == IssueStatus.RESOLVED:
            raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
        number, issue_id = issue.number, issue.id
    client.views_open(trigger_id=body.get("trigger_id"), view=resolve_modal(number, issue_id))


def submit_resolve(ack: Ack, body: dict, view: dict, deps: Deps) -> None:  # noqa: ANN001
    meta = modals.unpack(view)
    note = modals.values(view).get("note")
    _know_support_channels(deps, body, meta.get("issue"))
    try:
        with deps.db.session() as s:
            issue = issues.get_issue(s, meta.get("issue"))
            launch = s.get(Launch, issue.launch_id)
            person = person_from(body)
            if not _may_resolve(deps, s, issue, launch, person):
                raise NotAllowed("Only support staff, the launch's CSMs and admins can resolve.")
            issues.resolve(s, issue=issue, actor=person.user_id, note=note, now=deps.clock())
    except GoliveError as err:
        ack(response_action="errors", errors={"note": str(err)[:150]})
        return
    ack()


def on_satisfaction(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    ack()
    person = person_from(body)
    with deps.db.session() as s:
        issue = issues.record_satisfaction(s, value=_value(body), user=person.user_id, now=deps.clock(),
                                           locale=deps.settings.locale)
        verdict = issue.satisfaction
        launch = s.get(Launch, issue.launch_id)
        t = translator(launch.locale if launch is not None else DEFAULT_LOCALE)
    respond(text=satisfaction_thanks(verdict, t), response_type="ephemeral", replace_original=False)


def on_reopen(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    """*Reopen* on the 👎 DM (or the card's thread): the launch's CSMs, admins and support staff."""
    ack()
    _know_support_channels(deps, body, _value(body))
    with deps.db.session() as s:
        issue = issues.get_issue(s, _value(body))
        launch = s.get(Launch, issue.launch_id)
        person = person_from(body)
        if not _may_resolve(deps, s, issue, launch, person):
            raise NotAllowed("Only the launch's CSMs, admins and support staff can reopen an issue. "
                             "Nothing was changed.")
        issues.reopen(s, issue=issue, actor=person.user_id, now=deps.clock())
        number = issue.number
    respond(text=f"Issue #{number} is open again; support and the reporter have been told.",
            response_type="ephemeral", replace_original=False)


def open_blocked_details(ack: Ack, body: dict, deps: Deps, client) -> None:  # noqa: ANN001
    """*Tell us what's blocking you* under a Blocked answer's issue: the reporter's small form."""
    ack()
    person = person_from(body)
    with deps.db.read() as s:
        issue = issues.get_issue(s, _value(body))
        if issue.reporter != person.user_id:
            raise NotAllowed(N_("This question is for <@{reporter}>, who reported issue #{number}. To report "
                                "your own problem, use *Report a problem*."),
                             reporter=issue.reporter, number=issue.number)
        if issue.status == IssueStatus.RESOLVED:
            raise InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)
        number, issue_id = issue.number, issue.id
        launch = s.get(Launch, issue.launch_id)
        t = translator(launch.locale if launch is not None else "en")
    client.views_open(trigger_id=body.get("trigger_id"), view=blocked_details_modal(number, issue_id, t))


def submit_blocked_details(ack: Ack, body: dict, view: dict, deps: Deps) -> None:  # noqa: ANN001
    meta = modals.unpack(view)
    values = modals.values(view)
    text = values.get("text") or ""
    impact = values.get("impact")
    t = _issue_translator(deps, meta.get("issue"))
    if not text.strip():
        ack(response_action="errors", errors={"text": t.gettext("Please say in a few words what is blocking you.")})
        return
    if impact not in dict((v, k) for k, v in BLOCKED_IMPACT):
        ack(response_action="errors", errors={"impact": t.gettext("Please say whether it stops your work.")})
        return
    try:
        with deps.db.session() as s:
            issue = issues.get_issue(s, meta.get("issue"))
            issues.add_blocked_details(s, issue=issue, user=person_from(body).user_id, text=text,
                                       blocking=impact == "sev1", now=deps.clock())
    except GoliveError as err:
        ack(response_action="errors", errors={"text": err.text(t)[:150]})
        return
    ack()


def on_same_problem(ack: Ack, body: dict, deps: Deps, respond) -> None:  # noqa: ANN001
    """*Same problem as #N* on a support card: support staff link the new issue to the one it repeats."""
    ack()
    issue_ref, _, target_ref = _value(body).partition(":")
    _know_support_channels(deps, body, issue_ref)
    with deps.db.session() as s:
        issue = issues.get_issue(s, issue_ref)
        launch = s.get(Launch, issue.launch_id)
        person = person_from(body)
        if not deps.roles.is_support(launch, person, channel_members(deps), (issue.support_channel,)):
            raise NotAllowed("Only support staff (members of the support channel) can link issues. "
                             "Nothing was changed.")
        parent = issues.link_same_problem(s, issue=issue, target_ref=target_ref, actor=person.user_id,
                                          now=deps.clock())
        number, parent_number = issue.number, parent.number
    respond(text=f"Issue #{number} now follows #{parent_number}: its reporter hears when #{parent_number} moves.",
            response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(ActionId.ISSUE_REPORT_OPEN)(open_report_modal)
    app.shortcut(CallbackId.REPORT_ISSUE_SHORTCUT)(open_shortcut_modal)
    app.view(CallbackId.REPORT_ISSUE_MODAL)(submit_report)
    app.event("app_mention")(on_mention)
    app.event("reaction_added")(on_reaction)
    app.event("message")(on_message)
    app.action(ActionId.ISSUE_ACK)(on_ack)
    app.action(ActionId.ISSUE_SEVERITY)(on_severity)
    app.action(ActionId.ISSUE_RESOLVE)(open_resolve_modal)
    app.view(CallbackId.RESOLVE_MODAL)(submit_resolve)
    app.action(ActionId.ISSUE_SATISFIED)(on_satisfaction)
    app.action(ActionId.ISSUE_UNSATISFIED)(on_satisfaction)
    app.action(ActionId.ISSUE_REOPEN)(on_reopen)
    app.action(ActionId.ISSUE_BLOCKED_DETAILS)(open_blocked_details)
    app.view(CallbackId.BLOCKED_DETAILS_MODAL)(submit_blocked_details)
    app.action(ActionId.ISSUE_SAME)(on_same_problem)


# `/golive` subcommands this surface answers (merged into the command in handlers/__init__.py).
SUBCOMMANDS: dict[str, Subcommand] = {"issue": slash_issue, "issues": slash_issues}
