"""Retro: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.blocks import option, pack, plain
from bot.core.i18n import DEFAULT_LOCALE, NP_, Translator, translator
from bot.core.ids import ActionId
from bot.core.text import clip, escape, mention, user_text
from bot.features.milestones.model import MilestoneAction, MilestoneCallback
from bot.features.milestones.week import WeekFacts, duration_text, themes_text, week_lines
from bot.features.retro.model import RATINGS, SLACK_ANSWER_LIMIT, SLACK_BUDGET, tallies
from bot.features.themes.summary import ThemeLine
from storage.models import ChecklistTemplateItem, Launch, RetroAnswer

# TRANSLATORS: the rating options of the retrospective form.
RATING_LABELS = {5: NP_("option", "5 — excellent"), 4: NP_("option", "4 — good"), 3: NP_("option", "3 — okay"),
                 2: NP_("option", "2 — poor"), 1: NP_("option", "1 — very poor")}


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def prompt_blocks(launch: Launch, text: str, t: Translator | None = None) -> list[dict[str, Any]]:
    t = _english(t)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"retro:{launch.id}", "elements": [
            {"type": "button", "action_id": ActionId.RETRO_OPEN, "value": str(launch.id), "style": "primary",
             "text": {"type": "plain_text", "text": t.pgettext("button", "Share your thoughts")}}]},
    ]


def prompt_text(launch: Launch, facts: list[str], closes: date, t: Translator | None = None) -> str:
    """The retrospective's opening post in the launch channel; `facts` from `launch_facts` in the same locale."""
    t = _english(t)
    values = {"customer": escape(launch.customer), "closes": t.format_day(closes)}
    if facts:
        # TRANSLATORS: {facts} are two or three facts of the launch week, separated by semicolons; {closes} a day.
        return t.ngettext(
            ":mag: *Retrospective — {customer}*\nIt has been {count} day since go-live.\nFrom launch week: "
            "{facts}.\nWhat went well, and what should we do better next time? Three questions, one minute; "
            "answers are open until {closes}.",
            ":mag: *Retrospective — {customer}*\nIt has been {count} days since go-live.\nFrom launch week: "
            "{facts}.\nWhat went well, and what should we do better next time? Three questions, one minute; "
            "answers are open until {closes}.", launch.retro_after_days, facts="; ".join(facts), **values)
    return t.ngettext(
        ":mag: *Retrospective — {customer}*\nIt has been {count} day since go-live.\nWhat went well, and what "
        "should we do better next time? Three questions, one minute; answers are open until {closes}.",
        ":mag: *Retrospective — {customer}*\nIt has been {count} days since go-live.\nWhat went well, and what "
        "should we do better next time? Three questions, one minute; answers are open until {closes}.",
        launch.retro_after_days, **values)


def prompt_fallback(t: Translator | None = None) -> str:
    return _english(t).gettext("Retrospective: how did the go-live go?")


def reminder_text(launch: Launch, count: int, closes: date, t: Translator | None = None) -> str:
    t = _english(t)
    return t.ngettext(
        ":hourglass_flowing_sand: Halfway through the retrospective for *{customer}*: {count} answer so far. If "
        "you have not shared yours yet, it takes a minute — open until {closes}.",
        ":hourglass_flowing_sand: Halfway through the retrospective for *{customer}*: {count} answers so far. If "
        "you have not shared yours yet, it takes a minute — open until {closes}.",
        count, customer=escape(launch.customer), closes=t.format_day(closes))


def reminder_fallback(t: Translator | None = None) -> str:
    return _english(t).gettext("Retrospective reminder")


