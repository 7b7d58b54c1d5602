"""Issues: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import blocks as modals
from bot.core.i18n import DEFAULT_LOCALE, NP_, Translator, translator
from bot.core.ids import ActionId, CallbackId
from bot.core.text import clip, escape, mention, user_text
from bot.features.issues.model import SEVERITIES, SEVERITY_EMOJI, SEVERITY_LABELS
from storage.models import Issue, IssueEvent, IssueStatus, Launch

# TRANSLATORS: severity options of a problem report, in the reporter's words.
HOW_BAD = [(NP_("option", "Blocking me"), "sev1"), (NP_("option", "Slowing me down"), "sev2"),
           (NP_("option", "A question"), "sev3")]


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def report_modal(metadata: dict, initial_text: str = "", t: Translator | None = None) -> dict:
    """The *Report a problem* form in the launch's language; `initial_text` (a message's text) is kept whole."""
    t = _english(t)
    options = [modals.option(t.pgettext("option", label), value) for label, value in HOW_BAD]
    text_element: dict[str, Any] = {
        "type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 3000,
        "placeholder": modals.plain(t.gettext("What were you doing, and what went wrong?"))}
    if initial_text:
        text_element["initial_value"] = initial_text[:3000]
    return {
        "type": "modal", "callback_id": CallbackId.REPORT_ISSUE_MODAL,
        "title": modals.plain(t.pgettext("modal-title", "Report a problem")),
        "submit": modals.plain(t.pgettext("modal-button", "Send to support")),
        "close": modals.plain(t.pgettext("modal-button", "Cancel")),
        "private_metadata": modals.pack(metadata),
        "blocks": [
            {"type": "input", "block_id": "text", "label": modals.plain(t.gettext("What happened?")),
             "element": text_element},
            {"type": "input", "block_id": "severity", "label": modals.plain(t.gettext("How bad is it?")),
             "element": {"type": "radio_buttons", "action_id": "severity", "options": options,
                         "initial_option": options[1]}},
        ],
    }


# The severities as support reads them on the card's select (vendor-facing: GOLIVE_LOCALE).
SEVERITY_OPTIONS = {"sev1": NP_("option", "sev1 · blocking"), "sev2": NP_("option", "sev2 · slowing down"),
                    "sev3": NP_("option", "sev3 · question")}


def severity_label(severity: str, t: Translator | None = None) -> str:
    label = SEVERITY_OPTIONS.get(severity)
    return _english(t).pgettext("option", label) if label else SEVERITY_LABELS.get(severity, severity)


def card_blocks(launch: Launch, issue: Issue, permalink: str | None, *, looks_like: int | None = None,
                parent: int | None = None, followers: int = 0, t: Translator | None = None) -> list[dict]:
    """The support card, in the vendor's language (`t`: GOLIVE_LOCALE). `looks_like`: the number of an open
    issue this one reads like (offered with a *Same problem* button); `parent`: the number of the issue it is
    linked to; `followers`: issues linked to this one. What the customer wrote is shown as written."""
    t = _english(t)
    status = IssueStatus(issue.status)
    if status == IssueStatus.OPEN:
        state = t.gettext(":hourglass_flowing_sand: open, not acknowledged")
    elif status == IssueStatus.ACKNOWLEDGED:
        state = t.gettext(":eyes: acknowledged by {person}", person=mention(issue.acknowledged_by or ""))
    else:
        state = t.gettext(":white_check_mark: resolved by {person}", person=mention(issue.resolved_by or ""))
    if permalink:
        # TRANSLATORS: keep <{url}|…>: Slack shows the text after | as the link.
        source = t.gettext("<{url}|source message>", url=permalink)
    else:
        source = t.gettext("via {source}", source=escape(issue.source))
    # TRANSLATORS: the support card's first lines; {severity} is e.g. "sev2 · slowing down".
    header = t.gettext("{emoji} *Issue #{number}* · *{customer}* · {severity}\nReported by {reporter} · {source} · "
                       "{state}", emoji=SEVERITY_EMOJI[issue.severity], number=issue.number,
                       customer=escape(launch.customer), severity=severity_label(issue.severity, t),
                       reporter=mention(issue.reporter), source=source, state=state)
    if issue.escalation_count:
        header = t.gettext("{header} · escalated {count}×", header=header,
                           count=t.format_number(issue.escalation_count))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "issue_header", "text": {"type": "mrkdwn", "text": header}},
        {"type": "section", "block_id": "issue_text", "text": {"type": "mrkdwn", "text": user_text(issue.text, 2900)}},
    ]
    if issue.resolution:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": t.gettext("Resolution: {note}", note=user_text(issue.resolution, 2800))}]})
    if parent is not None:
        blocks.append({"type": "context", "block_id": "issue_parent", "elements": [{"type": "mrkdwn", "text": t.gettext(
            ":link: Same problem as *#{parent}*: it follows #{parent} (its reporter hears when #{parent} is "
            "acknowledged or resolved).", parent=parent)}]})
    elif looks_like is not None and issue.status != IssueStatus.RESOLVED:
        blocks.append({"type": "section", "block_id": "issue_looks_like",
                       "text": {"type": "mrkdwn",
                                "text": t.gettext(":mag: Looks like *#{number}*.", number=looks_like)},
                       "accessory": {"type": "button", "action_id": ActionId.ISSUE_SAME,
                                     "value": f"{issue.id}:{issue.looks_like_id}",
                                     "text": {"type": "plain_text", "text": t.pgettext(
                                         "button", "Same problem as #{number}", number=looks_like)}}})
    if followers:
        blocks.append({"type": "context", "block_id": "issue_followers", "elements": [{"type": "mrkdwn", "text": (
            t.ngettext(":busts_in_silhouette: {count} more report linked as the same problem.",
                       ":busts_in_silhouette: {count} more reports linked as the same problem.", followers))}]})
    if issue.status != IssueStatus.RESOLVED:
        options = [{"text": {"type": "plain_text", "text": severity_label(s, t)}, "value": s} for s in SEVERITIES]
        elements: list[dict[str, Any]] = []
        if issue.status == IssueStatus.OPEN:
            elements.append({"type": "button", "action_id": ActionId.ISSUE_ACK, "value": str(issue.id),
                             "style": "primary", "text": {"type": "plain_text",
                                                          "text": t.pgettext("button", "Acknowledge")}})
        elements.append({"type": "button", "action_id": ActionId.ISSUE_RESOLVE, "value": str(issue.id),
                         "text": {"type": "plain_text", "text": t.pgettext("button", "Resolve")}})
        elements.append({"type": "static_select", "action_id": ActionId.ISSUE_SEVERITY, "options": options,
                         "initial_option": options[SEVERITIES.index(issue.severity)],
                         "placeholder": {"type": "plain_text", "text": t.pgettext("option", "Severity")}})
        blocks.append({"type": "actions", "block_id": f"issue_triage_{issue.id}", "elements": elements})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": t.gettext(
        "Reply in this thread starting with `>>` to answer the customer; other replies stay internal.")}]})
    return blocks


def card_summary(launch: Launch, issue: Issue, t: Translator | None = None) -> str:
    """The support card's notification text, in the vendor's language."""
    return _english(t).gettext("Issue #{number} · {customer} · {severity} · reported by {reporter}: {text}",
                               number=issue.number, customer=escape(launch.customer), severity=issue.severity,
                               reporter=mention(issue.reporter), text=user_text(clip(issue.text, 300), 400))


def resolve_modal(number: int, issue_id: int) -> dict:
    """The *Resolve* form: an optional resolution note the customer sees."""
    return {
        "type": "modal", "callback_id": CallbackId.RESOLVE_MODAL, "title": modals.plain(f"Resolve #{number}"),
        "submit": modals.plain("Resolve"), "close": modals.plain("Cancel"),
        "private_metadata": modals.pack({"issue": issue_id}),
        "blocks": [{"type": "input", "block_id": "note", "optional": True,
                    "label": modals.plain("Resolution (the customer sees this)"),
                    "element": {"type": "plain_text_input", "action_id": "note", "multiline": True,
                                "max_length": 3000}}],
    }


# -- the customer's own thread ----------------------------------------------------------------------


def reported_text(reporter: str, number: int, customer: str, t: Translator | None = None) -> str:
    # TRANSLATORS: the reply to a report in its thread; keep <@{reporter}> (a mention) and the # before {number}.
    return _english(t).gettext("Thanks <@{reporter}> — this is issue *#{number}* for {customer}. Our support team "
                               "has it and will follow up in this thread.",
                               reporter=reporter, number=number, customer=escape(customer))


def blocked_notice(reporter: str, number: int, customer: str, issue_id: int,
                   t: Translator | None = None) -> tuple[str, list[dict]]:
    """The reply a *Blocked* answer gets in the check-in thread: the issue it became, and what blocks them."""
    t = _english(t)
    text = t.gettext("{reported}\n*What is blocking you?* Tell us in a few words (or reply here) — if it stops "
                     "your work, support treats it as urgent.", reported=reported_text(reporter, number, customer, t))
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"blocked_{issue_id}", "elements": [
            {"type": "button", "action_id": ActionId.ISSUE_BLOCKED_DETAILS, "value": str(issue_id),
             "style": "primary", "text": modals.plain(t.pgettext("button", "Tell us what's blocking you"))}]},
    ]
    return text, blocks


# The answers of the *Blocked* form, with the report form's wording, so "Blocking me" is sev1 in both.
BLOCKED_IMPACT = HOW_BAD[:2]


def blocked_details_modal(number: int, issue_id: int, t: Translator | None = None) -> dict:
    t = _english(t)
    options = [modals.option(t.pgettext("option", label), value) for label, value in BLOCKED_IMPACT]
    return {
        "type": "modal", "callback_id": CallbackId.BLOCKED_DETAILS_MODAL,
        "title": modals.plain(t.pgettext("modal-title", "Issue #{number}", number=number)),
        "submit": modals.plain(t.pgettext("modal-button", "Send to support")),
        "close": modals.plain(t.pgettext("modal-button", "Cancel")),
        "private_metadata": modals.pack({"issue": issue_id}),
        "blocks": [
            {"type": "input", "block_id": "text", "label": modals.plain(t.gettext("What is blocking you?")),
             "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 3000,
                         "placeholder": modals.plain(t.gettext("What were you trying to do, and what stopped you?"))}},
            {"type": "input", "block_id": "impact", "label": modals.plain(t.gettext("Does it stop your work?")),
             "element": {"type": "radio_buttons", "action_id": "impact", "options": options}},
        ],
    }


# -- closing the loop with the CSMs -------------------------------------------------------------------


def unsatisfied_blocks(launch: Launch, issue: Issue, t: Translator | None = None) -> tuple[str, list[dict]]:
    """The DM each CSM gets on a 👎: the issue, its resolution, and a way to reopen it, in the CSM's language
    (`t`: their Slack locale, else GOLIVE_LOCALE). The reporter's and resolver's words are shown as written."""
    t = _english(t)
    text = t.gettext(":thumbsdown: <@{reporter}> says the fix for issue *#{number}* ({customer}) did not really help.",
                     reporter=issue.reporter, number=issue.number, customer=escape(launch.customer))
    body = t.gettext("*Problem:* {text}", text=user_text(clip(issue.text, 1200), 1400))
    resolution = (t.gettext("*Resolution* (by <@{resolver}>): {note}", resolver=issue.resolved_by,
                            note=user_text(clip(issue.resolution, 1200), 1400))
                  if issue.resolution else
                  t.gettext("*Resolution:* resolved by <@{resolver}> without a note.", resolver=issue.resolved_by))
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        {"type": "section", "text": {"type": "mrkdwn", "text": resolution}},
        {"type": "actions", "block_id": f"reopen_{issue.id}", "elements": [
            {"type": "button", "action_id": ActionId.ISSUE_REOPEN, "value": str(issue.id), "style": "danger",
             "text": modals.plain(t.pgettext("button", "Reopen #{number}", number=issue.number))}]},
    ]
    return text, blocks


# -- the timeline ---------------------------------------------------------------------------------------


def timeline_text(launch: Launch, issue: Issue, events: list[IssueEvent], zone: str) -> str:
    """`/golive issue N`: the issue's story, oldest first, in the launch's time zone."""
    tz = ZoneInfo(zone)
    lines = [f"*Issue #{issue.number}* · {escape(launch.customer)} · {issue.severity} · {issue.status}",
             user_text(clip(issue.text, 300), 400)]
    if issue.parent_id is not None:
        lines.append("_Linked: it follows the issue it repeats._")
    for event in events[:60]:
        at = _english(None).format_short_datetime(event.at, tz)
        who = f" <@{event.actor}>" if event.actor else ""
        detail = f" — {user_text(clip(event.detail, 200), 260)}" if event.detail else ""
        lines.append(f"• {at}{who} {escape(event.kind)}{detail}")
    if len(events) > 60:
        lines.append(f"…and {len(events) - 60} more events (`golive export` has them all).")
    return clip("\n".join(lines), 2900)


# -- what the reporter hears in their thread, in the launch's language --------------------------------


def acknowledged_text(reporter: str, number: int, actor: str, t: Translator | None = None) -> str:
    # TRANSLATORS: to the reporter in their thread; <@{reporter}> and <@{actor}> are mentions.
    return _english(t).gettext("<@{reporter}> issue *#{number}* has been picked up by our support team (<@{actor}>). "
                               "We will keep you posted here.", reporter=reporter, number=number, actor=actor)


def resolved_message(reporter: str, number: int, issue_id: int, note: str | None,
                     t: Translator | None = None) -> tuple[str, list[dict]]:
    """The resolution in the reporter's thread, with the satisfaction question (*Helpful* / *Not really*).
    The support engineer's note is shown as written."""
    t = _english(t)
    # TRANSLATORS: to the reporter in their thread when support resolves their issue.
    text = t.gettext("<@{reporter}> issue *#{number}* is resolved.", reporter=reporter, number=number)
    if note:
        # TRANSLATORS: {resolved} is the line above; {note} is the support engineer's note, shown as written.
        text = t.gettext("{resolved}\n{note}", resolved=text, note=user_text(note, 2500))
    question = t.gettext("How did we do?")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"satisfaction_{issue_id}", "elements": [
            {"type": "button", "action_id": ActionId.ISSUE_SATISFIED, "value": f"{issue_id}:up",
             "text": {"type": "plain_text", "text": t.pgettext("button", ":thumbsup: Helpful"), "emoji": True}},
            {"type": "button", "action_id": ActionId.ISSUE_UNSATISFIED, "value": f"{issue_id}:down",
             "text": {"type": "plain_text", "text": t.pgettext("button", ":thumbsdown: Not really"), "emoji": True}},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t.gettext("How did we do? One click tells us.")}]},
    ]
    # TRANSLATORS: the notification text of the resolution: {resolved} and then the question.
    return t.gettext("{resolved} {question}", resolved=text, question=question), blocks


