"""Retro: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core.blocks import option, pack, plain
from bot.core.ids import ActionId
from bot.core.text import clip, escape, mention, user_text
from bot.features.milestones.model import MilestoneAction, MilestoneCallback
from bot.features.milestones.week import WeekFacts, duration_text, themes_text, week_lines
from bot.features.retro.model import RATINGS, SLACK_ANSWER_LIMIT, SLACK_BUDGET, tallies
from bot.features.themes.summary import ThemeLine
from storage.models import ChecklistTemplateItem, Launch, RetroAnswer


def prompt_blocks(launch: Launch, text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"retro:{launch.id}", "elements": [
            {"type": "button", "action_id": ActionId.RETRO_OPEN, "value": str(launch.id), "style": "primary",
             "text": {"type": "plain_text", "text": "Share your thoughts"}}]},
    ]


def retro_modal(launch: Launch, current: RetroAnswer | None) -> dict[str, Any]:
    options = [option(label, str(value)) for value, label in RATINGS.items()]
    went_well = {"type": "plain_text_input", "action_id": "went_well", "multiline": True,
                 "placeholder": plain("What helped, who helped, what surprised you")}
    improve = {"type": "plain_text_input", "action_id": "improve", "multiline": True,
               "placeholder": plain("What got in the way; what we should do differently")}
    rating: dict[str, Any] = {"type": "radio_buttons", "action_id": "rating", "options": options}
    if current is not None:
        if current.went_well:
            went_well["initial_value"] = current.went_well[:3000]
        if current.improve:
            improve["initial_value"] = current.improve[:3000]
        rating["initial_option"] = options[list(RATINGS).index(current.rating)]
    intro = f"How did the go-live of *{escape(launch.customer)}* go? Your answers go to the launch team."
    if current is not None:
        intro += " You answered before: sending again replaces your earlier answer."
    return {
        "type": "modal", "callback_id": MilestoneCallback.RETRO, "title": plain("Retrospective"),
        "submit": plain("Send"), "close": plain("Cancel"), "private_metadata": pack({"launch": launch.id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "input", "block_id": "went_well", "optional": True, "label": plain("What went well?"),
             "element": went_well},
            {"type": "input", "block_id": "improve", "optional": True, "label": plain("What should we improve?"),
             "element": improve},
            {"type": "input", "block_id": "rating", "label": plain("Overall, how did it go? (1–5)"),
             "element": rating},
        ],
    }


def launch_facts(facts: WeekFacts, limit: int = 3) -> list[str]:
    """Two or three facts of this launch for the retrospective prompt, most telling first (plain words,
    theme names escaped)."""
    out: list[str] = []
    blocked = facts.most_blocked_day()
    if blocked:
        out.append(f"{blocked[2]} {'people were' if blocked[2] != 1 else 'person was'} blocked on day {blocked[0]}")
    if facts.themes:
        top = facts.themes[0]
        out.append(f"“{escape(top.name)}” was the most reported theme ({top.count}×)")
    if facts.issues:
        line = (f"{facts.issues} issue{'s were' if facts.issues != 1 else ' was'} reported and {facts.resolved} "
                "resolved")
        if facts.median_first_response:
            line += f", with a median first response of {duration_text(facts.median_first_response)}"
        out.append(line)
    if facts.sla_breaches:
        out.append(f"{len(facts.sla_breaches)} waited past the support SLA")
    if not out and facts.answers:
        out.append(f"{facts.people} {'people' if facts.people != 1 else 'person'} answered {facts.answers} "
                   "check-ins")
    return out[:limit]


def lesson_blocks(launch: Launch, lessons: list[str], added: dict[int, ChecklistTemplateItem]) -> list[dict]:
    """Each proposed lesson with its *Add to every future checklist* button, or who added it and when."""
    if not lessons:
        return []
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": (
        "*Proposed lessons* — one click makes a lesson a go-live criterion of every future launch.")}}]
    for index, lesson in enumerate(lessons[:5]):
        section: dict[str, Any] = {"type": "section", "block_id": f"lesson:{launch.id}:{index}",
                                   "text": {"type": "mrkdwn", "text": f"• {user_text(lesson, 600)}"}}
        item = added.get(index)
        if item is None:
            section["accessory"] = {"type": "button", "action_id": MilestoneAction.LESSON_ADD_TEMPLATE,
                                    "value": f"{launch.id}:{index}",
                                    "text": {"type": "plain_text", "text": "Add to every future checklist"}}
            blocks.append(section)
            continue
        blocks.append(section)
        when = item.created_at.strftime("%a %-d %b %Y") if item.created_at else ""
        who = mention(item.added_by) if item.added_by else "the command line"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(
            f":white_check_mark: On every future checklist — added by {who} {when}".rstrip(), 2900)}]})
    return blocks


def summary_blocks(launch: Launch, rows: list[RetroAnswer], facts: WeekFacts | None = None,
                   themes: list[ThemeLine] | None = None, lessons: list[str] | None = None,
                   added: dict[int, ChecklistTemplateItem] | None = None) -> list[dict[str, Any]]:
    """The CSMs' DM: the launch's numbers, themes, SLA breaches and satisfaction next to the answers, and
    the proposed lessons; inside Slack's limits however many or long the answers are."""
    t = tallies(rows)
    head = f":mag: *Retrospective summary — {escape(launch.customer)}*\n{t.count} answers"
    if t.average is not None:
        head += f", average rating *{t.average:.1f} / 5* (" + ", ".join(
            f"{v}★×{n}" for v, n in t.distribution.items() if n) + ")"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    if facts is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            "*Launch week in numbers*\n" + "\n".join(week_lines(facts)), 2900)}})
    if themes is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            themes_text(themes, title="Themes (issues, notes and answers)"), 2900)}})
    tail = lesson_blocks(launch, lessons or [], added or {})
    budget = SLACK_BUDGET - sum(len(json_text(b)) for b in blocks + tail)
    left_out = 0
    for title, field in (("What went well", "went_well"), ("What should improve", "improve")):
        bullets = [f"• {user_text(' '.join(getattr(r, field).split()), SLACK_ANSWER_LIMIT)} — <@{r.user_id}>"
                   for r in rows if getattr(r, field).strip()]
        chunk = f"*{title}*"
        if not bullets:
            chunk += "\n_(nothing)_"
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
    note = f"Full report: `golive retro report --launch {launch.id}`"
    if left_out:
        note = f"{left_out} more answers did not fit here. " + note
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks


def json_text(block: dict[str, Any]) -> str:
    """The text a block carries (its section text, or its context elements)."""
    if "text" in block:
        return str(block["text"].get("text", ""))
    return " ".join(str(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict))


def lesson_already_there(item: ChecklistTemplateItem | None) -> str:
    """The answer to a second click: nothing was added twice."""
    if item is None:
        return "Every launch's checklist already has that criterion built in. Nothing was added."
    when = item.created_at.strftime("%a %-d %b %Y") if item.created_at else "earlier"
    who = mention(item.added_by) if item.added_by else "the command line"
    return f"That lesson is on every future checklist already (added by {who}, {when}). Nothing was added twice."