def retro_modal(launch: Launch, current: RetroAnswer | None, t: Translator | None = None) -> dict[str, Any]:
    t = _english(t)
    options = [option(t.pgettext("option", RATING_LABELS[value]), str(value)) for value in RATINGS]
    went_well = {"type": "plain_text_input", "action_id": "went_well", "multiline": True,
                 "placeholder": plain(t.gettext("What helped, who helped, what surprised you"))}
    improve = {"type": "plain_text_input", "action_id": "improve", "multiline": True,
               "placeholder": plain(t.gettext("What got in the way; what we should do differently"))}
    rating: dict[str, Any] = {"type": "radio_buttons", "action_id": "rating", "options": options}
    if current is not None:
        if current.went_well:
            went_well["initial_value"] = current.went_well[:3000]
        if current.improve:
            improve["initial_value"] = current.improve[:3000]
        rating["initial_option"] = options[list(RATINGS).index(current.rating)]
    if current is None:
        intro = t.gettext("How did the go-live of *{customer}* go? Your answers go to the launch team.",
                          customer=escape(launch.customer))
    else:
        intro = t.gettext("How did the go-live of *{customer}* go? Your answers go to the launch team. You answered "
                          "before: sending again replaces your earlier answer.", customer=escape(launch.customer))
    return {
        "type": "modal", "callback_id": MilestoneCallback.RETRO,
        "title": plain(t.pgettext("modal-title", "Retrospective")),
        "submit": plain(t.pgettext("modal-button", "Send")), "close": plain(t.pgettext("modal-button", "Cancel")),
        "private_metadata": pack({"launch": launch.id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "input", "block_id": "went_well", "optional": True,
             "label": plain(t.gettext("What went well?")), "element": went_well},
            {"type": "input", "block_id": "improve", "optional": True,
             "label": plain(t.gettext("What should we improve?")), "element": improve},
            {"type": "input", "block_id": "rating", "label": plain(t.gettext("Overall, how did it go? (1–5)")),
             "element": rating},
        ],
    }


def launch_facts(facts: WeekFacts, limit: int = 3, t: Translator | None = None) -> list[str]:
    """Two or three facts of this launch for the retrospective prompt, most telling first (plain words in
    `t`'s locale, theme names escaped)."""
    t = _english(t)
    out: list[str] = []
    blocked = facts.most_blocked_day()
    if blocked:
        out.append(t.ngettext("{count} person was blocked on day {day}", "{count} people were blocked on day {day}",
                              blocked[2], day=blocked[0]))
    if facts.themes:
        top = facts.themes[0]
        # TRANSLATORS: {name} is a theme of the customer's reports, e.g. “CSV export”.
        out.append(t.gettext("“{name}” was the most reported theme ({count}×)", name=escape(top.name),
                             count=t.format_number(top.count)))
    if facts.issues:
        if facts.median_first_response:
            out.append(t.ngettext(
                "{count} issue was reported and {resolved} resolved, with a median first response of {duration}",
                "{count} issues were reported and {resolved} resolved, with a median first response of {duration}",
                facts.issues, resolved=t.format_number(facts.resolved),
                duration=duration_text(facts.median_first_response, t)))
        else:
            out.append(t.ngettext("{count} issue was reported and {resolved} resolved",
                                  "{count} issues were reported and {resolved} resolved",
                                  facts.issues, resolved=t.format_number(facts.resolved)))
    if facts.sla_breaches:
        out.append(t.ngettext("{count} waited past the support SLA", "{count} waited past the support SLA",
                              len(facts.sla_breaches)))
    if not out and facts.answers:
        out.append(t.ngettext("{count} person answered {answers} check-ins", "{count} people answered {answers} "
                              "check-ins", facts.people, answers=t.format_number(facts.answers)))
    return out[:limit]


def _added_by(item: ChecklistTemplateItem, t: Translator) -> str:
    return mention(item.added_by) if item.added_by else t.gettext("the command line")


def lesson_blocks(launch: Launch, lessons: list[str], added: dict[int, ChecklistTemplateItem],
                  t: Translator | None = None) -> list[dict]:
    """Each proposed lesson with its *Add to every future checklist* button, or who added it and when."""
    t = _english(t)
    if not lessons:
        return []
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": t.gettext(
        "*Proposed lessons* — one click makes a lesson a go-live criterion of every future launch.")}}]
    for index, lesson in enumerate(lessons[:5]):
        section: dict[str, Any] = {"type": "section", "block_id": f"lesson:{launch.id}:{index}",
                                   "text": {"type": "mrkdwn", "text": f"• {user_text(lesson, 600)}"}}
        item = added.get(index)
        if item is None:
            section["accessory"] = {"type": "button", "action_id": MilestoneAction.LESSON_ADD_TEMPLATE,
                                    "value": f"{launch.id}:{index}",
                                    "text": {"type": "plain_text",
                                             "text": t.pgettext("button", "Add to every future checklist")}}
            blocks.append(section)
            continue
        blocks.append(section)
        if item.created_at:
            note = t.gettext(":white_check_mark: On every future checklist — added by {person} {day}",
                             person=_added_by(item, t), day=t.format_short_day(item.created_at.date()))
        else:
            note = t.gettext(":white_check_mark: On every future checklist — added by {person}",
                             person=_added_by(item, t))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(note, 2900)}]})
    return blocks


