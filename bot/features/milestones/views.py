"""Milestones: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import blocks as modals
from bot.core.i18n import DEFAULT_LOCALE, NP_, Translator, translator
from bot.core.text import clip, escape, mention, user_text
from bot.features.help_post.views import report_button, ways_to_get_help
from bot.features.milestones.model import (
    CHECKBOXES_PER_BLOCK,
    GOAL_LABELS,
    GOAL_STATES,
    MAX_REASON,
    MilestoneAction,
    MilestoneCallback,
)
from bot.features.milestones.week import ACTIVE_DAYS, Adoption, WeekFacts, percent, themes_text, week_lines
from storage.models import (
    Goal,
    Launch,
    ReadinessItem,
)


def live_confirm_modal(launch: Launch, open_items: list) -> dict:  # noqa: ANN001
    listed = "\n".join(f"• {user_text(i.text, 200)}" for i in open_items[:20])
    return {
        "type": "modal", "callback_id": MilestoneCallback.LIVE_CONFIRM, "title": modals.plain("Go live anyway?"),
        "submit": modals.plain("Go live"), "close": modals.plain("Cancel"),
        "private_metadata": modals.pack({"launch": launch.id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"*{escape(launch.customer)}* still has {len(open_items)} open go-live "
                f"criteri{'on' if len(open_items) == 1 else 'a'}:\n{listed}")[:2900]}},
            {"type": "input", "block_id": "reason", "label": modals.plain("Why go live now?"),
             "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True,
                         "max_length": MAX_REASON}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": (
                "The reason is recorded and sent to the launch's CSMs. The customer never sees it.")}]},
        ],
    }


def checklist_blocks(launch: Launch, items: list[ReadinessItem]) -> list[dict[str, Any]]:
    """The checklist with checkboxes (for the people who may tick), ten items to a block."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn",
                                                               "text": checklist_summary(launch, items)}}]
    for start in range(0, len(items), CHECKBOXES_PER_BLOCK):
        chunk = items[start:start + CHECKBOXES_PER_BLOCK]
        options = []
        for item in chunk:
            option: dict[str, Any] = {"text": {"type": "mrkdwn", "text": user_text(item.text, 75)},
                                      "value": str(item.id)}
            detail = item_detail(item, launch.timezone)
            if detail:
                option["description"] = {"type": "mrkdwn", "text": clip(detail, 75)}
            options.append(option)
        element: dict[str, Any] = {"type": "checkboxes", "action_id": MilestoneAction.READINESS_TOGGLE,
                                   "options": options}
        initial = [o for o, item in zip(options, chunk, strict=True) if item.done]
        if initial:
            element["initial_options"] = initial
        blocks.append({"type": "actions", "block_id": block_id_for(launch.id, chunk), "elements": [element]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Ticking records who and when. When everything is ticked, declare the launch live with `/golive live`.")}]})
    return blocks[:50]


def customer_live_blocks(launch: Launch, t: Translator | None = None) -> list[dict[str, Any]]:
    """The launch-day post in the customer channel, in the launch's language (`t`): how to get help and where
    the fallback procedure is."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if launch.fallback_doc:
        url = escape(launch.fallback_doc).replace("|", "%7C")
        # TRANSLATORS: keep <{url}|…>: Slack shows the text after | as the link.
        fallback = t.gettext("If you ever need to fall back, the agreed procedure is here: <{url}|fallback "
                             "procedure>.", url=url)
    else:
        fallback = t.gettext("If you ever need to fall back, your CSM has the agreed fallback procedure.")
    text = t.gettext(":tada: *We are live, {customer}!* Thank you all for getting here.\n*How to get help:*\n"
                     "{ways}\n{fallback}", customer=escape(launch.customer), ways=ways_to_get_help(launch, t),
                     fallback=fallback)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, report_button(f"live:{launch.id}", t)]


def customer_live_fallback(launch: Launch, t: Translator | None = None) -> str:
    t = t if t is not None else translator(DEFAULT_LOCALE)
    return t.gettext("We are live, {customer}! Here is how to get help.", customer=launch.customer)


def goal_label(state: str, t: Translator | None = None) -> str:
    t = t if t is not None else translator(DEFAULT_LOCALE)
    return t.gettext(GOAL_LABELS[state]) if state in GOAL_LABELS else state


# TRANSLATORS: buttons that set a 30-day goal's state.
GOAL_BUTTONS = ((MilestoneAction.GOAL_MET, NP_("button", "Met")),
                (MilestoneAction.GOAL_NOT_MET, NP_("button", "Not met")),
                (MilestoneAction.GOAL_IN_PROGRESS, NP_("button", "In progress")))


def goal_review_blocks(launch: Launch, goals: list[Goal], *, confirmed: bool,
                       t: Translator | None = None) -> list[dict[str, Any]]:
    """The 30-day review a CSM gets, in their language (`t`: their Slack locale, else GOLIVE_LOCALE)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    where = f"<#{launch.leadership_channel}>" if launch.leadership_channel else t.gettext("the leadership channel")
    customer = escape(launch.customer)
    head = (t.gettext(":dart: *30-day review — {customer}*\nThe outcome has been posted to {where}.",
                      customer=customer, where=where) if confirmed else
            t.gettext(":dart: *30-day review — {customer}*\nHow did the first 30 days go? Set each goal, then "
                      "*Confirm*; the outcome goes to {where}.", customer=customer, where=where))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    for n, goal in enumerate(goals[:20], start=1):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f"*{n}.* {user_text(goal.text, 600)}\n{goal_label(goal.state, t)}", 2900)}})
        if not confirmed:
            blocks.append({"type": "actions", "block_id": f"goal:{goal.id}", "elements": [
                {"type": "button", "action_id": action, "value": str(goal.id),
                 "text": {"type": "plain_text", "text": t.pgettext("button", label)},
                 **({"style": "primary"} if goal.state == GOAL_STATES[action] else {})}
                for action, label in GOAL_BUTTONS]})
    if not confirmed:
        blocks.append({"type": "actions", "block_id": f"goals_confirm:{launch.id}", "elements": [
            {"type": "button", "action_id": MilestoneAction.GOALS_CONFIRM, "value": str(launch.id),
             "style": "primary", "text": {"type": "plain_text", "text": t.pgettext("button", "Confirm and post")}}]})
    return blocks