def satisfaction_thanks(verdict: str, t: Translator | None = None) -> str:
    """The reporter's ephemeral answer to a click on *Helpful* / *Not really*."""
    t = _english(t)
    if verdict == "up":
        return t.gettext("Thanks for telling us!")
    return t.gettext("Thanks — sorry it was not better; your CSM will hear about it.")


def reopened_text(reporter: str, number: int, t: Translator | None = None) -> str:
    return _english(t).gettext("<@{reporter}> issue *#{number}* is open again: support is back on it.",
                               reporter=reporter, number=number)


def details_received_text(reporter: str, number: int, blocking: bool, t: Translator | None = None) -> str:
    t = _english(t)
    if blocking:
        return t.gettext("Thanks <@{reporter}> — support has the details of issue *#{number}* and treats it as "
                         "urgent.", reporter=reporter, number=number)
    return t.gettext("Thanks <@{reporter}> — support has the details of issue *#{number}*.",
                     reporter=reporter, number=number)


def linked_text(reporter: str, number: int, root: int, t: Translator | None = None) -> str:
    # TRANSLATORS: {root} is the number of the other issue; keep the # before it.
    return _english(t).gettext("<@{reporter}> support found that issue *#{number}* is the same problem as #{root}, "
                               "reported by someone else: you will hear here as soon as it moves.",
                               reporter=reporter, number=number, root=root)