def summary_fallback(launch: Launch, count: int, t: Translator | None = None) -> str:
    return _english(t).ngettext("Retrospective summary for {customer}: {count} answer",
                                "Retrospective summary for {customer}: {count} answers", count,
                                customer=launch.customer)


def summary_blocks(launch: Launch, rows: list[RetroAnswer], facts: WeekFacts | None = None,
                   themes: list[ThemeLine] | None = None, lessons: list[str] | None = None,
                   added: dict[int, ChecklistTemplateItem] | None = None,
                   t: Translator | None = None) -> list[dict[str, Any]]:
    """The CSMs' DM, in the reader's language (`t`): the launch's numbers, themes, SLA breaches and satisfaction
    next to the answers, and the proposed lessons; inside Slack's limits however many or long the answers are.
    The answers are shown as written."""
    tr = _english(t)
    t = tallies(rows)
    head = tr.ngettext(":mag: *Retrospective summary — {customer}*\n{count} answer",
                       ":mag: *Retrospective summary — {customer}*\n{count} answers", t.count,
                       customer=escape(launch.customer))
    if t.average is not None:
        head = tr.gettext("{head}, average rating *{average} / 5* ({ratings})", head=head,
                          average=tr.format_number(t.average, "0.0"),
                          ratings=", ".join(f"{v}★×{n}" for v, n in t.distribution.items() if n))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    if facts is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(tr.gettext(
            "*Launch week in numbers*\n{lines}", lines="\n".join(week_lines(facts, tr))), 2900)}})
    if themes is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            themes_text(themes, title=tr.gettext("Themes (issues, notes and answers)"), t=tr), 2900)}})
    tail = lesson_blocks(launch, lessons or [], added or {}, tr)
    budget = SLACK_BUDGET - sum(len(json_text(b)) for b in blocks + tail)
    left_out = 0
    for title, field in ((tr.gettext("What went well"), "went_well"), (tr.gettext("What should improve"), "improve")):
        bullets = [f"• {user_text(' '.join(getattr(r, field).split()), SLACK_ANSWER_LIMIT)} — <@{r.user_id}>"
                   for r in rows if getattr(r, field).strip()]
        chunk = f"*{title}*"
        if not bullets:
            chunk += "\n" + tr.gettext("_(nothing)_")
        for bullet in bullets:
            if budget - len(chunk) - len(bullet) < 0 or len(blocks) + len(tail) >= 45:
                left_out += 1
                continue
            if len(chunk) + len(bullet) + 1 > 2900:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
                budget -= len(chunk)
                chunk = ""
            chunk += ("\n" if chunk else "") + bullet
        if chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            budget -= len(chunk)
    blocks += tail
    if left_out:
        note = tr.ngettext("{count} more answer did not fit here. Full report: `golive retro report --launch {id}`",
                           "{count} more answers did not fit here. Full report: `golive retro report --launch {id}`",
                           left_out, id=launch.id)
    else:
        note = tr.gettext("Full report: `golive retro report --launch {id}`", id=launch.id)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks


def csm_prompt_text(launch: Launch, closes: date, t: Translator | None = None) -> str:
    """The CSMs' DM when the retrospective opens, in their language."""
    t = _english(t)
    channel = f"<#{launch.channel}>"
    return t.gettext("The retrospective for *{customer}* is open in {channel} until {closes}; the summary comes to "
                     "you then. Add your own answer here.", customer=escape(launch.customer), channel=channel,
                     closes=t.format_day(closes))


def csm_prompt_fallback(t: Translator | None = None) -> str:
    return _english(t).gettext("The retrospective is open")


def json_text(block: dict[str, Any]) -> str:
    """The text a block carries (its section text, or its context elements)."""
    if "text" in block:
        return str(block["text"].get("text", ""))
    return " ".join(str(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict))


def lesson_already_there(item: ChecklistTemplateItem | None, t: Translator | None = None) -> str:
    """The answer to a second click: nothing was added twice."""
    t = _english(t)
    if item is None:
        return t.gettext("Every launch's checklist already has that criterion built in. Nothing was added.")
    if item.created_at:
        return t.gettext("That lesson is on every future checklist already (added by {person}, {day}). Nothing was "
                         "added twice.", person=_added_by(item, t), day=t.format_short_day(item.created_at.date()))
    return t.gettext("That lesson is on every future checklist already (added by {person}). Nothing was added "
                     "twice.", person=_added_by(item, t))