def goal_review_text(launch: Launch, *, confirmed: bool = False, t: Translator | None = None) -> str:
    """The notification text of the review DM (and of its updates)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if confirmed:
        return t.gettext("30-day review for {customer}: confirmed", customer=launch.customer)
    return t.gettext("30-day review for {customer}: how did the goals go?", customer=launch.customer)


def goal_review_waiting(t: Translator | None = None) -> dict[str, Any]:
    """Under a confirmed review whose outcome waits for a leadership channel."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t.gettext(
        "It waits until the launch has a leadership channel; see the note golive sent you.")}]}


def goal_outcome(launch: Launch, goals: list[Goal], leaders: list[str], actor: str,
                 usage: Adoption | None = None, t: Translator | None = None) -> tuple[str, list[dict]]:
    """The 30-day outcome for the customer's leadership, in the launch's language."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    hello = " ".join(mention(u) for u in leaders[:20])
    met = sum(g.state == "met" for g in goals)
    values = {"customer": escape(launch.customer), "met": met, "count": len(goals)}
    lines = [t.gettext(":dart: *30 days live — {customer}* {hello}", hello=hello, **values).rstrip(),
             t.ngettext("{met} of {count} goal for the first 30 days met:",
                        "{met} of {count} goals for the first 30 days met:", len(goals), met=met)]
    lines += [f"{goal_label(g.state, t)} — {user_text(g.text, 400)}" for g in goals[:20]]
    lines.append(adoption_line(usage, t))
    lines.append(t.gettext("_Reviewed by {actor}._", actor=mention(actor)))
    text = clip("\n".join(lines), 2900)
    summary = t.ngettext("30 days live: {customer} — {met} of {count} goal met. {hello}",
                         "30 days live: {customer} — {met} of {count} goals met. {hello}", len(goals),
                         customer=launch.customer, met=met, hello=hello)
    return clip(summary.rstrip(), 3900), [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def leadership_waiting_note(launch: Launch, what: str, t: Translator | None = None) -> str:
    """The DM to the CSMs when a leadership post waits for a channel, in their language."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    customer = escape(launch.customer)
    if what == "announcement":
        return t.gettext(":warning: The go-live announcement for *{customer}*'s leadership is waiting: the launch has "
                         "no leadership channel. Add `leadership_channel: C…` to the launch in your YAML file and run "
                         "`golive launch import FILE.yml`, and invite the bot there (`/invite @golive`). It goes out "
                         "once, as soon as the channel is set.", customer=customer)
    if what == "goals":
        return t.gettext(":warning: The 30-day goal outcome for *{customer}*'s leadership is waiting: the launch has "
                         "no leadership channel. Add `leadership_channel: C…` to the launch in your YAML file and run "
                         "`golive launch import FILE.yml`, and invite the bot there (`/invite @golive`). It goes out "
                         "once, as soon as the channel is set.", customer=customer)
    return t.gettext(":warning: The launch-week wrap-up for *{customer}*'s leadership is waiting: the launch has no "
                     "leadership channel. Add `leadership_channel: C…` to the launch in your YAML file and run "
                     "`golive launch import FILE.yml`, and invite the bot there (`/invite @golive`). It goes out "
                     "once, as soon as the channel is set.", customer=customer)