def relayed_to_customer(author: str, reporter: str, number: int, body: str, t: Translator | None = None) -> str:
    """A support engineer's `>>` reply in the customer's thread: a header, then their words as written."""
    # TRANSLATORS: header of a support engineer's reply relayed to the customer; {body} is their text as written.
    return _english(t).gettext("*<@{author}> from support* to <@{reporter}> (issue #{number}):\n{body}",
                               author=author, reporter=reporter, number=number, body=user_text(body, 2800))


def update_reminder_text(number: int, minutes: int, t: Translator) -> str:
    """In the support thread of an open sev1 nobody has updated the customer on lately (GOLIVE_LOCALE)."""
    return t.gettext(":bell: sev1 issue #{number} is still open and the customer has not heard from us for {minutes} "
                     "min. Reply here with `>>` to update them.", number=number, minutes=t.format_number(minutes))


def escalation_text(launch: Any, issue: Any, step: int, waited: timedelta, *, paged: str, every: int,
                    t: Translator | None = None) -> str:
    """An escalation page (the urgent/support channel and each CSM), in the vendor's language (`t`:
    GOLIVE_LOCALE). `launch` and `issue` may be plain rows; `paged` is the mentions, `every` the SLA minutes
    the ladder keeps paging at past its last step. The issue's text is shown whole up to 300 characters."""
    t = _english(t)
    values = {"paged": paged, "step": step, "steps": launch.escalation_steps, "every": every,
              "number": issue.number, "customer": escape(launch.customer), "severity": issue.severity,
              "minutes": int(waited.total_seconds() // 60),
              "channel": f"<#{issue.support_channel or launch.support_channel or launch.channel}>"}
    if step <= launch.escalation_steps:
        head = t.gettext(":rotating_light: {paged}*Escalation {step}/{steps}*: issue #{number} for *{customer}* "
                         "({severity}) has waited {minutes} min without acknowledgement. Open it in {channel}.",
                         **values)
    else:
        head = t.gettext(":rotating_light: {paged}*Escalation {step}* (past the last step: paging every {every} min "
                         "until someone acknowledges): issue #{number} for *{customer}* ({severity}) has waited "
                         "{minutes} min without acknowledgement. Open it in {channel}.", **values)
    return f"{head}\n{user_text(clip(issue.text, 300), 400)}"