def block_id_for(launch_id: int, items: list[ReadinessItem]) -> str:
    return f"readiness:{launch_id}:" + ",".join(f"{i.id}{'+' if i.done else '-'}" for i in items)


def _when(instant: datetime | None, zone: str) -> str:
    return translator(DEFAULT_LOCALE).format_short_datetime(instant, zone) if instant else ""


def item_detail(item: ReadinessItem, zone: str) -> str:
    parts = []
    if item.owner:
        parts.append(f"owner {mention(item.owner)}")
    if item.changed_by:
        who = mention(item.changed_by) if re.fullmatch(r"[UW][A-Z0-9]+", item.changed_by) else item.changed_by
        parts.append(f"{'ticked' if item.done else 'unticked'} by {who} {_when(item.changed_at, zone)}")
    return " · ".join(parts)


def checklist_summary(launch: Launch, items: list[ReadinessItem]) -> str:
    done = sum(item.done for item in items)
    return (f"*Go-live checklist — {escape(launch.customer)}* · go-live "
            f"{translator(DEFAULT_LOCALE).format_short_day(launch.go_live_date)} · {done} of {len(items)} done")


# -- the posts to the customer's leadership -----------------------------------------------------------


def _who(user: str | None, t: Translator | None = None) -> str:
    if not user:
        return (t if t is not None else translator(DEFAULT_LOCALE)).gettext("someone")
    return mention(user) if re.fullmatch(r"[UW][A-Z0-9]+", user) else escape(user)


def support_hours_text(launch: Launch, t: Translator | None = None) -> str:
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if not launch.support_hours:
        return t.gettext("around the clock, every day")
    zone = launch.support_tz or launch.timezone
    return t.gettext("{hours} on business days ({zone})", hours=escape(launch.support_hours), zone=escape(zone))


def live_announcement_blocks(launch: Launch, items: list[ReadinessItem], goals: list[Goal], leaders: list[str],
                             now: datetime, t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    """What is true at go-live, for the customer's leadership in the launch's language (`t`): the criteria met
    and who signed them off, the fallback, support hours and the goals for the first 30 days. No launch-week
    numbers: the week has not happened yet. Criteria and goals are shown as the launch team wrote them."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    day = t.format_full_day(now.astimezone(ZoneInfo(launch.timezone)).date())
    hello = " ".join(mention(u) for u in leaders[:20])
    if hello:
        head = t.gettext(":tada: *We are live!* {leaders}\n*{customer}* went live on {day}.", leaders=hello,
                         customer=escape(launch.customer), day=day)
    else:
        head = t.gettext(":tada: *We are live!*\n*{customer}* went live on {day}.", customer=escape(launch.customer),
                         day=day)
    met = [i for i in items if i.done]
    signers: dict[str, int] = {}
    for item in met:
        signers[item.changed_by or ""] = signers.get(item.changed_by or "", 0) + 1
    if items:
        counts = {"met": t.format_number(len(met))}
        if met:
            people = ", ".join(f"{_who(u, t)} ({n})" for u, n in signers.items())
            lines = [t.ngettext("*Go-live criteria:* {met} of {count} met — signed off by {people}",
                                "*Go-live criteria:* {met} of {count} met — signed off by {people}", len(items),
                                people=people, **counts)]
        else:
            lines = [t.ngettext("*Go-live criteria:* {met} of {count} met", "*Go-live criteria:* {met} of {count} met",
                                len(items), **counts)]
        for i in met[:15]:
            if i.changed_at:
                lines.append(t.gettext(":white_check_mark: {criterion} — {person}, {when}",
                                       criterion=user_text(i.text, 200), person=_who(i.changed_by, t),
                                       when=t.format_short_datetime(i.changed_at, launch.timezone)))
            else:
                lines.append(t.gettext(":white_check_mark: {criterion} — {person}", criterion=user_text(i.text, 200),
                                       person=_who(i.changed_by, t)))
        lines += [t.gettext(":hourglass_flowing_sand: {criterion} — still in progress",
                            criterion=user_text(i.text, 200)) for i in items if not i.done][:10]
    else:
        lines = [t.gettext("*Go-live criteria:* none were set for this launch.")]
    fallback_item = next((i for i in items if i.key == "fallback_agreed"), None)
    if launch.fallback_doc:
        url = escape(launch.fallback_doc).replace("|", "%7C")
        # TRANSLATORS: keep <{url}|…>: Slack shows the text after | as the link.
        fallback = t.gettext("*Fallback:* agreed, see the <{url}|fallback procedure>.", url=url)
    elif fallback_item is not None and fallback_item.done:
        fallback = t.gettext("*Fallback:* agreed (signed off by {person}).", person=_who(fallback_item.changed_by, t))
    else:
        fallback = t.gettext("*Fallback:* not agreed yet — your CSM follows up.")
    channel = f"<#{launch.channel}>"
    support = t.gettext("*Support:* {hours}; report a problem in {channel}.", hours=support_hours_text(launch, t),
                        channel=channel)
    if goals:
        body = "\n".join(f"{n}. {user_text(g.text, 400)}" for n, g in enumerate(goals[:20], start=1))
        goals_text = t.gettext("*Here is what we expect to accomplish in the first 30 days:*\n{goals}", goals=body)
    else:
        goals_text = t.gettext("*Here is what we expect to accomplish in the first 30 days:*\n_Your CSM will share "
                               "the goals for the first 30 days shortly._")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(head, 2900)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 2900)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(f"{fallback}\n{support}", 2900)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(goals_text, 2900)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t.gettext(
            "How launch week went, in numbers, follows on the first business day after it.")}]},
    ]
    text = t.ngettext("We are live: {customer}. {met} of {count} go-live criterion met. {leaders}",
                      "We are live: {customer}. {met} of {count} go-live criteria met. {leaders}", len(items),
                      customer=launch.customer, met=t.format_number(len(met)), leaders=hello).strip()
    return clip(text, 3900), blocks


def wrapup_chart_words(customer: str, t: Translator) -> tuple[str, str]:
    """The wrap-up chart's file title and the comment it is shared with, in the launch's language."""
    return (t.gettext("{customer} — launch week", customer=customer),
            t.gettext(":bar_chart: {customer}: launch week, day by day — the wrap-up follows.", customer=customer))


def wrapup_blocks(launch: Launch, facts: WeekFacts, chart_note: str,
                  t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The launch-week wrap-up for the customer's leadership, in the launch's language (`t`)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    first, last = facts.by_day[0][1] if facts.by_day else None, facts.by_day[-1][1] if facts.by_day else None
    if first and last:
        head = t.gettext(":bar_chart: *Launch week wrap-up — {customer}* ({first} – {last})",
                         customer=escape(launch.customer), first=t.format_short_day(first, year=False),
                         last=t.format_short_day(last, year=False))
    else:
        head = t.gettext(":bar_chart: *Launch week wrap-up — {customer}*", customer=escape(launch.customer))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(head, 2900)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(week_lines(facts, t)), 2900)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(themes_text(facts.themes, t=t), 2900)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(chart_note, 2900)}]},
    ]
    text = t.gettext("Launch week wrap-up for {customer}: {answers} check-in answers, {issues} issues reported, "
                     "{resolved} resolved", customer=launch.customer, answers=t.format_number(facts.answers),
                     issues=t.format_number(facts.issues), resolved=t.format_number(facts.resolved))
    return clip(text, 3900), blocks


def adoption_line(adoption: Adoption | None, t: Translator | None = None) -> str:
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if adoption is None:
        return t.gettext("_Adoption: no product usage data was shared with golive._")
    return t.gettext("*Adoption:* {active} of {known} people used the product in the last {days} days ({percent}).",
                     active=adoption.active, known=adoption.known, days=ACTIVE_DAYS,
                     percent=percent(adoption.active, adoption.known, t))


# -- readiness reminders before go-live ---------------------------------------------------------------


def _open_lines(items: list[ReadinessItem], shown: int, size: int, t: Translator) -> str:
    lines = [f"• {user_text(i.text, size)}" for i in items[:shown]]
    if len(items) > shown:
        lines.append(t.ngettext("…and {count} more.", "…and {count} more.", len(items) - shown))
    return "\n".join(lines)


def readiness_channel_text(launch: Launch, items: list[ReadinessItem], days_before: int,
                           t: Translator | None = None) -> str:
    """The friendly readiness summary posted in the customer's channel before go-live, in the launch's
    language: how many criteria are done and which are still to do."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    still_open = [i for i in items if not i.done]
    values = {"customer": escape(launch.customer), "day": t.format_day(launch.go_live_date)}
    tomorrow = days_before == 1
    if not still_open:
        if tomorrow:
            text = t.gettext(":rocket: Go-live for *{customer}* is tomorrow ({day}), and every go-live criterion is "
                             "met. See you on the day!", **values)
        else:
            text = t.gettext(":rocket: Go-live for *{customer}* is in three business days ({day}), and every "
                             "go-live criterion is met. See you on the day!", **values)
        return clip(text, 3900)
    values |= {"done": t.format_number(len(items) - len(still_open)), "items": _open_lines(still_open, 15, 200, t)}
    if tomorrow:
        # TRANSLATORS: {items} is the list of open criteria, one "• …" line each, as the launch team wrote them.
        text = t.ngettext(
            ":rocket: Go-live for *{customer}* is tomorrow ({day})! {done} of {count} go-live criterion is done; "
            "still to do:\n{items}\nYour launch team is on it — shout here if you can help with any of them.",
            ":rocket: Go-live for *{customer}* is tomorrow ({day})! {done} of {count} go-live criteria are done; "
            "still to do:\n{items}\nYour launch team is on it — shout here if you can help with any of them.",
            len(items), **values)
    else:
        text = t.ngettext(
            ":rocket: Go-live for *{customer}* is in three business days ({day})! {done} of {count} go-live "
            "criterion is done; still to do:\n{items}\nYour launch team is on it — shout here if you can help with "
            "any of them.",
            ":rocket: Go-live for *{customer}* is in three business days ({day})! {done} of {count} go-live "
            "criteria are done; still to do:\n{items}\nYour launch team is on it — shout here if you can help with "
            "any of them.",
            len(items), **values)
    return clip(text, 3900)


def readiness_reminder_dm(launch: Launch, items: list[ReadinessItem], days_before: int,
                          t: Translator | None = None) -> str:
    """The CSM's readiness reminder by DM (vendor-facing: in the CSM's language): the open criteria with
    their keys and owners, and how to tick them."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    still_open = [i for i in items if not i.done]
    values = {"customer": escape(launch.customer), "day": t.format_day(launch.go_live_date),
              "channel": f"<#{launch.channel}>"}
    tomorrow = days_before == 1
    if not still_open:
        if tomorrow:
            text = t.ngettext(":white_check_mark: Go-live for *{customer}* is tomorrow ({day}) and its {count} "
                              "criterion is met. Declare it live with `/golive live` in {channel}.",
                              ":white_check_mark: Go-live for *{customer}* is tomorrow ({day}) and all {count} "
                              "criteria are met. Declare it live with `/golive live` in {channel}.",
                              len(items), **values)
        else:
            text = t.ngettext(":white_check_mark: Go-live for *{customer}* is in three business days ({day}) and "
                              "its {count} criterion is met. Declare it live with `/golive live` in {channel}.",
                              ":white_check_mark: Go-live for *{customer}* is in three business days ({day}) and "
                              "all {count} criteria are met. Declare it live with `/golive live` in {channel}.",
                              len(items), **values)
        return clip(text, 3900)
    lines = []
    for i in still_open[:40]:
        line = f"• {user_text(i.text, 300)} (`{i.key}`)"
        # TRANSLATORS: an open go-live criterion in the CSM's reminder; {criterion} is "• text (`key`)".
        lines.append(t.gettext("{criterion} — owner {owner}", criterion=line, owner=mention(i.owner))
                     if i.owner else line)
    values |= {"open": t.format_number(len(still_open)), "items": "\n".join(lines), "id": launch.id}
    if tomorrow:
        text = t.ngettext(":clipboard: Go-live for *{customer}* is tomorrow ({day}); {open} of {count} criterion "
                          "is still open:\n{items}\nTick them with `/golive ready` in {channel}, or "
                          "`golive launch criteria {id} --done KEY`.",
                          ":clipboard: Go-live for *{customer}* is tomorrow ({day}); {open} of {count} criteria "
                          "are still open:\n{items}\nTick them with `/golive ready` in {channel}, or "
                          "`golive launch criteria {id} --done KEY`.", len(items), **values)
    else:
        text = t.ngettext(":clipboard: Go-live for *{customer}* is in three business days ({day}); {open} of "
                          "{count} criterion is still open:\n{items}\nTick them with `/golive ready` in {channel}, "
                          "or `golive launch criteria {id} --done KEY`.",
                          ":clipboard: Go-live for *{customer}* is in three business days ({day}); {open} of "
                          "{count} criteria are still open:\n{items}\nTick them with `/golive ready` in {channel}, "
                          "or `golive launch criteria {id} --done KEY`.", len(items), **values)
    return clip(text, 3900)
